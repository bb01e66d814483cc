"""The GUI's handle on one training process (:class:`flowstudio.training.runner.TrainingRunner`).

Training runs in a child process; its events arrive on the runner's reader
thread and are handed to the GUI thread through a queued signal
(:attr:`TrainingHost.event`).  Nothing here waits on the child from the GUI
thread: pause and resume write one line to its stdin, and Cancel (which may
wait up to a second for the checkpoint, then terminates) runs on a helper
thread.  One run at a time; the run folders live in
:func:`flowstudio.studio.paths.runs_dir`.  :attr:`TrainingHost.eta` holds
the run's time left (:class:`~flowstudio.studio.eta.TrainingEta`: the
run's own measured step time at first, then its live rate), read by the
Train panel and the status bar alike.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal

from flowstudio.studio.eta import TrainingEta
from flowstudio.training.runner import TrainingRunner, TrainRequest

CANCEL_WAIT_S = 30.0
"""Cancel: how long the child may take to finish its step and write its checkpoint before it is terminated
(a large model's step on a busy CPU takes seconds; the wait runs on a thread, the window never waits)."""
QUIT_WAIT_S = 2.0
"""Quitting with a run going (the user agreed to stop it): the window waits this long at most."""


class TrainingHost(QObject):
    event = Signal(object)  # an event dict, on the GUI thread
    runningChanged = Signal(bool)
    _relay = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.runner: TrainingRunner | None = None
        self.run_dir: Path | None = None
        self.paused = False
        self.last_step: dict[str, Any] | None = None
        self.eta: TrainingEta | None = None
        self._relay.connect(self._on_event)  # queued: emitted on the reader thread

    @property
    def running(self) -> bool:
        return self.runner is not None

    def start(self, request: TrainRequest | list[str], run_dir: str | Path) -> TrainingRunner:
        """Start ``flowstudio train`` into ``run_dir`` (a new folder)."""
        return self._launch(TrainingRunner(request, run_dir, on_event=self._relay.emit), Path(run_dir))

    def resume(self, run_dir: str | Path) -> TrainingRunner:
        """Continue a cancelled or interrupted run from its checkpoint."""
        return self._launch(TrainingRunner(["--resume", str(run_dir)], run_dir, on_event=self._relay.emit),
                            Path(run_dir))

    def _launch(self, runner: TrainingRunner, run_dir: Path) -> TrainingRunner:
        if self.runner is not None:
            raise RuntimeError("a training is already running; cancel it first")
        self.runner, self.run_dir, self.paused, self.last_step, self.eta = runner, run_dir, False, None, None
        runner.start()
        self.runningChanged.emit(True)
        return runner

    def pause(self) -> None:
        if self.runner is not None:
            self.runner.pause()

    def resume_paused(self) -> None:
        if self.runner is not None:
            self.runner.resume()

    def cancel(self) -> None:
        """Ask the child to write a checkpoint and stop (terminated after a short wait); never blocks."""
        runner = self.runner
        if runner is not None:
            threading.Thread(target=runner.cancel, args=(CANCEL_WAIT_S,), daemon=True,
                             name="flowstudio-train-cancel").start()

    def describe(self) -> str:
        return f"Training “{self.run_dir.name}”" if self.run_dir is not None else "Training"

    def shutdown(self) -> None:
        """At exit: stop the child (it keeps its checkpoint, so the run can be resumed later)."""
        runner = self.runner
        if runner is not None:
            runner.on_event = None  # no more signals from its threads: this object is about to be deleted
            runner.cancel(QUIT_WAIT_S)
            self.runner = None

    def _on_event(self, event: dict[str, Any]) -> None:
        kind = event.get("event")
        if kind == "start":
            steps = int((event.get("settings") or {}).get("steps") or 0)
            fresh = event.get("resumed_from_step") is None
            self.eta = TrainingEta(steps, event.get("estimated_step_s"), start=(0, 0.0) if fresh else None)
        elif kind == "step":
            self.last_step = event
            if self.eta is not None and event.get("elapsed_s") is not None:
                self.eta.observe(int(event["step"]), float(event["elapsed_s"]))
        elif kind in ("paused", "resumed"):
            self.paused = kind == "paused"
        self.event.emit(event)
        if kind == "exited":  # always the last event of a child
            self.runner = None
            self.paused = False
            self.runningChanged.emit(False)
