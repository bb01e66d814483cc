"""The Qt adapter of the document: primitive edits that emit signals, so widgets can observe the pure state.

Widgets read :attr:`QtDocument.document` and listen to the signals; they
never call these primitives for user edits (those go through
:class:`flowstudio.studio._qt.edits.Editor`, which makes them undoable).
Item signals come in before/after pairs so list models can tell their views
exactly which rows change, which keeps a set of thousands of images
responsive.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import fields, replace
from typing import Any

from PySide6.QtCore import QObject, Signal

from flowstudio.studio.state import Document, EvidenceItem, EvidenceSet, PosteriorParams


class QtDocument(QObject):
    """Owns a :class:`~flowstudio.studio.state.Document` and announces every change to it."""

    paramsChanged = Signal(object)  # frozenset of changed PosteriorParams field names
    setsChanged = Signal()  # a set was added, removed or renamed
    currentSetChanged = Signal(object)  # uid or None
    itemsAboutToBeInserted = Signal(str, int, int)  # set uid, first row, last row
    itemsInserted = Signal(str)
    itemsAboutToBeRemoved = Signal(str, int, int)
    itemsRemoved = Signal(str)
    itemsChanged = Signal(str, int, int)  # set uid, first row, last row
    modelChanged = Signal()  # model_path / model_sha256 / device
    documentReplaced = Signal()

    def __init__(self, document: Document | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self.document = document or Document()

    # -- reading ----------------------------------------------------------------
    @property
    def params(self) -> PosteriorParams:
        return self.document.params

    @property
    def sets(self) -> list[EvidenceSet]:
        return self.document.sets

    @property
    def current_set(self) -> EvidenceSet | None:
        return self.document.current_set

    def find_set(self, uid: str | None) -> EvidenceSet | None:
        return self.document.find_set(uid)

    # -- whole document ---------------------------------------------------------
    def replace(self, document: Document) -> None:
        self.document = document
        self.documentReplaced.emit()
        self.setsChanged.emit()
        self.currentSetChanged.emit(document.current)
        self.paramsChanged.emit(frozenset(f.name for f in fields(PosteriorParams)))
        self.modelChanged.emit()

    def set_model(self, path: str | None, sha256: str | None, device: str | None = None) -> None:
        doc = self.document
        doc.model_path, doc.model_sha256 = path, sha256
        doc.device = device or doc.device
        self.modelChanged.emit()

    # -- parameters ---------------------------------------------------------------
    def set_params(self, params: PosteriorParams) -> None:
        old = self.document.params
        changed = frozenset(f.name for f in fields(params) if getattr(params, f.name) != getattr(old, f.name))
        if changed:
            self.document.params = params
            self.paramsChanged.emit(changed)

    # -- sets ---------------------------------------------------------------------
    def insert_set(self, index: int, evidence_set: EvidenceSet) -> None:
        self.document.sets.insert(index, evidence_set)
        self.setsChanged.emit()

    def remove_set(self, uid: str) -> tuple[int, EvidenceSet]:
        index = self.document.set_index(uid)
        removed = self.document.sets.pop(index)
        if self.document.current == uid:
            self.set_current(None)
        self.setsChanged.emit()
        return index, removed

    def rename_set(self, uid: str, name: str) -> None:
        self.document.find_set(uid).name = name
        self.setsChanged.emit()

    def set_current(self, uid: str | None) -> None:
        if uid != self.document.current:
            self.document.current = uid
            self.currentSetChanged.emit(uid)

    # -- items --------------------------------------------------------------------
    def insert_items(self, set_uid: str, index: int, items: Sequence[EvidenceItem]) -> None:
        s = self.document.find_set(set_uid)
        if s is None or not items:
            return
        index = min(index, len(s.items))
        self.itemsAboutToBeInserted.emit(set_uid, index, index + len(items) - 1)
        s.items[index:index] = list(items)
        self.itemsInserted.emit(set_uid)

    def append_items(self, set_uid: str, items: Sequence[EvidenceItem]) -> None:
        s = self.document.find_set(set_uid)
        if s is not None:
            self.insert_items(set_uid, len(s.items), items)

    def remove_items(self, set_uid: str, uids: Iterable[str]) -> list[tuple[int, EvidenceItem]]:
        """Remove items by uid (missing ones are ignored); returns ``(index, item)`` in ascending order."""
        s = self.document.find_set(set_uid)
        if s is None:
            return []
        wanted = set(uids)
        rows = [i for i, item in enumerate(s.items) if item.uid in wanted]
        removed = [(i, s.items[i]) for i in rows]
        for first, last in reversed(_runs(rows)):
            self.itemsAboutToBeRemoved.emit(set_uid, first, last)
            del s.items[first:last + 1]
            self.itemsRemoved.emit(set_uid)
        return removed

    def update_items(self, set_uid: str, changes: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Apply ``{item uid: {field: value}}``; returns the previous values (missing items are ignored)."""
        s = self.document.find_set(set_uid)
        if s is None:
            return {}
        previous: dict[str, dict[str, Any]] = {}
        rows = []
        for i, item in enumerate(s.items):
            change = changes.get(item.uid)
            if change:
                previous[item.uid] = {k: getattr(item, k) for k in change}
                s.items[i] = replace(item, **change)
                rows.append(i)
        for first, last in _runs(rows):
            self.itemsChanged.emit(set_uid, first, last)
        return previous


def _runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    """Ascending rows as ``(first, last)`` runs of consecutive numbers."""
    runs: list[tuple[int, int]] = []
    for row in rows:
        if runs and row == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], row)
        else:
            runs.append((row, row))
    return runs
