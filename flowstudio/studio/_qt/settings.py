"""Preferences that survive a restart, in an INI file (``QSettings``) under the studio's config folder.

Window geometry and dock layout, the theme, recently opened models, the
device, the autosave interval, the last posterior parameters, the folder
examples were last opened from and, apart from it, the export folder and
enlargement, recent projects (and the one open at the end of the last
session), and the named sampling presets.  "Reset to defaults" clears
everything except the recent models and projects and the presets.

``QSettings`` writes its file soon after every change, so nothing here is
set while a slider moves: the parameters are stored when the app closes
(the crash-recovery file has them in between).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import QByteArray, QSettings

from flowstudio.studio.paths import settings_file
from flowstudio.studio.presets import Preset, presets_from_json, presets_to_json
from flowstudio.studio.state import PosteriorParams

MAX_RECENT = 8
KEPT_ON_RESET = ("recent_models", "recent_projects", "last_project", "presets")
"""What "Reset to defaults" keeps: it resets the look, the layout and the parameters, not these lists."""
DEFAULTS: dict[str, Any] = {
    "theme": "dark",
    "device": "auto",
    "autosave_seconds": 30,
    "last_dir": str(Path.home()),
    "export_dir": "",  # empty: Pictures/Flow Studio (see dialogs.export_dir)
    "export_scale": 4,
    "export_filter": "sharp",  # or "smooth"
}


class Preferences:
    """Typed access to the settings file; ``path`` defaults to :func:`flowstudio.studio.paths.settings_file`."""

    def __init__(self, path: str | Path | None = None):
        self.qsettings = QSettings(str(path or settings_file()), QSettings.Format.IniFormat)

    def get(self, key: str) -> Any:
        default = DEFAULTS[key]
        value = self.qsettings.value(key, default)
        try:
            return type(default)(value)
        except (TypeError, ValueError):
            return default

    def set(self, key: str, value: Any) -> None:
        if key not in DEFAULTS:
            raise KeyError(key)
        self.qsettings.setValue(key, value)

    # -- lists and blobs ----------------------------------------------------
    def _paths(self, key: str) -> list[str]:
        value = self.qsettings.value(key, [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [p for p in items if p]

    def _add_path(self, key: str, path: str) -> None:
        """``path`` first in the list ``key`` (moved there if it was in it), which keeps :data:`MAX_RECENT`."""
        items = [path] + [p for p in self._paths(key) if p != path]
        self.qsettings.setValue(key, items[:MAX_RECENT])

    @property
    def recent_models(self) -> list[str]:
        return self._paths("recent_models")

    def add_recent_model(self, path: str) -> None:
        self._add_path("recent_models", path)

    @property
    def recent_projects(self) -> list[str]:
        """Project files opened or saved, most recent first (files since deleted included)."""
        return self._paths("recent_projects")

    def add_recent_project(self, path: str) -> None:
        self._add_path("recent_projects", path)

    def remove_recent_project(self, path: str) -> None:
        self.qsettings.setValue("recent_projects", [p for p in self.recent_projects if p != path])

    def clear_recent_projects(self) -> None:
        self.qsettings.remove("recent_projects")

    @property
    def last_project(self) -> str | None:
        """The project open when the last session ended (or crashed); ``None`` if it was untitled."""
        return self.qsettings.value("last_project", "") or None

    @last_project.setter
    def last_project(self, path: str | None) -> None:
        self.qsettings.setValue("last_project", path or "")

    @property
    def presets(self) -> list[Preset]:
        """The named sampling presets (see :mod:`flowstudio.studio.presets`)."""
        return presets_from_json(self.qsettings.value("presets", "[]"))

    @presets.setter
    def presets(self, presets: list[Preset]) -> None:
        self.qsettings.setValue("presets", presets_to_json(presets))

    @property
    def last_model(self) -> str | None:
        return self.recent_models[0] if self.recent_models else None

    @property
    def params(self) -> PosteriorParams:
        """The posterior parameters last used (defaults when none, or unreadable)."""
        try:
            return PosteriorParams.from_dict(json.loads(self.qsettings.value("params", "{}")))
        except (TypeError, ValueError):
            return PosteriorParams()

    @params.setter
    def params(self, params: PosteriorParams) -> None:
        self.qsettings.setValue("params", json.dumps(params.to_dict()))

    def window_state(self) -> tuple[QByteArray | None, QByteArray | None]:
        return self.qsettings.value("window/geometry"), self.qsettings.value("window/state")

    def save_window_state(self, geometry: QByteArray, state: QByteArray) -> None:
        self.qsettings.setValue("window/geometry", geometry)
        self.qsettings.setValue("window/state", state)

    def reset(self) -> None:
        """Forget everything but what the user made or opened: :data:`KEPT_ON_RESET`."""
        kept = {key: self.qsettings.value(key) for key in KEPT_ON_RESET if self.qsettings.contains(key)}
        self.qsettings.clear()
        for key, value in kept.items():
            self.qsettings.setValue(key, value)

    def sync(self) -> None:
        self.qsettings.sync()
