"""Space-to-depth (RealNVP sec. 3.6, Glow's multi-scale architecture), a volume-preserving reshape."""

from __future__ import annotations

import torch

from flowstudio.flows.transform import Transform


def squeeze2d(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """``[B, C, H, W] -> [B, C f^2, H/f, W/f]`` (openai/glow's order)."""
    b, c, h, w = x.shape
    x = x.view(b, c, h // factor, factor, w // factor, factor)
    x = x.permute(0, 1, 3, 5, 2, 4).contiguous()
    return x.view(b, c * factor * factor, h // factor, w // factor)


def unsqueeze2d(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Exact inverse of :func:`squeeze2d`."""
    b, c, h, w = x.shape
    x = x.view(b, c // (factor * factor), factor, factor, h, w)
    x = x.permute(0, 1, 4, 2, 5, 3).contiguous()
    return x.view(b, c // (factor * factor), h * factor, w * factor)


class Squeeze(Transform):
    """:func:`squeeze2d` as a transform: a permutation of the entries, so ``log |det| = 0``."""

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return squeeze2d(x), x.new_zeros(x.shape[0])

    def inverse(self, y: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        return unsqueeze2d(y)
