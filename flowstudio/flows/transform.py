"""The contract every invertible block keeps, and a chain of blocks.

A :class:`Transform` maps ``x -> (y, logdet)`` in :meth:`~Transform.forward`
and ``y -> x`` in :meth:`~Transform.inverse`; ``logdet`` is
``log |det dy/dx|`` per sample (shape ``[B]``).  ``context`` is an optional
conditioning input (labels, a kept half of the channels) that blocks which
do not use it ignore.  The change of variables of a chain is the sum of its
blocks' log-determinants.
"""

from __future__ import annotations

from collections.abc import Iterable

import torch
from torch import nn


class Transform(nn.Module):
    """An invertible map with a tractable log-determinant (subclasses implement both directions)."""

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def inverse(self, y: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError


class Chain(Transform):
    """Transforms applied in order; ``log |det|`` adds up, the inverse runs them backwards.

    The blocks are held in an ``nn.ModuleList`` named ``steps`` (its indices
    are the checkpoint keys: ``steps.0.*``, ``steps.1.*``, ...).
    """

    def __init__(self, steps: Iterable[Transform]):
        super().__init__()
        self.steps = nn.ModuleList(steps)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        logdet = x.new_zeros(x.shape[0])
        for step in self.steps:
            x, ld = step(x, context)
            logdet = logdet + ld
        return x, logdet

    def inverse(self, y: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        for step in reversed(self.steps):
            y = step.inverse(y, context)
        return y
