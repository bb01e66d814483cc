"""A progress line for one job: its text with time left, a bar, and Cancel.

Panels that start a job (an export, a classification) show it next to the
button that started it (:meth:`JobProgress.track`; the line hides when the
job ends); the status bar's :class:`~flowstudio.studio._qt.jobs_widget.JobsWidget`
is the same line, following whichever job of the job thread comes first.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QToolButton, QWidget

from flowstudio.studio._qt.icons import bind_icon
from flowstudio.studio._qt.labels import LiveLabel
from flowstudio.studio._qt.workers import Job


class JobProgress(QWidget):
    """``"Exporting x.gif: 3 / 9 · 0:04 left"``, a bar (a busy indicator when the total is unknown), Cancel."""

    def __init__(self, parent: QWidget | None = None, bar_width: int = 160, slim: bool = True):
        super().__init__(parent)
        self.job: Job | None = None
        self.label = LiveLabel("", "hint")
        self.bar = QProgressBar(textVisible=not slim)
        if slim:
            self.bar.setMaximumHeight(8)
        self.bar.setFixedWidth(bar_width)
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
        """Show ``job`` until it ends."""
        self.follow(job)
        job.ended.connect(lambda: self.job is job and self.follow(None))
        return job

    def follow(self, job: Job | None) -> None:
        """Show ``job`` (hidden for ``None``)."""
        if job is not self.job:
            if self.job is not None:
                self.job.progressed.disconnect(self.refresh)
            self.job = job
            if job is not None:
                job.progressed.connect(self.refresh)
        self.setVisible(job is not None)
        self.refresh()

    def note(self) -> str:
        """More text after the job's own (subclasses)."""
        return ""

    def refresh(self) -> None:
        job = self.job
        if job is None:
            return
        self.label.setText(job.describe() + self.note())
        self.cancel.setVisible(job.cancellable)
        self.cancel.setEnabled(not job.cancel_requested)
        if job.total > 0:
            self.bar.setRange(0, job.total)
            self.bar.setValue(job.done)
        else:
            self.bar.setRange(0, 0)  # busy indicator
