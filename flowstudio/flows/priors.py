"""Latent priors: each turns a latent ``z`` into the standardized ``eps ~ N(0, I)`` Transflow works in.

Every prior has ``standardize(z, context) -> (eps, log p(z | context))`` and
``unstandardize(eps, context) -> z``; for a Gaussian ``N(mu, sigma^2)``,
``eps = (z - mu) / sigma`` and ``log p(z) = log N(eps; 0, I) - sum log sigma``.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from flowstudio.flows.nets import ZeroConv2d

LOG_2PI = math.log(2.0 * math.pi)


def standard_normal_logp(eps: torch.Tensor) -> torch.Tensor:
    """``sum_d log N(eps_d; 0, 1)`` over all but the batch dimension."""
    return (-0.5 * (eps**2 + LOG_2PI)).flatten(1).sum(1)


class StandardNormalPrior(nn.Module):
    """``z ~ N(0, I)``: the latent is already standardized (NICE, RealNVP)."""

    def standardize(self, z: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return z, standard_normal_logp(z)

    def unstandardize(self, eps: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        return eps


class LearnedSplitPrior(nn.Module):
    """Glow's learned prior ``N(mu, exp(logs)^2)`` of a factored-out latent, from ``h = ZeroConv(context)``.

    ``mu = h[:, 0::2]`` and ``logs = h[:, 1::2]``; the split prior conditions on
    the kept half, the top prior on zeros (a learned, position-dependent
    constant when ``pad_value`` is non-zero), as openai/glow.
    """

    def __init__(self, context_channels: int, channels: int, pad_value: float = 0.0):
        super().__init__()
        self.conv = ZeroConv2d(context_channels, 2 * channels, pad_value)

    def _params(self, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.conv(context)
        return h[:, 0::2], h[:, 1::2]

    def standardize(self, z: torch.Tensor, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logs = self._params(context)
        eps = (z - mu) * torch.exp(-logs)
        return eps, standard_normal_logp(eps) - logs.expand_as(z).flatten(1).sum(1)

    def unstandardize(self, eps: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        mu, logs = self._params(context)
        return mu + torch.exp(logs) * eps


class ClassConditionalPrior(nn.Module):
    """A learned diagonal Gaussian per class, ``z | y ~ N(mu_y, diag(exp(logs_y))^2)`` for flat latents.

    The prior of Semi-Conditional flows' conditional part and of class-
    conditional Glow (arXiv:1807.03039 sec. 5): ``context`` is a one-hot (or
    soft) label matrix ``[B, K]``, and ``mu``/``logs`` are its rows times the
    learned per-class tables ``[K, D]``.
    """

    def __init__(self, classes: int, dim: int):
        super().__init__()
        self.mean = nn.Parameter(torch.zeros(classes, dim))
        self.logs = nn.Parameter(torch.zeros(classes, dim))

    def _params(self, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        labels = context.to(self.mean.dtype)
        return labels @ self.mean, labels @ self.logs

    def standardize(self, z: torch.Tensor, context: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mu, logs = self._params(context)
        eps = (z - mu) * torch.exp(-logs)
        return eps, standard_normal_logp(eps) - logs.sum(1)

    def unstandardize(self, eps: torch.Tensor, context: torch.Tensor) -> torch.Tensor:
        mu, logs = self._params(context)
        return mu + torch.exp(logs) * eps
