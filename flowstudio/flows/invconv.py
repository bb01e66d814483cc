"""Invertible 1x1 convolution with LU parameterisation (Glow, arXiv:1807.03039, sec. 3.2, eq. 10)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from flowstudio.flows.transform import Transform


def inference_cached(module: nn.Module, name: str, tensors: tuple[torch.Tensor, ...], compute) -> torch.Tensor:
    """``compute()`` while ``module`` trains or autograd is on; at inference, cached in ``module._cache[name]``.

    The cache key is the version counters (bumped by every in-place change:
    an optimizer step, ``load_state_dict``, ``copy_``), storages, devices and dtypes of
    ``tensors``, so a cached value is recomputed as soon as one of them changes.
    """
    if module.training or torch.is_grad_enabled():
        return compute()
    key = tuple((t._version, t.data_ptr(), t.device, t.dtype) for t in tensors)
    cached = module._cache.get(name)
    if cached is None or cached[0] != key:
        cached = module._cache[name] = (key, compute())
    return cached[1]


class InvConv1x1(Transform):
    """``y = W x`` per pixel with ``W = P L (U + diag(sign_s * exp(log_s)))``.

    ``P`` is a fixed permutation, ``L`` unit lower triangular and ``U``
    strictly upper triangular, so ``log |det W| = sum(log_s)`` and
    ``log |det| = H * W * sum(log_s)``.  At inference (eval mode, no
    autograd) the weight and its inverse are cached until a parameter changes
    (checked through version counters).
    """

    def __init__(self, channels: int):
        super().__init__()
        q = torch.linalg.qr(torch.randn(channels, channels, dtype=torch.float64))[0]
        p, lower, upper = torch.linalg.lu(q)
        s = torch.diagonal(upper)
        self.register_buffer("p", p.float())
        self.register_buffer("sign_s", torch.sign(s).float())
        self.lower = nn.Parameter(torch.tril(lower, -1).float())
        self.upper = nn.Parameter(torch.triu(upper, 1).float())
        self.log_s = nn.Parameter(torch.log(torch.abs(s)).float())
        self.register_buffer("l_mask", torch.tril(torch.ones(channels, channels), -1), persistent=False)
        self._cache: dict[str, tuple[tuple, torch.Tensor]] = {}

    def weight(self) -> torch.Tensor:
        eye = torch.eye(self.p.shape[0], device=self.p.device, dtype=self.p.dtype)
        lower = self.lower * self.l_mask + eye
        upper = self.upper * self.l_mask.T + torch.diag(self.sign_s * torch.exp(self.log_s))
        return self.p @ lower @ upper

    def _cached(self, name: str, compute) -> torch.Tensor:
        """``compute()`` while training or under autograd; at inference, cached until a parameter changes."""
        return inference_cached(self, name, (self.lower, self.upper, self.log_s, self.p, self.sign_s), compute)

    def weight_inverse64(self) -> torch.Tensor:
        """``W^{-1}`` ``[C, C]`` in float64 (inverted in double so the inverse is exact to float precision)."""
        return torch.linalg.inv(self.weight().double())

    def conv_weight(self) -> torch.Tensor:
        c = self.p.shape[0]
        return self._cached("forward", lambda: self.weight().view(c, c, 1, 1))

    def inverse_weight(self) -> torch.Tensor:
        c = self.p.shape[0]
        return self._cached("inverse", lambda: self.weight_inverse64().to(self.lower.dtype).view(c, c, 1, 1))

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        y = F.conv2d(x, self.conv_weight())
        logdet = self.log_s.sum() * (x.shape[2] * x.shape[3])
        return y, logdet.expand(x.shape[0])

    def inverse(self, y: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        return F.conv2d(y, self.inverse_weight())
