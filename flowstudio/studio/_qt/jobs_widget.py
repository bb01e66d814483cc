"""The status bar's progress display: the job thread's running job, its progress and time left, and Cancel."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from flowstudio.studio._qt.views.job_progress import JobProgress
from flowstudio.studio._qt.workers import JobRunner


class JobsWidget(JobProgress):
    """Shows the oldest visible active job of ``runner`` (and how many more are queued)."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None):
        super().__init__(parent, bar_width=180, slim=False)
        self.layout().setContentsMargins(0, 0, 6, 0)
        self.runner = runner
        self.more = 0
        runner.jobsChanged.connect(self._pick)
        self._pick()

    def _pick(self) -> None:
        jobs = [job for job in self.runner.active if job.visible]
        self.more = len(jobs) - 1
        self.follow(jobs[0] if jobs else None)

    def note(self) -> str:
        return f"  (+{self.more} queued)" if self.more > 0 else ""
