"""The one multi-scale factor-out every multi-scale family uses (RealNVP arXiv:1605.08803 sec. 3.6, Glow sec. 3).

A multi-scale flow is a list of :class:`Level` s.  Level ``l`` optionally
squeezes, runs its steps, and then either factors out half of its channels
(``split``) or, at the top, keeps them all; the factored-out latent ``z_l`` is
standardized by the level's prior (standard normal for RealNVP, Glow's learned
split prior conditioned on the kept half)::

    x_0 = x
    for l: h = steps_l(squeeze?(x_l));  [x_{l+1}, z_l] = halves(h)  (top: z_L = h)
    eps = concat(standardize_l(z_l | x_{l+1}))
    log p(x) = sum_l log p_l(z_l | x_{l+1}) + sum log |det J|

so ``eps ~ N(0, I)`` exactly under the model (openai/glow's per-level eps).
The order of the parts of ``eps`` is the :class:`~flowstudio.layout.LatentLayout`
``level0, level1, ..., top``.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn

from flowstudio.flows.squeeze import Squeeze, squeeze2d, unsqueeze2d
from flowstudio.flows.transform import Chain, Transform
from flowstudio.layout import LatentLayout


class Level(Chain):
    """Squeeze (optional), the steps (checkpoint keys ``steps.N``), then factor out (``split``) or keep all.

    ``level(x)`` runs the steps alone (a :class:`Chain`); :meth:`factor_out`
    and :meth:`restore` are the whole level.
    """

    def __init__(self, steps: Iterable[Transform], prior: nn.Module, split: bool, squeeze: bool):
        super().__init__(steps)
        self.prior = prior
        self.split = split
        self.squeeze = squeeze

    def factor_out(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(kept, eps_out, log |det| of the steps, log p(z_out | kept))``."""
        if self.squeeze:
            x = squeeze2d(x)
        x, logdet = self(x)
        if self.split:
            half = x.shape[1] // 2
            kept, z = x[:, :half], x[:, half:]
            eps, logpz = self.prior.standardize(z, kept)
            return kept, eps, logdet, logpz
        eps, logpz = self.prior.standardize(x, torch.zeros_like(x))
        return x[:, :0], eps, logdet, logpz

    def restore(self, kept: torch.Tensor | None, eps: torch.Tensor) -> torch.Tensor:
        """Exact inverse of :meth:`factor_out`'s latent map."""
        if self.split:
            x = torch.cat([kept, self.prior.unstandardize(eps, kept)], 1)
        else:
            x = self.prior.unstandardize(eps, torch.zeros_like(eps))
        x = self.inverse(x)
        return unsqueeze2d(x) if self.squeeze else x

    def output_shapes(self, shape: tuple[int, int, int]) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
        """``(kept shape, factored-out shape)`` for an input of ``shape`` (``[C, H, W]``)."""
        c, h, w = shape
        squeezes = int(self.squeeze) + sum(isinstance(step, Squeeze) for step in self.steps)
        c, h, w = c * 4**squeezes, h // 2**squeezes, w // 2**squeezes
        if self.split:
            return (c - c // 2, h, w), (c // 2, h, w)
        return (0, h, w), (c, h, w)


def levels_layout(levels: Iterable[Level], shape: tuple[int, int, int]) -> LatentLayout:
    """The latent layout ``level0, level1, ..., top`` of ``levels`` applied to images of ``shape``."""
    levels, named = list(levels), []
    for i, level in enumerate(levels):
        shape, out = level.output_shapes(shape)
        named.append(("top" if i == len(levels) - 1 else f"level{i}", out))
    return LatentLayout.of(named)


def encode_levels(levels: Iterable[Level], x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(eps [B, D], log p(x) [B])``: every level's standardized factored-out latent, concatenated."""
    logp = x.new_zeros(x.shape[0])
    parts = []
    for level in levels:
        x, eps, logdet, logpz = level.factor_out(x)
        logp = logp + logdet + logpz
        parts.append(eps.flatten(1))
    return torch.cat(parts, 1), logp


def decode_levels(levels: Iterable[Level], layout: LatentLayout, eps: torch.Tensor) -> torch.Tensor:
    """Exact inverse of :func:`encode_levels`: the top level first, each restoring the level below."""
    x = None
    for level, part in zip(reversed(list(levels)), reversed(layout.parts)):
        x = level.restore(x, eps[:, part.slice].reshape(-1, *part.shape))
    return x
