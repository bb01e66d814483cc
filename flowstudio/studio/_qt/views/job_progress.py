"""A panel's own progress line for one job (an export, a classification): text with ETA, bar, Cancel.

The status bar shows the job thread's work; a panel that starts a job shows
it here too, next to the button that started it, and hides the line when
the job ends.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QToolButton, QWidget

from flowstudio.studio._qt.icons import bind_icon
from flowstudio.studio._qt.labels import LiveLabel
from flowstudio.studio._qt.workers import Job


class JobProgress(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.job: Job | None = None
        self.label = LiveLabel("", "hint")
        self.bar = QProgressBar(textVisible=False, maximumHeight=8)
        self.bar.setFixedWidth(160)
        self.cancel = QToolButton(toolTip="Cancel", autoRaise=True)
        bind_icon(self.cancel, "fa5s.times-circle")
        self.cancel.clicked.connect(lambda: self.job is not None and self.job.cancel())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel)
        self.hide()

    def track(self, job: Job) -> Job:
        self.job = job
        job.progressed.connect(self.refresh)
        job.ended.connect(self._ended)
        self.refresh()
        self.show()
        return job

    def refresh(self) -> None:
        job = self.job
        if job is None:
            return
        self.label.setText(job.describe())
        self.cancel.setEnabled(job.cancellable and not job.cancel_requested)
        if job.total > 0:
            self.bar.setRange(0, job.total)
            self.bar.setValue(job.done)
        else:
            self.bar.setRange(0, 0)

    def _ended(self) -> None:
        self.job = None
        self.hide()
