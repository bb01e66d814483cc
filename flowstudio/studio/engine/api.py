"""The engine functions the GUI hands to its worker threads, typed, and torch-free to import.

The engine modules (:mod:`.session`, :mod:`.export`, :mod:`.interpolation`,
:mod:`.classify`) import torch, which takes seconds, so the GUI thread must
not import them before a model is loaded: the window appears first.  Each
function here has the signature of the engine function it stands for and
imports that engine module inside its body, so the import happens on the
thread that runs it (a worker) and only when it runs.  The GUI passes these
function objects, not names, to :class:`~flowstudio.studio._qt.engine_host.EngineHost`'s
job runners, so a type checker or an IDE follows every call to its engine
function.

Generator functions stay generators (``return (yield from ...)``): the job
runners treat each value they yield as one step, which is what makes a job
cancellable.  The GUI thread itself may call the cheap ones (such as
:func:`set_verdicts`) once a model is loaded, when torch is imported anyway.
"""

from __future__ import annotations

from collections.abc import Generator, Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from flowstudio.studio.engine.classify import Classified, ClassifyProgress
    from flowstudio.studio.engine.export import DroppedRecipe, ExportProgress
    from flowstudio.studio.engine.interpolation import StripResult
    from flowstudio.studio.engine.session import EncodeProgress, Engine, SampleResult, SweepResult
    from flowstudio.studio.requests import StripRequest
    from flowstudio.studio.upscale import Upscale
    from flowstudio.transflow.diagnostics import EvidenceCheck
    from flowstudio.likelihood import LikelihoodSpec


# -- session: models and evidence --------------------------------------------------------
def open_engine(path: str | Path, device: str = "auto") -> Generator[str, None, Engine]:
    """:func:`.session.open_engine`: load a checkpoint stage by stage; returns the engine."""
    from flowstudio.studio.engine import session

    return (yield from session.open_engine(path, device))


def list_unread(paths: Iterable[str | Path], skip: Iterable[str] = ()) -> Iterator[EncodeProgress]:
    """:func:`.session.list_unread`: what an encoding does without a model (lists the files)."""
    from flowstudio.studio.engine import session

    return (yield from session.list_unread(paths, skip))


def set_verdicts(checks: list[EvidenceCheck]) -> list[EvidenceCheck]:
    """:func:`.session.set_verdicts`: each image's verdict within its set (cheap)."""
    from flowstudio.studio.engine import session

    return session.set_verdicts(checks)


# -- export: PNGs with their parameters --------------------------------------------------
def inspect_png(path: str | Path) -> DroppedRecipe | None:
    """:func:`.export.inspect_png`: the recipe in a dropped PNG, or ``None`` for a plain image."""
    from flowstudio.studio.engine import export

    return export.inspect_png(path)


def save_grid(engine: Engine, result: SampleResult, path: str | Path) -> Path:
    """:func:`.export.save_grid`."""
    from flowstudio.studio.engine import export

    return export.save_grid(engine, result, path)


def save_cell(engine: Engine, result: SampleResult, index: int, path: str | Path, up: Upscale | None = None) -> Path:
    """:func:`.export.save_cell`."""
    from flowstudio.studio.engine import export

    return export.save_cell(engine, result, index, path, up)


def save_cells(engine: Engine, result: SampleResult, folder: str | Path, stem: str,
               up: Upscale) -> Iterator[ExportProgress]:
    """:func:`.export.save_cells`."""
    from flowstudio.studio.engine import export

    return (yield from export.save_cells(engine, result, folder, stem, up))


def save_cell_as_example(engine: Engine, result: SampleResult, index: int, folder: str | Path) -> Path:
    """:func:`.export.save_cell_as_example`."""
    from flowstudio.studio.engine import export

    return export.save_cell_as_example(engine, result, index, folder)


def find_model(sha256: str, candidates: Iterable[str | Path | None]) -> Path | None:
    """:func:`flowstudio.studio.model_lookup.find_model` (reads model files: on the file thread)."""
    from flowstudio.studio import model_lookup

    return model_lookup.find_model(sha256, candidates)


def save_sweep(engine: Engine, result: SweepResult, path: str | Path) -> Path:
    """:func:`.export.save_sweep`."""
    from flowstudio.studio.engine import export

    return export.save_sweep(engine, result, path)


# -- interpolation -----------------------------------------------------------------------
def draw_strip(engine: Engine, request: StripRequest) -> StripResult | None:
    """:func:`.interpolation.draw_strip`."""
    from flowstudio.studio.engine import interpolation

    return interpolation.draw_strip(engine, request)


def save_strip(engine: Engine, result: StripResult, path: str | Path) -> Iterator[ExportProgress]:
    """:func:`.interpolation.save_strip`."""
    from flowstudio.studio.engine import interpolation

    return (yield from interpolation.save_strip(engine, result, path))


def save_strip_animation(engine: Engine, result: StripResult, path: str | Path) -> Iterator[ExportProgress]:
    """:func:`.interpolation.save_strip_animation`."""
    from flowstudio.studio.engine import interpolation

    return (yield from interpolation.save_strip_animation(engine, result, path))


def save_strip_frames(engine: Engine, result: StripResult, folder: str | Path,
                      stem: str = "interpolation") -> Iterator[ExportProgress]:
    """:func:`.interpolation.save_strip_frames`."""
    from flowstudio.studio.engine import interpolation

    return (yield from interpolation.save_strip_frames(engine, result, folder, stem))


# -- classify ----------------------------------------------------------------------------
def classify(engine: Engine, classes: dict[str, Sequence[str]], spec: LikelihoodSpec,
             queries: Sequence[str], method: str = "isotropic") -> Iterator[ClassifyProgress]:
    """:func:`.classify.classify`."""
    from flowstudio.studio.engine import classify as engine_classify

    return (yield from engine_classify.classify(engine, classes, spec, queries, method))


def classify_exact(engine: Engine, queries: Sequence[str]) -> Iterator[ClassifyProgress]:
    """:func:`.classify.classify_exact`."""
    from flowstudio.studio.engine import classify as engine_classify

    return (yield from engine_classify.classify_exact(engine, queries))


def write_csv(rows: Sequence[Classified], classes: Sequence[str], path: str | Path) -> Path:
    """:func:`.classify.write_csv`."""
    from flowstudio.studio.engine import classify as engine_classify

    return engine_classify.write_csv(rows, classes, path)


def copy_into_folders(rows: Sequence[Classified], dest: str | Path) -> Iterator[ClassifyProgress]:
    """:func:`.classify.copy_into_folders`."""
    from flowstudio.studio.engine import classify as engine_classify

    return (yield from engine_classify.copy_into_folders(rows, dest))


def write_fashion_queries(folder: str | Path, per_class: int, start: int = 2000) -> dict[str, str]:
    """:func:`.classify.write_fashion_queries`."""
    from flowstudio.studio.engine import classify as engine_classify

    return engine_classify.write_fashion_queries(folder, per_class, start)
