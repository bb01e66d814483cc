"""Where the studio keeps its files (settings, recovery, pasted images, histories) and exports, and how it writes.

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


def histories_dir() -> Path:
    """Every project's history of results, one folder each (see :mod:`.history`)."""
    path = _folder("data") / "history"
    path.mkdir(exist_ok=True)
    return path


def history_dir(history_id: str) -> Path:
    """The folder of one project's history (made when its first grid is recorded)."""
    return histories_dir() / history_id


def results_as_examples_dir() -> Path:
    """Sample cells the user added to an evidence set are saved here, so evidence always has a file."""
    path = _folder("data") / "from-results"
    path.mkdir(exist_ok=True)
    return path


def default_export_dir() -> Path:
    """Where exports go until the user picks a folder: ``Pictures/Flow Studio`` (under ``FLOWSTUDIO_HOME`` when set).

    Kept apart from the folders examples are opened from, so results never end up among the examples.
    """
    override = os.environ.get(HOME_ENV)
    pictures = Path(override) / "Pictures" if override else Path(platformdirs.user_pictures_dir())
    return pictures / "Flow Studio"
