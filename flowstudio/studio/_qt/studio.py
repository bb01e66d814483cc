"""The studio's behaviour, without its widgets: start-up, models, drops, live redraws, exports.

:class:`Studio` owns the document (with its undo stack), the engine host,
the two latest-wins renderers (the sample grid and the lambda sweep), and
two helpers: :attr:`Studio.evidence` (:mod:`.evidence_flow`: images into
sets) and :attr:`Studio.projects` (:mod:`.project_files`: project files and
crash recovery).  The window and the panels call these methods, the same
ones the tests call.

Redraws: any change to the parameters, the current set's included images or
the model asks the renderers for a new grid; they draw only the latest
request, on their own thread, from cached evidence statistics.  While a
set's first images are still being read, nothing is drawn (rather than
samples of the model's prior that would vanish a moment later).
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from flowstudio.resources import bundled_examples, default_model_path
from flowstudio.studio._qt.collector import GuiThreadCollector
from flowstudio.studio._qt.document import QtDocument
from flowstudio.studio._qt.edits import Editor
from flowstudio.studio._qt.engine_host import EngineHost
from flowstudio.studio._qt.evidence_flow import EvidenceFlow, plural
from flowstudio.studio._qt.notifications import Notifier
from flowstudio.studio._qt.project_files import ProjectFiles
from flowstudio.studio._qt.result_actions import ResultActions
from flowstudio.studio._qt.result_history import ResultHistory
from flowstudio.studio._qt.settings import Preferences
from flowstudio.studio._qt.thumbnails import ThumbnailStore
from flowstudio.studio._qt.training_host import TrainingHost
from flowstudio.studio._qt.workers import Job, LatestWinsRenderer
from flowstudio.studio.drops import plan_drop
from flowstudio.studio.engine import api
from flowstudio.studio.requests import LabelChoice, SampleRequest
from flowstudio.studio.state import MAX_SEED, Document

STARTUP_SET = "sneakers"
FREEZE_AFTER_MS = 300
"""After the first grid is drawn, wait this long (for its paint) before freezing the start-up objects."""


def _draw_grid(job: tuple[Any, Any]) -> Any:
    engine, request = job
    return engine.sample(request)


def _draw_sweep(job: tuple[Any, Any]) -> Any:
    engine, request = job
    return engine.sweep(request)


class Studio(QObject):
    """Document + engine + renderers, and every operation the window offers."""

    sampleRendered = Signal(object)  # SampleResult
    sweepRendered = Signal(object)  # SweepResult, or None without evidence

    def __init__(self, prefs: Preferences, parent: QObject | None = None):
        super().__init__(parent)
        self.prefs = prefs
        self.doc = QtDocument(Document(params=prefs.params, device=prefs.get("device")), self)
        self.undo = QUndoStack(self)
        self.edit = Editor(self.doc, self.undo)
        self.notifier = Notifier(self)
        self.collector = GuiThreadCollector(self)  # cyclic garbage collected on this thread only
        self.collector.start()
        self.host = EngineHost(self)
        self.training = TrainingHost(self)
        self.thumbnails = ThumbnailStore()
        self.grid = LatestWinsRenderer(_draw_grid, parent=self)
        self.sweep = LatestWinsRenderer(_draw_sweep, parent=self)
        self.sweep_wanted = False
        self.renderers = [self.grid, self.sweep]  # panels add their own: counted as busy, shut down at exit
        self.last_sample: Any = None
        self.last_sweep: Any = None
        self.label_choice: LabelChoice | None = None
        """What a label-conditioned model draws (the Samples view's mode); ``None``: the plain grid."""
        self.evidence = EvidenceFlow(self)
        self.projects = ProjectFiles(self)
        self.history = ResultHistory(self)
        self.results = ResultActions(self)

        self.grid.rendered.connect(self._grid_rendered)
        self.sweep.rendered.connect(self._sweep_rendered)
        for renderer in (self.grid, self.sweep):
            renderer.failed.connect(lambda _, exc: self.notifier.error("Drawing failed", str(exc)))
        self.host.modelLoaded.connect(self._model_loaded)
        doc = self.doc
        doc.paramsChanged.connect(self._params_changed)
        doc.currentSetChanged.connect(self._current_set_changed)
        doc.documentReplaced.connect(self._document_replaced)
        for signal in (doc.itemsInserted, doc.itemsRemoved):
            signal.connect(self._items_changed)
        doc.itemsChanged.connect(self._items_changed)

    # -- start-up ---------------------------------------------------------------------
    def start(self, project: str | Path | None = None, model: str | Path | None = None) -> None:
        """Open ``project``, else the project open when the last session ended, else the welcome state.

        The welcome state is ``model`` (else the last model used) with an
        example set bundled for it, or no set for a model without any: the
        examples shown always belong to the model.  Then crash recovery is
        offered.
        """
        last = self.prefs.last_project if model is None else None
        wanted = project or (last if last and Path(last).is_file() else None)
        if wanted is None or not self.projects.open(wanted):
            self.open_welcome(model)
        self.projects.offer_recovery()

    def open_welcome(self, model: str | Path | None = None) -> None:
        """The model (default: the last one used) with its bundled example set, if it has one."""
        path = str(model or self._startup_model())
        self.load_model(path, self.doc.document.device)
        examples = bundled_examples(path)
        if examples:
            self.evidence.open_example(STARTUP_SET if STARTUP_SET in examples else next(iter(examples)),
                                       record_undo=False, examples=examples)

    def _startup_model(self) -> str:
        last = self.prefs.last_model
        return last if last and Path(last).is_file() else str(default_model_path())

    # -- model ------------------------------------------------------------------------
    def load_model(self, path: str, device: str | None = None) -> Job:
        self.grid.invalidate()
        self.sweep.invalidate()
        device = device or self.doc.document.device
        return self.host.load(path, device, on_error=lambda exc: self.notifier.error(
            f"Could not open {Path(path).name}", str(exc)), on_cancel=lambda: self._load_cancelled(path))

    def _load_cancelled(self, path: str) -> None:
        info = self.host.info
        kept = (f"{Path(info.path).name} stays open." if info is not None
                else "No model is open: choose one in the Model panel, or drop a .safetensors file.")
        self.notifier.info(f"Stopped loading {Path(path).name}", kept)

    def set_device(self, device: str) -> Job | None:
        """Reload the model on ``device``; the choice is kept once the model is there (not if the load fails)."""
        if self.host.info is not None:
            return self.load_model(self.host.info.path, device)
        self.prefs.set("device", device)
        return None

    def _model_loaded(self, info: Any) -> None:
        self.thumbnails.clear()
        self.prefs.add_recent_model(info.path)
        self.prefs.set("device", self.host.device)
        self.doc.set_model(info.path, info.sha256, self.host.device)
        stale = {"bpd": None, "unlikely": False, "reason": ""}
        for s in self.doc.sets:  # verdicts belong to the previous model; images are re-read when shown
            self.doc.update_items(s.uid, {item.uid: dict(stale) for item in s.items})
        self.evidence.ensure_encoded()
        self.request_render()

    # -- drops ------------------------------------------------------------------------
    def handle_drop(self, paths: Iterable[str | Path], set_uid: str | None = None, new_set: bool = False,
                    as_examples: bool = False) -> None:
        """What a drop does (see :mod:`flowstudio.studio.drops`).

        A Flow Studio PNG dropped on the Evidence panel (``as_examples``) is
        added like any image, with a button to restore its settings instead;
        dropped anywhere else, its settings are restored.
        """
        plan = plan_drop(list(paths))
        if plan.model is not None:
            self.load_model(str(plan.model))
        if plan.maybe_recipe is not None:
            png = plan.maybe_recipe
            if as_examples:
                self._add_png_as_example(png, set_uid, new_set)
            else:
                self.host.run_file_task("Reading parameters", api.inspect_png, str(png),
                                        on_done=lambda dropped: self._dropped_png(png, dropped, set_uid, new_set),
                                        on_error=lambda exc: self.notifier.warning(
                                            f"Cannot restore from {png.name}", str(exc)))
        rest = plan.folders + plan.files
        if rest:
            self.evidence.add(rest, set_uid, new_set)

    def _dropped_png(self, png: Path, dropped: Any, set_uid: str | None, new_set: bool) -> None:
        if dropped is None:  # a plain image: evidence
            self.evidence.add([png], set_uid, new_set)
        else:
            self.apply_recipe(dropped)

    def _add_png_as_example(self, png: Path, set_uid: str | None, new_set: bool) -> None:
        """Add a dropped PNG as an example; if it holds settings, offer to restore them instead."""
        before = self.doc.find_set(set_uid or (None if new_set else self.doc.document.current))
        was_there = before is not None and str(png) in before.paths()
        self.evidence.add([png], set_uid, new_set)
        target = set_uid or self.doc.document.current

        def instead(dropped: Any) -> None:
            if not was_there and self.doc.find_set(target) is not None:
                s = self.doc.find_set(target)
                self.edit.remove_items(target, [i.uid for i in s.items if i.path == str(png)])
            self.apply_recipe(dropped)

        def read(dropped: Any) -> None:
            if dropped is not None:
                self.notifier.info(f"{png.name} was added as an example",
                                   "It also holds the settings it was drawn with.",
                                   actions=[("Restore its settings instead", lambda: instead(dropped))])

        self.host.run_file_task("Reading parameters", api.inspect_png, str(png), on_done=read,
                                on_error=lambda exc: None)  # settings of another kind: it is just an image

    def apply_recipe(self, dropped: Any) -> None:
        """Restore a dropped PNG's parameters, and its evidence set when the files are found by path."""
        recipe, name = dropped.recipe, Path(dropped.png).name
        self.edit.change_params(text=f"Restore parameters from {name}", **recipe.params)
        if dropped.found:
            wanted = sorted(ref.sha256 for ref in recipe.evidence or ())
            same = next((s for s in self.doc.sets if sorted(i.sha256 for i in s.usable_items()) == wanted), None)
            if same is not None:
                self.doc.set_current(same.uid)
            else:
                self.evidence.add_to_new_set(recipe.set_name or Path(dropped.png).stem,
                                             [Path(p) for p in dropped.found])
        lost = [f"{p}: not found" for p in dropped.missing] + [f"{p}: changed since" for p in dropped.changed]
        if lost:
            self.notifier.warning(f"{plural(len(lost), 'evidence image')} of {name} could not be used",
                                  "The parameters were restored; these images were not found as they were:",
                                  details=lost)
        info = self.host.info
        if recipe.model_sha256 and info is not None and recipe.model_sha256 != info.sha256:
            self.offer_model(recipe.model_sha256, [recipe.model_path],
                             f"{name} was drawn by {recipe.model_id}; the open model is {info.model_id}.")
        self.notifier.success(f"Restored parameters from {name}")

    def offer_model(self, sha256: str, hints: list[str | None], text: str) -> Job:
        """Say that a result was drawn by another model, with a button that opens it when its file is found
        (at a recorded path, among the recent models or the bundled ones)."""
        def found(path: Path | None) -> None:
            if path is None:
                self.notifier.warning("Made with a different model", f"{text} That model is not among the recent "
                                      "or bundled ones: open it from the Model panel to reproduce the images exactly.")
            else:
                self.notifier.warning("Made with a different model", f"{text} Open {path.name} to reproduce the "
                                      "images exactly.", actions=[("Open that model",
                                                                   lambda: self.load_model(str(path)))])

        return self.host.run_file_task("Looking for the model", api.find_model, sha256,
                                       [*hints, *self.prefs.recent_models], on_done=found,
                                       on_error=lambda exc: found(None))

    # -- parameters and drawing -----------------------------------------------------------
    def reroll_seed(self) -> bool:
        """A new random base seed (not when the seed is locked)."""
        if self.doc.params.seed_locked:
            self.notifier.info("The seed is locked", "Unlock it to roll a new one.")
            return False
        return self.edit.change_params(text="Roll a new seed", seed=random.randrange(MAX_SEED))

    def sample_request(self) -> SampleRequest:
        s = self.doc.current_set
        evidence = tuple((i.path, i.sha256) for i in (s.usable_items() if s else [])
                         if self.host.is_encoded(i.sha256))
        info = self.host.info
        labels = self.label_choice if info is not None and info.label_names else None
        return SampleRequest(evidence, self.doc.params, s.name if s else "", labels)

    def set_label_choice(self, choice: LabelChoice | None) -> None:
        """Draw by label (or the plain grid, ``None``) from now on, and redraw."""
        if choice != self.label_choice:
            self.label_choice = choice
            self.request_render()

    def request_render(self) -> None:
        engine = self.host.engine
        if engine is None or not self.host.ready or self.evidence.reading(self.doc.current_set):
            return
        request = self.sample_request()
        self.grid.request((engine, request))
        if self.sweep_wanted:
            self.sweep.request((engine, request))

    def set_sweep_wanted(self, wanted: bool) -> None:
        """The sweep is drawn only while it is on screen (it costs several grids)."""
        self.sweep_wanted = wanted
        if wanted:
            self.request_render()

    @property
    def busy(self) -> bool:
        """Anything still running: a job, a file task or a redraw (the panels' too)."""
        return bool(self.host.jobs.active or self.host.io.active or any(r.busy for r in self.renderers)
                    or self.host.state == "loading")

    def _grid_rendered(self, _: Any, result: Any) -> None:
        if self.last_sample is None:  # the first grid is on screen: a good moment for the one long collection
            QTimer.singleShot(FREEZE_AFTER_MS, self.collector, self.collector.freeze_startup_objects)
        self.last_sample = result
        self.sampleRendered.emit(result)

    def _sweep_rendered(self, _: Any, result: Any) -> None:
        self.last_sweep = result
        self.sweepRendered.emit(result)

    def _params_changed(self, changed: frozenset[str]) -> None:
        if changed - {"seed_locked"}:
            self.request_render()

    def _current_set_changed(self, _: Any) -> None:
        self.grid.invalidate()
        self.sweep.invalidate()
        self.evidence.ensure_encoded()
        self.request_render()

    def _items_changed(self, set_uid: str, *_: Any) -> None:
        if set_uid == self.doc.document.current:
            self.request_render()

    def _document_replaced(self) -> None:
        self.grid.invalidate()
        self.sweep.invalidate()

    # -- exports ------------------------------------------------------------------------
    def export(self, what: str, path: str | Path, result: Any = None, *args: Any) -> Job | None:
        """Save ``"grid"``, ``"cell"`` (args: index; enlarged as :attr:`results` says) or ``"sweep"`` as a PNG
        with its parameters.

        ``result`` defaults to what is on screen (the latest grid or sweep).
        """
        result = result or (self.last_sweep if what == "sweep" else self.last_sample)
        if result is None or self.host.engine is None:
            self.notifier.info("Nothing to export yet", "Wait for the samples to appear, then export again.")
            return None
        path = Path(path)
        self.prefs.set("export_dir", str(path.parent))
        save = {"grid": api.save_grid, "cell": api.save_cell, "sweep": api.save_sweep}[what]
        enlarged = (self.results.upscale,) if what == "cell" else ()  # as the user chose for cells
        return self.host.run_file_task(f"Exporting {path.name}", save, self.host.engine, result, *args, str(path),
                                       *enlarged,
                                       on_done=lambda _: self.notifier.success(f"Saved {path.name}",
                                                                               "Its parameters are inside the PNG."),
                                       on_error=lambda exc: self.notifier.error(f"Could not save {path.name}",
                                                                                str(exc)))

    # -- shutdown -----------------------------------------------------------------------
    def running_work(self) -> list[str]:
        """What quitting would stop: visible jobs and a training run (the quit guard asks first)."""
        work = [job.title for job in self.host.jobs.active if job.visible]
        return work + ([self.training.describe()] if self.training.running else [])

    def shutdown(self) -> None:
        """Stop everything, wait for the threads, and delete this session's recovery file (a normal exit)."""
        self.training.shutdown()
        self.history.close()
        for renderer in self.renderers:
            renderer.shutdown()
        self.host.shutdown()
        self.projects.close()
        self.prefs.params = self.doc.params  # the next session starts where this one ended
        self.prefs.sync()
        self.collector.stop()
