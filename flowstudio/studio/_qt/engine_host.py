"""The GUI's handle on the engine: model loading, encoding and file work, all on worker threads.

The engine modules import torch, so the GUI thread never imports them: it
hands the job runners functions of :mod:`flowstudio.studio.engine.api`,
which import their engine module when they run, on the worker thread.  The
first model load is what imports torch, while the window is already on
screen.

Ordering: model loads and encodings run on one job thread, in the order
they were asked for.  A load hands the new engine to the job thread itself
(:attr:`EngineHost._queued_engine`), before the next queued job starts, so an
encoding queued behind a load uses the model just loaded.  The GUI thread
switches to the new engine (:attr:`EngineHost.engine`) when it handles the
load's result, which comes after every step of the jobs that ran before
it; every encoding step comes back with the engine that produced it, and
steps of an engine the GUI has replaced are stale.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import QObject, Signal

from flowstudio.studio._qt.workers import Job, JobRunner
from flowstudio.studio.engine import api

if TYPE_CHECKING:
    from flowstudio.studio.engine.session import Engine, ModelInfo

T = TypeVar("T")


@dataclass(frozen=True)
class _Loaded:
    """The last step of a model load: the new engine, the device choice it was loaded for, and which
    devices this machine offers."""

    engine: Engine
    device: str
    devices: dict[str, str]


def _load(host: EngineHost, path: str, device: str):
    """A model load as a job of steps: Cancel stops it between stages and nothing changes.

    The new engine is handed to the job thread and to the GUI thread in one
    step, so a Cancel either comes before it (the previous model stays) or
    after (the load is complete and kept): never one without the other.
    """
    yield "starting PyTorch"
    import torch

    torch.set_num_threads(max(1, (os.cpu_count() or 2) - 1))  # leave a core to the GUI thread
    engine = yield from api.open_engine(path, device)
    from flowstudio.devices import device_availability

    host._queued_engine = engine  # before the next queued job starts (see the module docstring)
    yield _Loaded(engine, device, device_availability())


def _encode(host: EngineHost, paths: list[str], skip: list[str]):
    engine = host._queued_engine
    steps = api.list_unread(paths, skip) if engine is None else engine.encode(paths, skip)
    for step in steps:
        yield engine, step


class EngineHost(QObject):
    """Loads models and runs encodings (:attr:`jobs`) and file work (:attr:`io`) off the GUI thread."""

    stateChanged = Signal(str)  # "loading", "ready", "failed" (no model)
    modelLoaded = Signal(object)  # ModelInfo

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.jobs = JobRunner(self)
        self.io = JobRunner(self)
        self.state = "loading"
        self.info: ModelInfo | None = None
        self.device = "auto"  # the device choice the current model was loaded for
        self.devices: dict[str, str] = {}  # device -> why this machine lacks it ("" when present)
        self._engine: Engine | None = None
        self._queued_engine: Engine | None = None
        self._loading: list[Job] = []  # loads asked for whose model has not arrived
        self.checks: dict[str, Any] = {}  # short hash -> the current model's EvidenceCheck of that image

    @property
    def engine(self) -> Engine | None:
        """The current engine: hand it to worker functions, never call its methods on the GUI thread."""
        return self._engine

    @property
    def ready(self) -> bool:
        return self.state == "ready"

    def is_encoded(self, sha256: str) -> bool:
        """Whether the current model has encoded this image (its latent is in the engine's cache)."""
        return sha256 in self.checks

    def record(self, images: Iterable[Any]) -> None:
        """Remember the verdicts of freshly encoded images (``EncodedImage``)."""
        self.checks.update((image.sha256, image.check) for image in images)

    def load(self, path: str, device: str = "auto", on_error: Callable[[BaseException], None] | None = None,
             on_cancel: Callable[[], None] | None = None) -> Job:
        """Load a checkpoint in the background; Cancel (between stages) keeps the current model."""
        job = self.jobs.start(f"Loading {path.rsplit('/', 1)[-1]}", _load, self, path, device,
                              on_step=lambda value: self._load_step(job, value), on_error=on_error,
                              on_end=lambda ended: self._load_ended(ended, on_cancel))
        self._loading.append(job)
        self._settle()
        return job

    def encode(self, title: str, paths: list[str], skip: list[str], on_step: Callable[[Any, Any], None],
               on_end: Callable[[Job], None], on_error: Callable[[BaseException], None]) -> Job:
        """Encode files/folders (minus ``skip``); ``on_step(engine, EncodeProgress)`` per batch.

        Without a model (none could be loaded, or its load was cancelled) the
        files are only listed (``engine`` is ``None``): they are read when a model is.
        """
        return self.jobs.start(title, _encode, self, paths, skip, on_step=lambda v: on_step(*v),
                               on_end=on_end, on_error=on_error, progress_of=lambda v: v[1])

    def run_file_task(self, title: str, fn: Callable[..., T], *args: Any, on_done: Callable[[T], None],
                      on_error: Callable[[BaseException], None]) -> Job:
        """Run ``fn(*args)``, an engine function that reads or writes files (exports, dropped PNGs), on the
        file thread.  ``fn`` is one of :mod:`flowstudio.studio.engine.api` (it imports torch when it runs)."""
        return self.io.start(title, fn, *args, visible=False, on_done=on_done, on_error=on_error)

    def run_steps(self, title: str, fn: Callable[..., Iterator[Any]], *args: Any, model_work: bool = False,
                  on_step: Callable[[Any], None] | None = None, on_done: Callable[[Any], None] | None = None,
                  on_error: Callable[[BaseException], None] | None = None,
                  on_end: Callable[[Job], None] | None = None) -> Job:
        """Run ``fn(*args)``, an engine generator function of :mod:`flowstudio.studio.engine.api`, as a visible
        job with progress, ETA and Cancel (each value it yields is one step).

        ``model_work`` jobs (classification) queue on the job thread behind
        model loads and encodings; file work (exports) runs on the file thread.
        """
        runner = self.jobs if model_work else self.io
        return runner.start(title, fn, *args, on_step=on_step, on_done=on_done, on_error=on_error, on_end=on_end)

    def shutdown(self) -> None:
        self.jobs.shutdown()
        self.io.shutdown()

    def _load_step(self, job: Job, value: Any) -> None:
        if not isinstance(value, _Loaded):
            return
        self._loading.remove(job)
        self._engine, self.device, self.devices = value.engine, value.device, value.devices
        self.checks = {}
        self.info = value.engine.info
        self._settle()
        self.modelLoaded.emit(self.info)

    def _load_ended(self, job: Job, on_cancel: Callable[[], None] | None) -> None:
        if job not in self._loading:  # it delivered its model
            return
        self._loading.remove(job)
        self._settle()
        if job.state == "cancelled" and on_cancel is not None:
            on_cancel()

    def _settle(self) -> None:
        """"loading" while a load is queued or running, else "ready" with a model or "failed" without."""
        self._set_state("loading" if self._loading else "ready" if self._engine is not None else "failed")

    def _set_state(self, state: str) -> None:
        if state != self.state:
            self.state = state
            self.stateChanged.emit(state)
