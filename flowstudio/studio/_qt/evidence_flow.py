"""Getting images into evidence sets: read and encoded on the job thread, batch by batch, never lost.

Adding: dropped files and folders are read and encoded one batch at a time;
each batch's images join the set as soon as they are encoded (thumbnails and
bits/dim appear while the rest is read), and the whole addition becomes one
undo step when the job ends, whether it finished or was cancelled.  Files
that cannot be read are listed in one message; the rest of the set is kept.
A folder becomes a set named after it; a folder added to an empty set that
still has a new set's name ("New set 2") gives that set its name.

Re-reading: images already in the document (a project, a restored crash, a
set after the model changed) are encoded again when their set is shown.
Files that cannot be read stay in the set, marked, and are left out of the
samples.

Conversions: the core's loader says what it did to each file to fit the
model (colour made grey, cropped, shrunk: :class:`~flowstudio.data.images.Conversion`);
each set's summary under the open model is :meth:`EvidenceFlow.conversion_note`
(the Evidence panel shows it), and a message says it once per set and model,
and again for images added later.  Items keep their original files' paths,
so a set read again for another model starts from the originals.

Verdicts: each image is judged alone when encoded (far outside what the
model knows?) and again within its set (far less likely than the rest of
it?, the core's :func:`~flowstudio.transflow.flag_set_outliers`), which is
redone whenever a set's images change.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtGui import QImage

from flowstudio.data.images import describe_conversions
from flowstudio.resources import example_sets
from flowstudio.studio._qt.workers import Job
from flowstudio.studio.drops import plan_drop
from flowstudio.studio.engine import api
from flowstudio.studio.paths import pasted_images_dir
from flowstudio.studio.state import EvidenceItem, EvidenceSet

if TYPE_CHECKING:
    from flowstudio.studio._qt.studio import Studio

MAX_DETAILS = 200
NEW_SET = "New set"
"""The name of a set the user has not named yet; a folder added to such an empty set names it."""


def named_by_default(name: str) -> bool:
    """Whether a set still has the name a new set gets (``New set``, ``New set 2``, ...)."""
    return re.fullmatch(rf"{re.escape(NEW_SET)}( \d+)?", name) is not None


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def plural_was(n: int, word: str) -> str:
    """``"1 image was"``, ``"2 images were"``."""
    return f"{plural(n, word)} {'was' if n == 1 else 'were'}"


def problem_lines(errors: list[tuple[str, str]]) -> list[str]:
    """``"path: reason"`` lines for a message's details (the first :data:`MAX_DETAILS`)."""
    lines = [f"{path}: {reason}" for path, reason in errors[:MAX_DETAILS]]
    if len(errors) > MAX_DETAILS:
        lines.append(f"... and {len(errors) - MAX_DETAILS} more")
    return lines


class EvidenceFlow:
    def __init__(self, studio: Studio):
        self.studio = studio
        self._rereading: dict[str, set[str]] = {}  # set uid -> paths being re-read for it
        self._adding: dict[str, int] = {}  # set uid -> number of jobs adding images to it
        self._to_judge: set[str] = set()  # sets whose images changed since their verdicts
        self.conversions: dict[str, Any] = {}  # path -> what loading did to it, under the open model
        self._conversions_of: str | None = None  # the model those conversions are for
        self._told: set[tuple[str, str]] = set()  # (set uid, model path) whose conversions were reported
        self._judge_timer = QTimer(studio, singleShot=True, interval=0, timeout=self._judge_sets)
        for signal in (studio.doc.itemsInserted, studio.doc.itemsRemoved):
            signal.connect(self._images_changed)

    # -- adding -----------------------------------------------------------------------
    def add(self, paths: Iterable[str | Path], set_uid: str | None = None, new_set: bool = False,
            record_undo: bool = True) -> list[Job]:
        """Add image files and folders as evidence.

        With ``set_uid`` everything goes into that set.  Otherwise each folder
        becomes a new set named after it, and loose files go into the current
        set (a new one if there is none, or with ``new_set``).
        """
        paths = [Path(p) for p in paths]
        if set_uid is not None:
            return [self._add_to_set(set_uid, paths, record_undo)]
        plan = plan_drop(paths)
        jobs = [self.add_to_new_set(folder.name or "Set", [folder], record_undo) for folder in plan.folders]
        loose = plan.files + ([plan.maybe_recipe] if plan.maybe_recipe else [])
        if loose:
            current = self.studio.doc.current_set
            if current is None or new_set:
                jobs.append(self.add_to_new_set(NEW_SET, loose, record_undo))
            else:
                jobs.append(self._add_to_set(current.uid, loose, record_undo))
        return jobs

    def add_to_new_set(self, name: str, paths: list[Path], record_undo: bool = True) -> Job:
        doc, edit = self.studio.doc, self.studio.edit
        new = EvidenceSet(doc.document.unique_set_name(name))
        previous = doc.document.current
        doc.insert_set(len(doc.sets), new)
        doc.set_current(new.uid)
        return self._encode_into(new, paths, lambda added: record_undo and edit.record_added_set(new, previous))

    def _add_to_set(self, set_uid: str, paths: list[Path], record_undo: bool) -> Job:
        doc, edit = self.studio.doc, self.studio.edit
        target = doc.find_set(set_uid)
        if len(paths) == 1 and paths[0].is_dir() and not target.items and named_by_default(target.name):
            edit.rename_set(set_uid, doc.document.unique_set_name(paths[0].name or target.name))
        return self._encode_into(target, paths,
                                 lambda added: record_undo and edit.record_added_items(set_uid, added))

    def _encode_into(self, target: EvidenceSet, paths: list[Path],
                     record: Callable[[list[EvidenceItem]], Any]) -> Job:
        added: list[EvidenceItem] = []
        errors: list[tuple[str, str]] = []

        def on_step(engine: Any, step: Any) -> None:
            if self._stale(engine):
                return
            self._remember(step.images)
            known = target.paths()
            items = [EvidenceItem(i.path, i.sha256) if i.check is None else
                     EvidenceItem(i.path, i.sha256, bpd=i.check.score, unlikely=i.check.unlikely, reason=i.check.reason,
                                  unit=i.check.unit, reconstruction=i.check.reconstruction)
                     for i in step.images if i.path not in known]
            items += [EvidenceItem(path) for path in step.unread if path not in known]  # read by the next model
            self.studio.doc.append_items(target.uid, items)
            added.extend(items)
            errors.extend(step.errors)

        def on_end(job: Job) -> None:
            self._adding[target.uid] -= 1
            if not self._adding[target.uid]:
                del self._adding[target.uid]
            record(added)
            self._report_added(target.name, job, added, errors)
            self._tell_conversions(target, [item.path for item in added])
            self.studio.request_render()

        self._adding[target.uid] = self._adding.get(target.uid, 0) + 1
        return self.studio.host.encode(f"Adding images to “{target.name}”", [str(p) for p in paths],
                                       sorted(target.paths()), on_step, on_end, self._failed)

    def _report_added(self, name: str, job: Job, added: list[EvidenceItem], errors: list[tuple[str, str]]) -> None:
        notifier = self.studio.notifier
        if job.state == "cancelled":
            notifier.info("Adding images cancelled", f"{plural_was(len(added), 'image')} added to “{name}” "
                                                     "before you cancelled.")
        if errors:
            notifier.warning(f"{plural(len(errors), 'file')} could not be added to “{name}”",
                             f"{plural_was(len(added), 'image')} added; these were skipped:",
                             details=problem_lines(errors))

    # -- conversions ----------------------------------------------------------------------
    def conversion_note(self, set_uid: str | None) -> str:
        """What loading did to the set's images to fit the open model, in one sentence (empty: nothing)."""
        target = self.studio.doc.find_set(set_uid)
        info = self.studio.host.info
        if target is None or info is None:
            return ""
        c, h, w = info.image_shape
        return describe_conversions(self._known(target.items), c, (h, w))

    def _known(self, items: Iterable[EvidenceItem | str]) -> list[Any]:
        """The conversions of these items (or paths) read by the open model (none from an earlier one)."""
        info = self.studio.host.info
        if info is None or info.path != self._conversions_of:
            return []
        paths = [item if isinstance(item, str) else item.path for item in items]
        return [self.conversions[p] for p in paths if p in self.conversions]

    def suits_model(self, set_uid: str) -> bool | None:
        """Whether the set's images have the open model's channels (colour for a colour model, grey for a
        grey one): false when most of its read images had to be made grey or given colour; ``None`` when
        none of them has been read for this model yet."""
        target = self.studio.doc.find_set(set_uid)
        known = self._known(target.items) if target else []
        if not known:
            return None
        return sum(c.made_grey or c.made_colour for c in known) * 2 <= len(known)

    def _tell_conversions(self, target: EvidenceSet, added: list[str] | None = None) -> None:
        """Say what was converted: for ``added`` images, or for the whole set once per model."""
        info = self.studio.host.info
        if info is None:
            return
        if added is None:
            readable = [item.path for item in target.items if not item.error]
            if (target.uid, info.path) in self._told or len(self._known(readable)) < len(readable):
                return  # told already, or not all read by this model yet (a later reading tells)
            paths = readable
        else:
            paths = added
        c, h, w = info.image_shape
        note = describe_conversions(self._known(paths), c, (h, w))
        self._told.add((target.uid, info.path))
        if note:
            self.studio.notifier.info(f"Images of “{target.name}” were converted for this model",
                                      note[0].upper() + note[1:] + ". Your files are not changed.")

    # -- re-reading ---------------------------------------------------------------------
    def needs_encoding(self, item: EvidenceItem, retry_errors: bool = True) -> bool:
        if item.error and not retry_errors:
            return False
        if not self.studio.host.engine.capabilities.invertible_latent:  # read for the thumbnail only
            return not item.sha256 or self.studio.thumbnails.pixels(item.sha256) is None
        return not item.sha256 or not self.studio.host.is_encoded(item.sha256) or item.bpd is None

    def ensure_encoded(self, set_uid: str | None = None, retry_errors: bool = True) -> Job | None:
        """(Re-)encode the images of a set (default: the current one) the current model has not seen yet.

        Files that could not be read are tried again only with ``retry_errors``
        (when a set is shown, a project opened or a model loaded).
        """
        studio = self.studio
        target = studio.doc.find_set(set_uid or studio.doc.document.current)
        if target is None or studio.host.engine is None:
            return None
        queued = self._rereading.setdefault(target.uid, set())
        paths = sorted({item.path for item in target.items if self.needs_encoding(item, retry_errors)} - queued)
        if not paths:
            return None
        queued.update(paths)
        errors: list[tuple[str, str]] = []

        def on_step(engine: Any, step: Any) -> None:
            if self._stale(engine):
                return
            self._remember(step.images)
            found = {i.path: i for i in step.images}
            failed = dict(step.errors)
            changes = {}
            for item in target.items:
                if item.path in found:
                    i = found[item.path]
                    changes[item.uid] = {"sha256": i.sha256, "error": ""} if i.check is None else {
                        "sha256": i.sha256, "bpd": i.check.score, "unlikely": i.check.unlikely,
                        "reason": i.check.reason, "error": "", "unit": i.check.unit,
                        "reconstruction": i.check.reconstruction}
                elif item.path in failed:
                    changes[item.uid] = {"error": failed[item.path]}
            studio.doc.update_items(target.uid, changes)
            errors.extend(step.errors)
            self._images_changed(target.uid)

        def on_end(job: Job) -> None:
            queued.difference_update(paths)
            if target.uid == studio.doc.document.current:  # steps of a replaced model were skipped: redo them
                self.ensure_encoded(target.uid, retry_errors=False)
            studio.request_render()
            self._tell_conversions(target)
            if errors:
                studio.notifier.warning(f"{plural(len(errors), 'image')} of “{target.name}” cannot be read",
                                        "They stay in the set, marked, and are left out of the samples.",
                                        details=problem_lines(errors))

        return studio.host.encode(f"Reading “{target.name}”", paths, [], on_step, on_end, self._failed)

    def judge_set(self, set_uid: str) -> None:
        """Redo the set's verdicts: each image alone, and within the set (see the module docstring)."""
        studio = self.studio
        target = studio.doc.find_set(set_uid)
        if target is None:
            return
        judged = [(item, studio.host.checks[item.sha256]) for item in target.items
                  if not item.error and item.sha256 in studio.host.checks]
        verdicts = api.set_verdicts([check for _, check in judged]) if judged else []
        studio.doc.update_items(set_uid, {
            item.uid: {"bpd": v.score, "unlikely": v.unlikely, "reason": v.reason}
            for (item, _), v in zip(judged, verdicts) if (item.bpd, item.unlikely, item.reason) != (
                v.score, v.unlikely, v.reason)})

    def _images_changed(self, set_uid: str) -> None:
        self._to_judge.add(set_uid)
        self._judge_timer.start()

    def _judge_sets(self) -> None:
        while self._to_judge:
            self.judge_set(self._to_judge.pop())

    def reading(self, evidence_set: EvidenceSet | None) -> bool:
        """Whether the set's images are being read and none is ready yet."""
        if evidence_set is None or any(self.studio.host.is_encoded(i.sha256) for i in evidence_set.usable_items()):
            return False
        return evidence_set.uid in self._adding or bool(self._rereading.get(evidence_set.uid))

    # -- other sources ------------------------------------------------------------------
    @staticmethod
    def example_names() -> list[str]:
        return list(example_sets())

    def open_example(self, name: str, record_undo: bool = True, examples: dict[str, Path] | None = None) -> Job | None:
        """Show the example set ``name`` of ``examples`` (default: Fashion-MNIST's), added as a set the first time."""
        doc = self.studio.doc
        existing = next((s for s in doc.sets if s.name == name), None)
        if existing is not None:
            doc.set_current(existing.uid)
            return None
        return self.add_to_new_set(name, [(examples or example_sets())[name]], record_undo)

    def paste_image(self, image: QImage) -> list[Job]:
        """Save a pasted image under the app's data folder (evidence is always a file) and add it."""
        path = pasted_images_dir() / time.strftime(f"pasted-%Y%m%d-%H%M%S-{random.randrange(10**4):04d}.png")
        if not image.save(str(path), "PNG"):
            self.studio.notifier.error("Could not paste the image", f"Saving it to {path.parent} failed.")
            return []
        return self.add([path])

    # -- shared -------------------------------------------------------------------------
    def _stale(self, engine: Any) -> bool:
        """A step of a model the window has replaced since (its verdicts no longer apply)."""
        return engine is not self.studio.host.engine

    def _remember(self, images: list[Any]) -> None:
        model = self.studio.host.info.path if self.studio.host.info is not None else None
        if model != self._conversions_of:  # another model: other sizes and channels
            self.conversions.clear()
            self._conversions_of = model
        for image in images:
            self.studio.thumbnails.add(image.sha256, image.pixels)
            self.conversions[image.path] = image.conversion
        self.studio.host.record(image for image in images if image.check is not None)

    def _failed(self, exc: BaseException) -> None:
        self.studio.notifier.error("Could not read the images", str(exc))
