"""The status bar's progress display: the running job, its progress and time left, and a Cancel button."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLabel, QProgressBar, QToolButton, QWidget

from flowstudio.studio._qt.icons import bind_icon
from flowstudio.studio._qt.workers import Job, JobRunner


class JobsWidget(QWidget):
    """Shows the oldest visible active job of ``runner`` (and how many more are queued)."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None):
        super().__init__(parent)
        self.runner = runner
        self.job: Job | None = None
        self.label = QLabel("")
        self.bar = QProgressBar()
        self.bar.setFixedWidth(180)
        self.cancel = QToolButton(toolTip="Cancel", autoRaise=True)
        bind_icon(self.cancel, "fa5s.times-circle")
        self.cancel.clicked.connect(lambda: self.job is not None and self.job.cancel())
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel)
        runner.jobsChanged.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        jobs = [job for job in self.runner.active if job.visible]
        job = jobs[0] if jobs else None
        if job is not self.job:
            if self.job is not None:
                self.job.progressed.disconnect(self.show_progress)
            self.job = job
            if job is not None:
                job.progressed.connect(self.show_progress)
        self.setVisible(job is not None)
        self.more = len(jobs) - 1
        self.show_progress()

    def show_progress(self) -> None:
        job = self.job
        if job is None:
            return
        more = f"  (+{self.more} queued)" if self.more > 0 else ""
        self.label.setText(job.describe() + more)
        self.cancel.setVisible(job.cancellable)
        self.cancel.setEnabled(not job.cancel_requested)
        if job.total > 0:
            self.bar.setRange(0, job.total)
            self.bar.setValue(job.done)
        else:
            self.bar.setRange(0, 0)  # busy indicator
