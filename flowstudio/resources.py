"""Where the bundled models and example evidence sets live.

Looked up in order: ``$FLOWSTUDIO_RESOURCES``; ``resources/`` inside a
PyInstaller bundle (``sys._MEIPASS``); ``resources/`` at the top of the source
tree (an editable install or a checkout).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

DEFAULT_MODEL = "models/fashion_glow.safetensors"


def resources_dir() -> Path:
    env = os.environ.get("FLOWSTUDIO_RESOURCES")
    if env:
        return Path(env)
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        return Path(frozen) / "resources"
    return Path(__file__).resolve().parents[1] / "resources"


def default_model_path() -> Path:
    return resources_dir() / DEFAULT_MODEL


def bundled_models() -> list[Path]:
    """The models shipped with Flow Studio (``resources/models/*.safetensors``)."""
    folder = resources_dir() / "models"
    return sorted(folder.glob("*.safetensors")) if folder.is_dir() else []


def example_sets(model_name: str = "fashion") -> dict[str, Path]:
    """Example evidence sets for a bundled model: ``{set name: folder}``."""
    root = resources_dir() / "evidence" / model_name
    return {p.name: p for p in sorted(root.iterdir()) if p.is_dir()} if root.is_dir() else {}


def bundled_examples(model_path: str | Path) -> dict[str, Path]:
    """The example sets made for ``model_path`` if it is a bundled model, else ``{}``.

    A bundled model ``models/NAME_glow.safetensors`` has its sets in ``evidence/NAME``.
    """
    path, models = Path(model_path), resources_dir() / "models"
    if not path.is_file() or not models.is_dir() or not path.resolve().is_relative_to(models.resolve()):
        return {}
    return example_sets(path.stem.split("_")[0])
