"""The size presets per flow family as plain data (no torch): the GUI shows them without loading PyTorch.

:mod:`flowstudio.training.presets` adds the model configs and the measured time estimates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

PRESET_NAMES = ("small", "medium", "large")


@dataclass(frozen=True)
class Preset:
    arch: dict[str, Any]
    batch_size: int
    lr: float
    steps: int


PRESETS: dict[str, dict[str, Preset]] = {
    "glow": {
        "small": Preset({"levels": 2, "steps": 4, "hidden": 64}, 64, 1e-3, 2_000),
        "medium": Preset({"levels": 3, "steps": 8, "hidden": 128}, 64, 1e-3, 10_000),
        "large": Preset({"levels": 3, "steps": 16, "hidden": 256}, 64, 5e-4, 50_000),
    },
    "realnvp": {
        "small": Preset({"scales": 2, "hidden": 32, "blocks": 1}, 64, 1e-3, 2_000),
        "medium": Preset({"scales": 2, "hidden": 64, "blocks": 2}, 64, 1e-3, 10_000),
        "large": Preset({"scales": 3, "hidden": 128, "blocks": 4}, 64, 5e-4, 50_000),
    },
    "nice": {
        "small": Preset({"couplings": 4, "hidden": 256, "depth": 2}, 64, 1e-3, 2_000),
        "medium": Preset({"couplings": 4, "hidden": 512, "depth": 3}, 64, 1e-3, 10_000),
        "large": Preset({"couplings": 4, "hidden": 1000, "depth": 5}, 64, 5e-4, 50_000),
    },
}

def get_preset(family: str, name: str) -> Preset:
    if family not in PRESETS:
        raise ValueError(f"no presets for family {family!r}; known: {', '.join(sorted(PRESETS))}")
    if name not in PRESETS[family]:
        raise ValueError(f"unknown preset {name!r}; choose one of {', '.join(PRESET_NAMES)}")
    return PRESETS[family][name]
