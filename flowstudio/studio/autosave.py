"""Crash recovery: each session rewrites its own recovery file and deletes it when it closes normally.

So a recovery file whose session is gone means that session ended without
closing (a crash, a killed process, a power cut), and the next start offers
its work back.  A file belongs to a session (a random id) and records the
writer's process id: files of sessions still running in another process are
left alone.
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from flowstudio.studio.paths import autosave_dir
from flowstudio.studio.state import PROJECT_SUFFIX, Document, ProjectError, new_uid


@dataclass
class Recovery:
    """Unsaved work left by a session that did not close: the document, when, and its project file if any."""

    path: Path
    document: Document
    saved_at: float
    project_path: str | None


class AutosaveSession:
    """This session's recovery file: ``text()`` on the GUI thread, the write on a worker thread."""

    def __init__(self, folder: Path | None = None):
        self.folder = folder or autosave_dir()
        self.id = new_uid()
        self.path = self.folder / f"{self.id}{PROJECT_SUFFIX}"

    def text(self, document: Document, project_path: str | None) -> str:
        return json.dumps({"pid": os.getpid(), "session": self.id, "saved_at": time.time(),
                           "project_path": project_path, "document": document.to_dict()})

    def discard(self) -> None:
        """Delete this session's file (on a normal exit); one that cannot be deleted is offered back next time."""
        try:
            self.path.unlink(missing_ok=True)
        except OSError:  # a read-only folder (which also refuses to delete a file that is not there)
            pass

    def orphans(self) -> list[Recovery]:
        """Work left by sessions that are gone, newest first (unreadable files are skipped)."""
        found = []
        for path in self.folder.glob(f"*{PROJECT_SUFFIX}"):
            recovery = _read(path, self.id)
            if recovery is not None:
                found.append(recovery)
        return sorted(found, key=lambda r: r.saved_at, reverse=True)


def _read(path: Path, own_session: str) -> Recovery | None:
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
        if record.get("session") == own_session or _other_process_alive(int(record.get("pid", 0))):
            return None
        return Recovery(path, Document.from_dict(record["document"]), float(record.get("saved_at", 0.0)),
                        record.get("project_path"))
    except (OSError, ValueError, KeyError, TypeError, ProjectError):
        return None


def _other_process_alive(pid: int) -> bool:
    """Whether ``pid`` is another running process (our own process's older sessions count as gone)."""
    if pid <= 0 or pid == os.getpid() or sys.platform == "win32":  # os.kill(pid, 0) terminates on Windows
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
