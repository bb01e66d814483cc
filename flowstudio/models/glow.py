"""Glow (Kingma & Dhariwal 2018): actnorm, invertible 1x1 convolution, coupling, multi-scale.

Architecture (L levels of K steps each)::

    for level l = 0 .. L-1:
        squeeze (space-to-depth, x4 channels)
        K x [ActNorm -> InvConv1x1 (LU) -> coupling (additive or affine)]
        if l < L-1: split channels in halves [z_keep, z_out]; z_out ~ N(mu(z_keep), sigma(z_keep)^2)
    top: z_top ~ N(mu_top, sigma_top^2)   (learned top prior)

``eps`` is the concatenation, in level order and then the top, of every
factored-out latent standardized by its own prior (openai/glow's per-level eps),
so that ``eps ~ N(0, I)`` exactly under the model.  The log-density is
``log p(x) = sum_l [log N(eps_l; 0, I) - sum logs_l] + sum_k log |det J_k|``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from flowstudio.models.base import ImageFlow
from flowstudio.models.layers import ActNorm, GaussianPrior, GlowCoupling, InvConv1x1, squeeze2d, unsqueeze2d

DEFAULTS: dict[str, Any] = {
    "levels": 3,
    "steps": 8,
    "hidden": 128,
    "coupling": "affine",
    "pad_value": 0.0,
    "n_bits": 5,
    "pixel_offset": -0.5,
}


class FlowStep(nn.Module):
    """One Glow step: ActNorm -> InvConv1x1 -> coupling (Glow Fig. 2a)."""

    def __init__(self, channels: int, hidden: int, affine: bool, pad_value: float):
        super().__init__()
        self.actnorm = ActNorm(channels)
        self.invconv = InvConv1x1(channels)
        self.coupling = GlowCoupling(channels, hidden, affine, pad_value)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        x, ld1 = self.actnorm(x)
        x, ld2 = self.invconv(x)
        x, ld3 = self.coupling(x)
        return x, ld1 + ld2 + ld3

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        return self.actnorm.inverse(self.invconv.inverse(self.coupling.inverse(y)))


class Level(nn.Module):
    """Squeeze, K flow steps, then (except at the top) split off half the channels."""

    def __init__(self, in_channels: int, steps: int, hidden: int, affine: bool, pad_value: float,
                 split: bool):
        super().__init__()
        channels = in_channels * 4
        self.steps = nn.ModuleList(FlowStep(channels, hidden, affine, pad_value) for _ in range(steps))
        self.split = split
        # Split prior conditions on the kept half; the top prior on zeros of the top's shape.
        self.prior = GaussianPrior(channels // 2 if split else channels, channels // 2 if split else channels,
                                   pad_value)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return ``(kept, eps_out, logdet, log p(z_out))``."""
        x = squeeze2d(x)
        logdet = x.new_zeros(x.shape[0])
        for step in self.steps:
            x, ld = step(x)
            logdet = logdet + ld
        if self.split:
            half = x.shape[1] // 2
            kept, z = x[:, :half], x[:, half:]
            eps, logp = self.prior.standardize(z, kept)
            return kept, eps, logdet, logp
        eps, logp = self.prior.standardize(x, torch.zeros_like(x))
        return x, eps, logdet, logp

    def inverse(self, kept: torch.Tensor | None, eps: torch.Tensor) -> torch.Tensor:
        if self.split:
            x = torch.cat([kept, self.prior.unstandardize(eps, kept)], 1)
        else:
            x = self.prior.unstandardize(eps, torch.zeros_like(eps))
        for step in reversed(self.steps):
            x = step.inverse(x)
        return unsqueeze2d(x)


class Glow(ImageFlow):
    """Multi-scale Glow with learned split priors and a learned top prior.

    Config keys (see ``DEFAULTS``): ``levels`` (L), ``steps`` (K per level),
    ``hidden`` (coupling-network width), ``coupling`` ("affine" | "additive"),
    ``pad_value`` (ZeroConv border value).
    ``H`` and ``W`` must be divisible by ``2**levels``.
    """

    family = "glow"

    def __init__(self, config: dict[str, Any]):
        config = {**DEFAULTS, **config, "family": self.family}
        super().__init__(config)
        c, h, w = self.image_shape
        levels = int(config["levels"])
        if h % 2**levels or w % 2**levels:
            raise ValueError(f"image size {h}x{w} is not divisible by 2**levels = {2**levels}")
        if config["coupling"] not in ("affine", "additive"):
            raise ValueError(f"unknown coupling {config['coupling']!r}: use 'affine' or 'additive'")
        self.levels = nn.ModuleList()
        channels = c
        for level in range(levels):
            split = level < levels - 1
            self.levels.append(Level(channels, int(config["steps"]), int(config["hidden"]),
                                     config["coupling"] == "affine", float(config["pad_value"]), split))
            channels = channels * 2 if split else channels * 4
        self._eps_shapes = self._latent_shapes()

    def _latent_shapes(self) -> list[tuple[int, int, int]]:
        c, h, w = self.image_shape
        shapes = []
        for level in self.levels:
            c, h, w = c * 4, h // 2, w // 2
            if level.split:
                shapes.append((c // 2, h, w))
                c //= 2
            else:
                shapes.append((c, h, w))
        return shapes

    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logp = x.new_zeros(x.shape[0])
        eps_parts = []
        for level in self.levels:
            x, eps, logdet, logpz = level(x)
            logp = logp + logdet + logpz
            eps_parts.append(eps.flatten(1))
        return torch.cat(eps_parts, 1), logp

    def _decode(self, eps: torch.Tensor) -> torch.Tensor:
        sizes = [c * h * w for c, h, w in self._eps_shapes]
        parts = torch.split(eps, sizes, dim=1)
        x = None
        for level, part, shape in reversed(list(zip(self.levels, parts, self._eps_shapes))):
            x = level.inverse(x, part.reshape(-1, *shape))
        return x
