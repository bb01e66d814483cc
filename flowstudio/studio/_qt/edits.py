"""Every user edit as an undo command (``QUndoStack``): evidence edits and parameter changes.

:class:`Editor` is the one entry point widgets use.  Commands refer to sets
and images by uid, so they stay correct when other edits (or an encoding
job adding images) happen in between; an image or set that no longer
exists is skipped.  Dragging a slider produces many value changes but one
undo step: changes that carry the same ``drag`` token merge.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack

from flowstudio.studio._qt.document import QtDocument
from flowstudio.studio.state import EvidenceItem, EvidenceSet, PosteriorParams

PARAMS_COMMAND_ID = 1001


class ParamsCommand(QUndoCommand):
    def __init__(self, doc: QtDocument, old: PosteriorParams, new: PosteriorParams, text: str, drag: Any):
        super().__init__(text)
        self.doc, self.old, self.new, self.drag = doc, old, new, drag

    def id(self) -> int:
        return PARAMS_COMMAND_ID

    def mergeWith(self, other: QUndoCommand) -> bool:
        if self.drag is None or getattr(other, "drag", None) != self.drag:
            return False
        self.new = other.new
        return True

    def redo(self) -> None:
        self.doc.set_params(self.new)

    def undo(self) -> None:
        self.doc.set_params(self.old)


class FunctionCommand(QUndoCommand):
    """A command from a pair of functions; ``applied`` skips the first redo (the edit already happened)."""

    def __init__(self, text: str, redo: Callable[[], None], undo: Callable[[], None], applied: bool = False):
        super().__init__(text)
        self._redo, self._undo, self._skip = redo, undo, applied

    def redo(self) -> None:
        if self._skip:
            self._skip = False
            return
        self._redo()

    def undo(self) -> None:
        self._undo()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


class Editor:
    """The user's edits to the document, each one undoable."""

    def __init__(self, doc: QtDocument, stack: QUndoStack):
        self.doc = doc
        self.stack = stack

    # -- parameters -----------------------------------------------------------------
    def change_params(self, text: str = "Change parameters", drag: Any = None, **changes: Any) -> bool:
        """Change posterior parameters; returns False when nothing changed (no undo step)."""
        old = self.doc.params
        new = old.with_changes(**changes)
        if new == old:
            return False
        self.stack.push(ParamsCommand(self.doc, old, new, text, drag))
        return True

    # -- sets -----------------------------------------------------------------------
    def add_set(self, name: str, items: Sequence[EvidenceItem] = (), select: bool = True) -> EvidenceSet:
        new = EvidenceSet(self.doc.document.unique_set_name(name), list(items))
        self._push_insert_set(f"New set “{new.name}”", new, len(self.doc.sets), select)
        return new

    def duplicate_set(self, uid: str) -> EvidenceSet | None:
        source = self.doc.find_set(uid)
        if source is None:
            return None
        new = source.copy(self.doc.document.unique_set_name(f"{source.name} copy"))
        self._push_insert_set(f"Duplicate “{source.name}”", new, self.doc.document.set_index(uid) + 1, True)
        return new

    def _push_insert_set(self, text: str, new: EvidenceSet, index: int, select: bool) -> None:
        previous = self.doc.document.current

        def redo() -> None:
            self.doc.insert_set(index, new)
            if select:
                self.doc.set_current(new.uid)

        def undo() -> None:
            self.doc.remove_set(new.uid)
            self.doc.set_current(previous if self.doc.find_set(previous) else None)

        self.stack.push(FunctionCommand(text, redo, undo))

    def delete_set(self, uid: str) -> None:
        target = self.doc.find_set(uid)
        if target is None:
            return
        index, was_current = self.doc.document.set_index(uid), self.doc.document.current == uid

        def redo() -> None:
            self.doc.remove_set(uid)
            if was_current and self.doc.sets:
                self.doc.set_current(self.doc.sets[min(index, len(self.doc.sets) - 1)].uid)

        def undo() -> None:
            self.doc.insert_set(index, target)
            if was_current:
                self.doc.set_current(uid)

        self.stack.push(FunctionCommand(f"Delete set “{target.name}”", redo, undo))

    def rename_set(self, uid: str, name: str) -> None:
        target = self.doc.find_set(uid)
        name = name.strip()
        if target is None or not name or name == target.name:
            return
        old = target.name
        self.stack.push(FunctionCommand(f"Rename set to “{name}”", lambda: self.doc.rename_set(uid, name),
                                        lambda: self._if_set(uid, lambda: self.doc.rename_set(uid, old))))

    def _if_set(self, uid: str, action: Callable[[], None]) -> None:
        if self.doc.find_set(uid) is not None:
            action()

    def record_added_set(self, added: EvidenceSet, previous_current: str | None) -> None:
        """One undo step for a new set an encoding job already filled (see :mod:`.studio`)."""
        if self.doc.find_set(added.uid) is None:
            return
        index = self.doc.document.set_index(added.uid)

        def redo() -> None:
            self.doc.insert_set(index, added)
            self.doc.set_current(added.uid)

        def undo() -> None:
            self.doc.remove_set(added.uid)
            self.doc.set_current(previous_current if self.doc.find_set(previous_current) else None)

        text = f"Add set “{added.name}” ({_plural(len(added.items), 'image')})"
        self.stack.push(FunctionCommand(text, redo, undo, applied=True))

    # -- images ---------------------------------------------------------------------
    def record_added_items(self, set_uid: str, items: Sequence[EvidenceItem]) -> None:
        """One undo step for images an encoding job already appended (see :mod:`.studio`)."""
        if not items:
            return
        uids = [item.uid for item in items]
        self.stack.push(FunctionCommand(
            f"Add {_plural(len(items), 'image')}",
            redo=lambda: self.doc.append_items(set_uid, list(items)),
            undo=lambda: self.doc.remove_items(set_uid, uids), applied=True))

    def remove_items(self, set_uid: str, uids: Iterable[str]) -> None:
        s = self.doc.find_set(set_uid)
        uids = list(uids)
        if s is None or not uids:
            return
        removed: list[tuple[int, EvidenceItem]] = []

        def redo() -> None:
            removed[:] = self.doc.remove_items(set_uid, uids)

        def undo() -> None:
            for index, item in removed:
                self.doc.insert_items(set_uid, index, [item])

        self.stack.push(FunctionCommand(f"Remove {_plural(len(uids), 'image')}", redo, undo))

    def set_included(self, set_uid: str, uids: Iterable[str], included: bool) -> None:
        s = self.doc.find_set(set_uid)
        if s is None:
            return
        wanted = set(uids)
        targets = [item.uid for item in s.items if item.uid in wanted and item.included != included]
        if not targets:
            return
        verb = "Include" if included else "Exclude"
        self.stack.push(FunctionCommand(
            f"{verb} {_plural(len(targets), 'image')}",
            redo=lambda: self.doc.update_items(set_uid, {u: {"included": included} for u in targets}),
            undo=lambda: self.doc.update_items(set_uid, {u: {"included": not included} for u in targets})))
