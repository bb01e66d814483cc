"""The playground's worker: a 2-D flow trains on its own thread in short chunks, each ending in a drawn frame.

Everything that touches the session (:class:`flowstudio.playground.session.PlaygroundSession`)
runs as a job on one :class:`~.workers.JobRunner` thread, so the model is
never read and trained at once: making the session (it imports torch),
training chunks, exports and saving the model.  A chunk trains for
:data:`CHUNK_S` and then computes and draws the frame (heat map, samples,
warped grid) on that thread; the GUI only shows the finished pictures.
When a chunk ends and training is still wanted, the next one is queued, so
a save or an export asked for meanwhile runs between two chunks, and Pause
or Cancel take effect at the next chunk boundary without waiting on
anything: the GUI simply stops queueing.

The worker is a thread of this process, so it and the GUI take turns at
Python's global interpreter lock.  A thread waiting for the lock gets it
only after the holder's switch interval (5 ms by default), and every Qt call
PySide makes releases and retakes it: a paint of a few calls would wait
several intervals behind a training step.  While training, the interval is
:data:`TRAINING_SWITCH_S` (restored when it stops), and the frames reach the
GUI as ready ``QImage`` objects (made on the worker), so a frame costs the
GUI thread one short paint.

States: ``idle`` (nothing to train), ``training``, ``paused`` (the steps
left are kept; :meth:`PlaygroundRunner.train` resumes).  Training aims at a
step number (:attr:`PlaygroundRunner.goal`): Train sets it ``steps`` past
the last frame's step, Cancel forgets it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QImage

from flowstudio.studio._qt.workers import JobRunner

TRAINING_SWITCH_S = 0.001
"""Python's thread switch interval while the playground trains (see the module doc)."""
CHUNK_S = 0.04
"""Training time between two frames (a frame's drawing adds about as much again: 10 or more frames a second)."""
PANEL_SIZE = 256
"""The panels' side until the view says how large it shows them."""
MIN_PANEL = 32
LOAD_FAILED = "The density"
"""What ``failed`` names when a session cannot be made (a file that is no density)."""


@dataclass
class Shown:
    """A drawn frame for the GUI: the session's ``pictures`` and its panels as ``images`` (``QImage``)."""

    pictures: Any
    images: list[QImage]

    @property
    def step(self) -> int:
        return self.pictures.step


def _shown(pictures: Any) -> Shown:
    images = []
    for a in pictures.arrays():
        a = np.ascontiguousarray(a)
        images.append(QImage(a.data, a.shape[1], a.shape[0], a.strides[0], QImage.Format.Format_RGB888).copy())
    return Shown(pictures, images)


def _make_session(target_of: Callable[[], Any], settings: dict[str, Any]) -> Any:
    from flowstudio.playground.session import PlaygroundSession, PlaygroundSettings

    return PlaygroundSession(target_of(), PlaygroundSettings(**settings))


def _first_frame(session: Any, size: int) -> Shown:
    return _shown(session.pictures(session.frame(), size))


def _chunk(session: Any, seconds: float, goal: int, size: int) -> Any:
    """Train towards step ``goal`` for ``seconds`` and draw the frame (a frame without steps once there)."""
    if session.step_count >= goal:
        return _first_frame(session, size)
    return _shown(session.advance(seconds, goal - session.step_count, size))


class PlaygroundRunner(QObject):
    """Owns the session and its thread; ``framed(shown)`` for every drawn frame (a :class:`Shown`),
    ``stateChanged(state)``."""

    framed = Signal(object)
    stateChanged = Signal(str)
    failed = Signal(str, str)  # what failed, the message

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = JobRunner(self)
        self.session: Any = None
        self.state = "idle"
        self.goal = 0
        self.step = 0  # the latest frame's step
        self._chunk_queued = False  # one chain of chunks at most, even after a quick Cancel and Train
        self._interval: float | None = None  # the switch interval before training began
        self.chunk_s = CHUNK_S
        self.size = PANEL_SIZE

    @property
    def busy(self) -> bool:
        """A job is queued or running, or training is on (the studio counts this as work in progress)."""
        return bool(self.runner.active) or self.state == "training"

    # -- the session ----------------------------------------------------------------------------------
    def load(self, target_of: Callable[[], Any], settings: dict[str, Any]) -> None:
        """A new session on the target ``target_of()`` makes (it may read files: it runs on the thread)."""
        self.stop()
        self.runner.start("Playground: preparing", _make_session, target_of, settings, visible=False,
                          on_done=self._loaded, on_error=lambda exc: self._failed(LOAD_FAILED, exc))

    def _loaded(self, session: Any) -> None:
        self.session = session
        self._draw_now()

    def reset(self) -> None:
        """Stop, and start again from an untrained model (the recording is cleared)."""
        self.stop()
        if self.session is not None:
            self.runner.start("Playground: reset", self.session.reset, visible=False,
                              on_done=lambda _: self._draw_now(),
                              on_error=lambda exc: self._failed("Reset", exc))

    def _draw_now(self) -> None:
        self.runner.start("Playground: drawing", _first_frame, self.session, self.size, visible=False,
                          on_done=self._show, on_error=lambda exc: self._failed("Drawing", exc))

    # -- training ---------------------------------------------------------------------------------------
    def train(self, steps: int) -> None:
        """Train ``steps`` more steps (or, when paused, the steps that were left)."""
        if self.session is None or self.state == "training":
            return
        if self.state != "paused":
            self.goal = self.step + steps
        self._set_state("training")
        self._queue_chunk()

    def pause(self) -> None:
        if self.state == "training":
            self._set_state("paused")

    def stop(self) -> None:
        """Cancel: no more chunks (the one running ends and is shown); the model keeps what it learnt."""
        self._set_state("idle")

    def _queue_chunk(self) -> None:
        if self._chunk_queued:
            return  # the chunk under way goes on when it ends
        self._chunk_queued = True
        self.runner.start("Playground: training", _chunk, self.session, self.chunk_s, self.goal, self.size,
                          visible=False, on_done=self._chunk_done, on_error=self._chunk_failed)

    def _chunk_done(self, shown: Shown) -> None:
        self._chunk_queued = False
        if self.state == "training" and shown.step >= self.goal:
            self.state = "idle"  # said with the frame, which shows the step reached
            self._switch_interval()
            self._show(shown)
            self.stateChanged.emit(self.state)
            return
        self._show(shown)
        if self.state == "training":
            self._queue_chunk()

    def _chunk_failed(self, exc: BaseException) -> None:
        self._chunk_queued = False
        self.stop()
        self._failed("Training", exc)

    def _show(self, shown: Shown) -> None:
        self.step = shown.step
        self.framed.emit(shown)

    def set_size(self, side: int) -> None:
        """Draw the panels ``side`` pixels a side from the next frame on (the side the view shows them at)."""
        self.size = max(MIN_PANEL, side)

    # -- files ---------------------------------------------------------------------------------------------
    def run(self, title: str, fn: Callable[..., Any], *args: Any, on_done: Callable[[Any], None],
            on_error: Callable[[BaseException], None]) -> None:
        """Run ``fn(*args)`` (a session method: an export, a save) between two chunks."""
        self.runner.start(title, fn, *args, visible=False, on_done=on_done, on_error=on_error)

    def _failed(self, what: str, exc: BaseException) -> None:
        self.failed.emit(what, str(exc))

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self._switch_interval()
            self.stateChanged.emit(state)

    def _switch_interval(self) -> None:
        if self.state == "training" and self._interval is None:
            self._interval = sys.getswitchinterval()
            sys.setswitchinterval(TRAINING_SWITCH_S)
        elif self.state != "training" and self._interval is not None:
            sys.setswitchinterval(self._interval)
            self._interval = None

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        self.stop()
        return self.runner.shutdown(timeout_ms)
