"""Where the studio keeps its settings, crash-recovery files and pasted images, and how it writes files.

The folders come from :mod:`platformdirs` (per-user, per-platform), unless
``FLOWSTUDIO_HOME`` names one folder to hold everything: tests, screenshots
and portable installs use it so they never touch the user's real folders.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "FlowStudio"
HOME_ENV = "FLOWSTUDIO_HOME"


def _folder(kind: str) -> Path:
    override = os.environ.get(HOME_ENV)
    if override:
        path = Path(override)
    elif kind == "config":
        path = Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))
    else:
        path = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def settings_file() -> Path:
    """The preferences (an INI file that ``QSettings`` reads and writes)."""
    return _folder("config") / "settings.ini"


def autosave_dir() -> Path:
    """One recovery file per running session, rewritten every few seconds (see :mod:`.autosave`)."""
    path = _folder("data") / "autosave"
    path.mkdir(exist_ok=True)
    return path


def pasted_images_dir() -> Path:
    """Images pasted from the clipboard are saved here, so evidence always has a file."""
    path = _folder("data") / "pasted"
    path.mkdir(exist_ok=True)
    return path


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` (UTF-8) so that a crash or a full disk mid-write keeps the previous file.

    Uses the core's atomic writer (:mod:`flowstudio.files`): a file that
    cannot be written raises :class:`~flowstudio.errors.WriteError`, whose
    message the window shows.  Call this from a worker thread.
    """
    from flowstudio.files import atomic_write_bytes

    path = Path(path)
    atomic_write_bytes(path, text.encode("utf-8"))
    return path


def runs_dir() -> Path:
    """Training runs started from the studio (one folder each: see ``flowstudio train --help``)."""
    path = _folder("data") / "runs"
    path.mkdir(exist_ok=True)
    return path
