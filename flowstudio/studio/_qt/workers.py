"""Work off the GUI thread: jobs with progress, ETA and Cancel, and a latest-wins renderer.

Both run superqt workers (``create_worker``) on private thread pools rather
than Qt's global one, so a long encoding job never delays a redraw:

* :class:`JobRunner` runs jobs one after another on one thread (model loads
  and encodings share the model, and their order matters: a set queued
  behind a model load is encoded with that model).  A job is a generator
  function; each value it yields is one step, and Cancel stops it at the
  next step.
* :class:`LatestWinsRenderer` draws whatever was asked for last.  While a
  slider is dragged, requests replace each other (never a queue), a new
  draw starts at most every ``interval_ms`` and right after the previous
  one ends, and a result older than one already shown, or made before
  :meth:`LatestWinsRenderer.invalidate`, is dropped.
"""

from __future__ import annotations

import inspect
import sys
import time
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QThreadPool, QTimer, Signal
from superqt.utils import create_worker

from flowstudio.studio.eta import EtaEstimator, format_duration


class JobError(Exception):
    """A ``RuntimeError`` raised by a job of steps, passed on under another type (see :func:`_steps_of`)."""


def _steps_of(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, a generator function, with its ``RuntimeError`` re-raised as :class:`JobError`.

    superqt's generator worker takes a ``RuntimeError`` for "the worker was
    deleted" and returns without its ``errored`` and ``finished`` signals, so
    the job would never end; torch reports most failures as ``RuntimeError``.
    """
    def steps(*args: Any) -> Any:
        try:
            return (yield from fn(*args))
        except RuntimeError as exc:
            raise JobError(str(exc)) from exc

    return steps


def _pool(parent: QObject) -> QThreadPool:
    pool = QThreadPool(parent)
    pool.setMaxThreadCount(1)
    return pool


def _run_on(pool: QThreadPool, worker: Any, alive: set) -> None:
    """Start ``worker`` on ``pool``, keeping it referenced until its run ends (as superqt's own start does)."""
    alive.add(worker)
    worker._finished.connect(alive.discard)
    pool.start(worker)


class Job(QObject):
    """One job: its title, progress (``done`` of ``total``, 0 = unknown), ETA, and how it ended."""

    progressed = Signal()
    ended = Signal()

    def __init__(self, title: str, visible: bool):
        super().__init__()
        self.title = title
        self.visible = visible
        self.done = 0
        self.total = 0
        self.stage = ""  # what a job without counts is doing now (a step that is a string)
        self.state = "queued"  # queued, running, done, cancelled, failed
        self.error: BaseException | None = None
        self.eta = EtaEstimator(0)
        self.worker: Any = None
        self.progress_of: Callable[[Any], Any] = lambda value: value

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    @property
    def cancellable(self) -> bool:
        """Jobs made of steps stop at the next one; a single function call runs to its end."""
        return hasattr(self.worker, "yielded")

    @property
    def cancel_requested(self) -> bool:
        return self.worker is not None and self.worker.abort_requested

    def cancel(self) -> None:
        """Stop at the next step (a queued job never starts); the state becomes "cancelled" when it has stopped."""
        if self.active and self.cancellable:
            self.worker.quit()
            self.progressed.emit()

    def describe(self) -> str:
        """``"Encoding sneakers: 120 / 1000 · 0:12 left"``, or ``"Loading x.pt: importing x.pt"``."""
        if self.cancel_requested:
            return f"{self.title}: cancelling…"
        if self.total <= 0:
            return f"{self.title}: {self.stage}" if self.stage else self.title
        left = format_duration(self.eta.remaining())
        return f"{self.title}: {self.done} / {self.total}" + (f" · {left} left" if left else "")

    def _step(self, value: Any) -> None:
        self.state = "running" if self.state == "queued" else self.state
        value = self.progress_of(value)
        if isinstance(value, str):
            self.stage = value
        done, total = getattr(value, "done", None), getattr(value, "total", None)
        if done is not None and total is not None:
            self.done, self.total = int(done), int(total)
            self.eta.update(self.done, self.total)
        self.progressed.emit()


class JobRunner(QObject):
    """Runs jobs in order on one worker thread; lists the active ones for the progress display."""

    jobsChanged = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.pool = _pool(self)
        self.jobs: list[Job] = []
        self._alive: set = set()

    def start(self, title: str, fn: Callable[..., Any], *args: Any, visible: bool = True,
              on_step: Callable[[Any], None] | None = None, on_done: Callable[[Any], None] | None = None,
              on_error: Callable[[BaseException], None] | None = None,
              on_end: Callable[[Job], None] | None = None,
              progress_of: Callable[[Any], Any] | None = None) -> Job:
        """Queue ``fn(*args)``: a generator function (steps, cancellable) or a plain function.

        A step's ``done`` and ``total`` attributes (of ``progress_of(step)``
        when given) drive the progress bar and the ETA.
        ``on_step`` gets each yielded value, ``on_done`` the return value
        (not called when cancelled), ``on_error`` an exception raised by the
        job, ``on_end`` the job however it ended.  All run on the GUI thread.
        """
        job = Job(title, visible)
        if progress_of is not None:
            job.progress_of = progress_of
        if inspect.isgeneratorfunction(fn):
            fn = _steps_of(fn)
        worker = create_worker(fn, *args, _start_thread=False, _ignore_errors=True)
        job.worker = worker
        if hasattr(worker, "yielded"):  # a step that arrives after Cancel is kept: its work is done
            if on_step is not None:
                worker.yielded.connect(on_step)
            worker.yielded.connect(job._step)
        worker.started.connect(lambda: self._set_state(job, "running"))
        worker.returned.connect(lambda value: self._returned(job, value, on_done))
        worker.errored.connect(lambda exc: self._errored(job, exc, on_error))
        worker.finished.connect(lambda: self._finished(job, on_end))
        self.jobs.append(job)
        _run_on(self.pool, worker, self._alive)
        self.jobsChanged.emit()
        return job

    @property
    def active(self) -> list[Job]:
        return [job for job in self.jobs if job.active]

    def cancel_all(self) -> None:
        for job in self.active:
            job.cancel()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Cancel everything and wait for the thread to finish (at exit)."""
        self.cancel_all()
        return self.pool.waitForDone(timeout_ms)

    def _set_state(self, job: Job, state: str) -> None:
        if job.state == "queued":
            job.state = state
            job.progressed.emit()

    def _returned(self, job: Job, value: Any, on_done: Callable[[Any], None] | None) -> None:
        if job.cancel_requested:
            return
        job.state = "done"
        if on_done is not None:
            on_done(value)

    def _errored(self, job: Job, exc: BaseException, on_error: Callable[[BaseException], None] | None) -> None:
        job.state, job.error = "failed", exc
        if on_error is not None:
            on_error(exc)
        else:  # nobody handles it: report it as an uncaught error, with its traceback
            sys.excepthook(type(exc), exc, exc.__traceback__)

    def _finished(self, job: Job, on_end: Callable[[Job], None] | None) -> None:
        if job.active:
            job.state = "cancelled" if job.cancel_requested else "done"
        self.jobs.remove(job)
        job.ended.emit()
        if on_end is not None:
            on_end(job)
        self.jobsChanged.emit()


class LatestWinsRenderer(QObject):
    """Draws the latest request only (see the module docstring); ``rendered(request, result)`` when shown."""

    rendered = Signal(object, object)
    failed = Signal(object, object)
    busyChanged = Signal(bool)

    def __init__(self, compute: Callable[[Any], Any], interval_ms: int = 40, parent: QObject | None = None):
        super().__init__(parent)
        self.compute = compute
        self.interval_ms = interval_ms
        self.pool = _pool(self)
        self._alive: set = set()
        self.dropped = 0
        self._generation = 0
        self._floor = 0
        self._shown = 0
        self._pending: tuple[int, Any] | None = None
        self._inflight: Any = None
        self._last_start = -1e9
        self._timer = QTimer(self, singleShot=True, timeout=self._start)

    @property
    def busy(self) -> bool:
        return self._pending is not None or self._inflight is not None

    def request(self, request: Any) -> int:
        """Ask for ``request`` to be drawn; replaces any request not yet started."""
        self._generation += 1
        was_busy = self.busy
        self._pending = (self._generation, request)
        if not was_busy:
            self.busyChanged.emit(True)
        self._schedule()
        return self._generation

    def invalidate(self) -> None:
        """Drop every result of requests made so far (their inputs no longer exist)."""
        self._floor = self._generation + 1
        if self._pending is not None:
            self._pending = None
            if self._inflight is None:
                self.busyChanged.emit(False)

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        self._timer.stop()
        self.invalidate()
        return self.pool.waitForDone(timeout_ms)

    def _schedule(self) -> None:
        if self._inflight is not None or self._pending is None or self._timer.isActive():
            return
        wait_ms = self.interval_ms - (time.monotonic() - self._last_start) * 1000
        if wait_ms <= 0:
            self._start()
        else:
            self._timer.start(int(wait_ms) + 1)

    def _start(self) -> None:
        if self._pending is None or self._inflight is not None:
            return
        generation, request = self._pending
        self._pending = None
        self._last_start = time.monotonic()
        worker = create_worker(self.compute, request, _start_thread=False, _ignore_errors=True)
        worker.returned.connect(lambda result: self._deliver(generation, request, result))
        worker.errored.connect(lambda exc: self._fail(generation, request, exc))
        worker.finished.connect(self._finished)
        self._inflight = worker
        _run_on(self.pool, worker, self._alive)

    def _deliver(self, generation: int, request: Any, result: Any) -> None:
        if generation < self._floor or generation <= self._shown:
            self.dropped += 1
            return
        self._shown = generation
        self.rendered.emit(request, result)

    def _fail(self, generation: int, request: Any, exc: BaseException) -> None:
        if generation >= self._floor:
            self.failed.emit(request, exc)

    def _finished(self) -> None:
        self._inflight = None
        self._schedule()
        if not self.busy:
            self.busyChanged.emit(False)
