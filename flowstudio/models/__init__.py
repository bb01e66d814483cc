"""Image flows behind one interface (:class:`~flowstudio.models.base.ImageFlow`)."""

from __future__ import annotations

from typing import Any

import torch

from flowstudio.models.base import ImageFlow
from flowstudio.models.glow import Glow
from flowstudio.models.nice import NICE
from flowstudio.models.realnvp import RealNVP

FAMILIES: dict[str, type[ImageFlow]] = {cls.family: cls for cls in (Glow, RealNVP, NICE)}


def build_model(config: dict[str, Any]) -> ImageFlow:
    """Build an (untrained) model from a config dict; ``config["family"]`` picks the class.

    Initial weights depend only on ``config["seed"]`` (default 0): construction
    runs under a forked RNG, so building a model never disturbs the caller's
    random stream.
    """
    family = config.get("family")
    if family not in FAMILIES:
        raise ValueError(f"unknown model family {family!r}; known: {', '.join(sorted(FAMILIES))}")
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(int(config.get("seed", 0)))
        return FAMILIES[family](config)


__all__ = ["FAMILIES", "Glow", "ImageFlow", "NICE", "RealNVP", "build_model"]
