"""NICE (Dinh, Krueger & Bengio 2015): additive coupling on the flattened image.

``D = C*H*W`` dimensions are split into even and odd indices, alternating each
layer; additive coupling (eq. 4 of the paper) ``y_b = x_b + m(x_a)``,
``y_a = x_a`` has unit Jacobian.  A final diagonal scaling ``y = exp(s) * h``
(sec. 3.3) gives ``log |det| = sum s``.  The prior is a standard Gaussian (the
paper also used a logistic prior; Transflow needs the Gaussian), so the output
is already the standardized ``eps``.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from flowstudio.models.base import ImageFlow
from flowstudio.models.layers import standard_normal_logp

DEFAULTS: dict[str, Any] = {"couplings": 4, "hidden": 256, "depth": 3, "n_bits": 5, "pixel_offset": -0.5}


class AdditiveCoupling(nn.Module):
    """``y_b = x_b + m(x_a)`` where ``a``/``b`` are the even/odd halves (swapped when ``parity``)."""

    def __init__(self, dim: int, hidden: int, depth: int, parity: int):
        super().__init__()
        self.parity = parity
        n_a = (dim + 1 - parity) // 2 if parity == 0 else dim // 2
        n_b = dim - n_a
        layers: list[nn.Module] = [nn.Linear(n_a, hidden), nn.ReLU()]
        for _ in range(depth - 1):
            layers += [nn.Linear(hidden, hidden), nn.ReLU()]
        layers.append(nn.Linear(hidden, n_b))
        nn.init.zeros_(layers[-1].weight)
        nn.init.zeros_(layers[-1].bias)
        self.m = nn.Sequential(*layers)

    def _halves(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (x[:, 0::2], x[:, 1::2]) if self.parity == 0 else (x[:, 1::2], x[:, 0::2])

    def _join(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        out = torch.empty(a.shape[0], a.shape[1] + b.shape[1], dtype=a.dtype, device=a.device)
        even, odd = (a, b) if self.parity == 0 else (b, a)
        out[:, 0::2], out[:, 1::2] = even, odd
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        a, b = self._halves(x)
        return self._join(a, b + self.m(a))

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        a, b = self._halves(y)
        return self._join(a, b - self.m(a))


class NICE(ImageFlow):
    """NICE with ``couplings`` additive layers of ``depth``-layer MLPs of width ``hidden``."""

    family = "nice"

    def __init__(self, config: dict[str, Any]):
        config = {**DEFAULTS, **config, "family": self.family}
        super().__init__(config)
        d = self.latent_dim
        self.couplings = nn.ModuleList(
            AdditiveCoupling(d, int(config["hidden"]), int(config["depth"]), i % 2)
            for i in range(int(config["couplings"])))
        self.log_scale = nn.Parameter(torch.zeros(d))

    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = x.flatten(1)
        for layer in self.couplings:
            h = layer(h)
        eps = h * torch.exp(self.log_scale)
        return eps, standard_normal_logp(eps) + self.log_scale.sum()

    def _decode(self, eps: torch.Tensor) -> torch.Tensor:
        h = eps * torch.exp(-self.log_scale)
        for layer in reversed(self.couplings):
            h = layer.inverse(h)
        return h.view(-1, *self.image_shape)
