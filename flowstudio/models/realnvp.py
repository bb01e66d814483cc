"""RealNVP (Dinh, Sohl-Dickstein & Bengio 2017, arXiv:1605.08803): affine coupling, masks, multi-scale.

Affine coupling with a binary mask ``b`` (eq. 9)::

    y = b * x + (1 - b) * (x * exp(s(b * x)) + t(b * x)),   log |det| = sum (1 - b) * s

with ``s = scale * tanh(raw)`` bounded (the paper's tanh scale).  Per scale
(sec. 3.6): three checkerboard couplings with alternating masks, a squeeze,
three channel-wise couplings with alternating halves, then half the channels
are factored out; the last scale has four checkerboard couplings.  Factored
latents have a standard normal prior, so they are already the standardized
``eps``.  Where the paper used batch normalisation between couplings we use
ActNorm, which keeps the map a deterministic function of the input (the same
at training and inference).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from flowstudio.errors import ConfigError
from flowstudio.flows import (ActNorm, BinaryMask, Coupling, ExpAffineRule, Level, Squeeze, StandardNormalPrior,
                              Transform, channel_mask, checkerboard)
from flowstudio.flows.nets import ScaleShiftNet
from flowstudio.models.config import ImageFlowConfig, halvings, setting
from flowstudio.models.multiscale import MultiScaleFlow

CHECKER_PER_SCALE, CHANNEL_PER_SCALE, CHECKER_LAST = 3, 3, 4


@dataclass(frozen=True)
class RealNVPConfig(ImageFlowConfig):
    """RealNVP's settings; ``H`` and ``W`` must be divisible by ``2**(scales - 1)``."""

    family: ClassVar[str] = "realnvp"
    scales: int = setting(2, low=1, high=8, help="scales (each but the last factors out half)")
    hidden: int = setting(64, low=1, high=2048, help="(s, t) network width")
    blocks: int = setting(2, low=0, high=32, help="hidden 3x3 convolutions per (s, t) network")

    def check(self) -> None:
        _, h, w = self.image_shape
        if h % 2 ** (self.scales - 1) or w % 2 ** (self.scales - 1):
            raise ConfigError(f"image size {h}x{w} is not divisible by 2**(scales-1) = {2 ** (self.scales - 1)}")

    @classmethod
    def fit_arch(cls, arch, image_shape):
        out = dict(arch)
        if "scales" in out:
            out["scales"] = max(1, min(out["scales"], halvings(*image_shape[1:]) + 1))
        return out


def coupling_and_norm(channels: int, mask: torch.Tensor, hidden: int, blocks: int) -> list[Transform]:
    """RealNVP coupling (eq. 9) followed by ActNorm."""
    return [Coupling(BinaryMask(mask), ScaleShiftNet(channels, hidden, blocks, mask), ExpAffineRule()),
            ActNorm(channels)]


class RealNVP(MultiScaleFlow):
    """Multi-scale RealNVP (settings: :class:`RealNVPConfig`)."""

    config_type = RealNVPConfig

    def __init__(self, config: RealNVPConfig):
        super().__init__(config)
        c, h, w = self.image_shape
        self.levels = nn.ModuleList()
        for i in range(config.scales):
            last = i == config.scales - 1
            steps: list[Transform] = []
            for j in range(CHECKER_LAST if last else CHECKER_PER_SCALE):
                steps += coupling_and_norm(c, checkerboard(h, w, j % 2), config.hidden, config.blocks)
            if not last:
                steps.append(Squeeze())
                for j in range(CHANNEL_PER_SCALE):
                    steps += coupling_and_norm(4 * c, channel_mask(4 * c, j % 2), config.hidden, config.blocks)
                c, h, w = 2 * c, h // 2, w // 2
            self.levels.append(Level(steps, StandardNormalPrior(), split=not last, squeeze=False))
        self._finish_levels()

    @classmethod
    def upgrade_v1_state(cls, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Format 1 named layers ``scales.S.checker.J.{net,norm}`` and ``scales.S.channel.J.{net,norm}``;
        now each coupling and its ActNorm are consecutive steps of level ``S`` (a squeeze between the two kinds)."""
        pattern = re.compile(r"scales\.(\d+)\.(checker|channel)\.(\d+)\.(net|norm)\.(.*)")
        out = {}
        for key, value in state.items():
            found = pattern.fullmatch(key)
            if found is None:
                out[key] = value
                continue
            scale, kind, j, part, rest = found.groups()
            index = 2 * int(j) + (part == "norm") + (2 * CHECKER_PER_SCALE + 1 if kind == "channel" else 0)
            out[f"levels.{scale}.steps.{index}.{'net.' if part == 'net' else ''}{rest}"] = value
        return out
