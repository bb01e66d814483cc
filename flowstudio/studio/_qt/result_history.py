"""The project's history of results in the window: recording settled grids, stars, and "use these settings".

A grid is recorded once it has *settled*: it is the grid of the document's
current parameters and evidence, no newer one is being drawn, no mouse
button is held (a slider or a spin box being dragged), and it stayed so for
:data:`SETTLE_MS`.  So a λ drag adds one entry, for where it ended, not one
for every value it passed through.

The store (:class:`~flowstudio.studio.history.HistoryStore`) belongs to the
document's :attr:`~flowstudio.studio.state.Document.history_id`: opening
another project reads that project's history (on the file thread); every
change is written on the file thread too.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication

from flowstudio.studio._qt.views.describe import describe_sample
from flowstudio.studio.history import HistoryEntry, HistoryStore, HistoryWrite, prune_histories
from flowstudio.studio.paths import histories_dir, history_dir
from flowstudio.studio.state import SAMPLING_FIELDS

if TYPE_CHECKING:
    from flowstudio.studio._qt.studio import Studio

SETTLE_MS = 800
"""How long a grid must stay the current one (with no button held) before it joins the history."""


class ResultHistory(QObject):
    """The current project's :class:`HistoryStore`; ``changed`` whenever its entries do."""

    changed = Signal()

    def __init__(self, studio: Studio):
        super().__init__(studio)
        self.studio = studio
        self.store = HistoryStore(history_dir(studio.doc.document.history_id))
        self._candidate: Any = None
        self._reading = False  # the store is being read: a grid that settles meanwhile waits in _pending
        self._pending: Any = None
        self._settle = QTimer(self, singleShot=True, interval=SETTLE_MS, timeout=self._settled)
        studio.sampleRendered.connect(self._rendered)
        studio.doc.documentReplaced.connect(self._document_replaced)
        self._open(studio.doc.document.history_id, prune=True)

    @property
    def entries(self) -> list[HistoryEntry]:
        return self.store.entries

    def images(self, uid: str) -> Any:
        return self.store.images.get(uid)

    # -- recording ----------------------------------------------------------------------
    def _rendered(self, result: Any) -> None:
        self._candidate = result
        self._settle.start()

    def _settled(self) -> None:
        studio, result = self.studio, self._candidate
        if result is None:
            return
        if studio.grid.busy or QApplication.mouseButtons() != Qt.MouseButton.NoButton:
            self._settle.start()  # still moving: look again later
            return
        if result is studio.last_sample and result.request == studio.sample_request():
            self.record(result)
        self._candidate = None

    def record(self, result: Any) -> HistoryEntry | None:
        """Add ``result`` (a drawn grid) to the history now; ``None`` when it is the newest entry already
        (or the history is still being read: it is added once it is)."""
        if self._reading:
            self._pending = result
            return None
        request, info = result.request, self.studio.host.info
        current = self.studio.doc.current_set
        entry = HistoryEntry(params=request.params, set_name=request.set_name,
                             set_uid=current.uid if current is not None and current.name == request.set_name else None,
                             evidence=request.evidence if result.posterior is not None else (),
                             model_path=info.path if info else None, model_id=info.model_id if info else None,
                             model_sha256=info.sha256 if info else None, summary=describe_sample(result))
        if not self._write(self.store.add(entry, result.images)):
            return None
        return entry

    # -- changing -----------------------------------------------------------------------
    def set_starred(self, uid: str, starred: bool) -> None:
        """Star a grid (it is kept however many come after it) or remove its star."""
        self._write(self.store.set_starred(uid, starred))

    def remove(self, uid: str) -> None:
        self._write(self.store.remove(uid))

    def _write(self, write: HistoryWrite | None) -> bool:
        if write is None:
            return False
        self.changed.emit()
        self.studio.host.io.start("Saving the history", write.apply, visible=False,
                                  on_error=lambda exc: self.studio.notifier.warning(
                                      "The history could not be saved", f"{exc}. It stays in the window until "
                                      "you close it."))
        return True

    # -- using --------------------------------------------------------------------------
    def use_settings(self, uid: str) -> bool:
        """Restore a grid's parameters (seed included) and its evidence set; offer its model if another is open."""
        entry = self.store.find(uid)
        if entry is None:
            return False
        studio = self.studio
        when = time.strftime("%H:%M", time.localtime(entry.created))
        values = {name: getattr(entry.params, name) for name in SAMPLING_FIELDS if name != "seed_locked"}
        studio.edit.change_params(text=f"Use the settings of the result from {when}", **values)
        self._show_evidence(entry)
        info = studio.host.info
        if entry.model_sha256 and info is not None and entry.model_sha256 != info.sha256:
            studio.offer_model(entry.model_sha256, entry.model_id, [entry.model_path],
                               f"This result was drawn by {entry.model_id}; the open model is {info.model_id}.")
        return True

    def _show_evidence(self, entry: HistoryEntry) -> None:
        """Select the entry's set (the same one, or one with the same images), or rebuild it from its files."""
        studio = self.studio
        if not entry.evidence:
            return
        wanted = sorted(d for _, d in entry.evidence)
        same = studio.doc.find_set(entry.set_uid)
        if same is None or sorted(i.sha256 for i in same.usable_items()) != wanted:
            same = next((s for s in studio.doc.sets if sorted(i.sha256 for i in s.usable_items()) == wanted), same)
        if same is not None:
            studio.doc.set_current(same.uid)
            return
        found = [Path(p) for p, _ in entry.evidence if Path(p).is_file()]
        if found:
            studio.evidence.add_to_new_set(entry.set_name or "From the history", found)
        if len(found) < len(entry.evidence):
            studio.notifier.warning("Some example images of that result are gone",
                                    f"{len(entry.evidence) - len(found)} of {len(entry.evidence)} images were not "
                                    "found where they were; the samples may differ.")

    def close(self) -> None:
        """At exit: a grid that has not settled yet is not recorded (what was recorded is on disk already)."""
        self._settle.stop()
        self._candidate = None
        self.studio.sampleRendered.disconnect(self._rendered)

    # -- projects -----------------------------------------------------------------------
    def _document_replaced(self) -> None:
        history_id = self.studio.doc.document.history_id
        if self.store.folder.name != history_id:
            self._open(history_id)

    def _open(self, history_id: str, prune: bool = False) -> None:
        """Show the history of ``history_id`` (read on the file thread; empty until then)."""
        self.store = HistoryStore(history_dir(history_id))
        self._reading, self._pending = True, None
        self.changed.emit()

        def read() -> HistoryStore:
            if prune:
                prune_histories(histories_dir(), keep=history_id)
            return HistoryStore.read(history_dir(history_id))

        def opened(store: HistoryStore) -> None:
            if store.folder != self.store.folder:
                return  # another project was opened meanwhile
            self.store, self._reading = store, False
            self.changed.emit()
            if self._pending is not None:
                pending, self._pending = self._pending, None
                self.record(pending)

        def failed(exc: BaseException) -> None:
            self._reading = False
            self.studio.notifier.warning("The history could not be read", str(exc))

        self.studio.host.io.start("Reading the history", read, visible=False, on_done=opened, on_error=failed)
