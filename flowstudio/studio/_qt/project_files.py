"""Projects on disk: new, open, save (``*.flowstudio.json``), and crash recovery by autosave.

Every project opened or saved goes to the front of the recent projects, and
the one open last is what the next start opens (see
:meth:`~flowstudio.studio._qt.studio.Studio.start`); a new, untitled
project makes the next start open the welcome state instead.

Files are written on the file thread, atomically; the document is turned
into text on the GUI thread first, so a write never sees a half-edited
document.  Every few seconds, if anything changed, this session's recovery
file is rewritten (:mod:`flowstudio.studio.autosave`); at start-up, work a
crashed session left behind is offered back in a notification.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from flowstudio.resources import default_model_path
from flowstudio.studio._qt.evidence_flow import plural
from flowstudio.studio._qt.workers import Job
from flowstudio.studio.autosave import AutosaveSession, Recovery
from flowstudio.studio.paths import write_text_atomic
from flowstudio.studio.state import Document, PosteriorParams, ProjectError

if TYPE_CHECKING:
    from flowstudio.studio._qt.studio import Studio

MIN_AUTOSAVE_S = 5


class ProjectFiles(QObject):
    changed = Signal()  # the project's path or its saved state changed (the window title)

    def __init__(self, studio: Studio):
        super().__init__(studio)
        self.studio = studio
        self.path: Path | None = None
        self.autosave = AutosaveSession()
        self._dirty = False
        self._autosave_warned = False
        self._timer = QTimer(self, timeout=self.autosave_now)
        self._timer.start(max(MIN_AUTOSAVE_S, studio.prefs.get("autosave_seconds")) * 1000)
        doc = studio.doc
        for signal in (doc.paramsChanged, doc.setsChanged, doc.itemsInserted, doc.itemsRemoved, doc.itemsChanged,
                       doc.documentReplaced):
            signal.connect(self._mark_dirty)
        studio.undo.cleanChanged.connect(self._clean_changed)

    @property
    def modified(self) -> bool:
        return not self.studio.undo.isClean()

    def new(self) -> None:
        self.replace_document(Document(params=PosteriorParams(), device=self.studio.doc.document.device), None)

    def open(self, path: str | Path) -> bool:
        try:
            document = Document.load(path)
        except ProjectError as exc:
            self.studio.notifier.error("Could not open the project", str(exc))
            return False
        self.replace_document(document, Path(path))
        return True

    def replace_document(self, document: Document, path: Path | None) -> None:
        """Show ``document`` (loading its model if it names another one); the undo history starts afresh."""
        studio = self.studio
        wanted = document.model_path
        current = studio.host.info.path if studio.host.info else None
        if wanted and wanted != current and Path(wanted).is_file():
            studio.load_model(wanted, document.device)
        else:
            if wanted and wanted != current:
                studio.notifier.warning("The project's model was not found",
                                        f"{wanted} is missing; the open model is used instead.")
            if studio.host.engine is None and current is None and studio.host.state != "loading":
                studio.load_model(str(default_model_path()), document.device)
        if document.current is None and document.sets:
            document.current = document.sets[0].uid
        studio.doc.replace(document)
        studio.undo.clear()
        self._set_path(path)

    def save(self, path: str | Path | None = None) -> Job | None:
        """Write the project (to ``path``, else where it was opened); the undo stack is marked clean when done."""
        target = Path(path) if path is not None else self.path
        if target is None:
            return None
        undo = self.studio.undo
        index, text = undo.index(), self.studio.doc.document.to_json()

        def saved(_: Any) -> None:
            if undo.index() == index:  # nothing was edited while the file was written
                undo.setClean()
            self._set_path(target)
            self.studio.notifier.success(f"Saved {target.name}")

        return self.studio.host.io.start(f"Saving {target.name}", write_text_atomic, target, text, visible=False,
                                         on_done=saved, on_error=lambda exc: self.studio.notifier.error(
                                             f"Could not save {target.name}", str(exc)))

    def _set_path(self, path: Path | None) -> None:
        """The project's file from now on: the next start reopens it, and it heads File → Recent projects."""
        self.path = path
        prefs = self.studio.prefs
        prefs.last_project = str(path) if path else None
        if path is not None:
            prefs.add_recent_project(str(path))
        self.changed.emit()

    # -- crash recovery ---------------------------------------------------------------
    def autosave_now(self) -> Job | None:
        """Write this session's recovery file if anything changed since the last one."""
        if not self._dirty:
            return None
        self._dirty = False
        text = self.autosave.text(self.studio.doc.document, str(self.path) if self.path else None)
        return self.studio.host.io.start("Autosave", write_text_atomic, self.autosave.path, text, visible=False,
                                         on_done=self._autosaved, on_error=self._autosave_failed)

    def _autosaved(self, _: Any) -> None:
        self._autosave_warned = False

    def _autosave_failed(self, exc: BaseException) -> None:
        """Try again at the next tick (the work is still in the window); say so once, not every few seconds."""
        self._dirty = True
        if not self._autosave_warned:
            self._autosave_warned = True
            self.studio.notifier.warning("Autosave failed", f"{exc}. Your work is still open; autosave keeps "
                                         "trying. Save the project to a folder you can write to keep it.")

    def offer_recovery(self) -> None:
        """If a session crashed with unsaved work, offer it back (newest first), without blocking."""
        orphans = self.autosave.orphans()
        if not orphans:
            return
        latest = orphans[0]
        when = time.strftime("%d %b %H:%M", time.localtime(latest.saved_at))
        sets = plural(len(latest.document.sets), "evidence set")
        self.studio.notifier.warning("Flow Studio did not close properly last time",
                                     f"Unsaved work from {when} ({sets}) can be restored.",
                                     actions=[("Restore", lambda: self.restore(latest)),
                                              ("Discard", lambda: latest.path.unlink(missing_ok=True))])

    def restore(self, recovery: Recovery) -> None:
        self.replace_document(recovery.document, Path(recovery.project_path) if recovery.project_path else None)
        self.studio.undo.resetClean()  # restored work is unsaved work
        recovery.path.unlink(missing_ok=True)
        self._dirty = True
        self.autosave_now()
        self.studio.notifier.success("Unsaved work restored",
                                     f"{plural(len(recovery.document.sets), 'evidence set')} "
                                     f"{'is' if len(recovery.document.sets) == 1 else 'are'} back; "
                                     "save the project to keep them.")

    def close(self) -> None:
        """A normal exit: no more autosaves, and no recovery file left behind."""
        self._timer.stop()
        self.autosave.discard()

    def _mark_dirty(self, *_: Any) -> None:
        self._dirty = True

    def _clean_changed(self, _: bool) -> None:
        self.changed.emit()
