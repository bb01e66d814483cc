"""Preferences that survive a restart, in an INI file (``QSettings``) under the studio's config folder.

Window geometry and dock layout, the theme, recently opened models, the
device, the autosave interval and the last posterior parameters.  "Reset
to defaults" clears everything except the list of recent models.

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
from flowstudio.studio.state import PosteriorParams

MAX_RECENT = 8
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
    @property
    def recent_models(self) -> list[str]:
        value = self.qsettings.value("recent_models", [])
        items = [value] if isinstance(value, str) else list(value or [])
        return [p for p in items if p]

    def add_recent_model(self, path: str) -> None:
        items = [path] + [p for p in self.recent_models if p != path]
        self.qsettings.setValue("recent_models", items[:MAX_RECENT])

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
        """Forget everything but the recent models."""
        recent = self.recent_models
        self.qsettings.clear()
        if recent:
            self.qsettings.setValue("recent_models", recent)

    def sync(self) -> None:
        self.qsettings.sync()
