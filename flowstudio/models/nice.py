"""NICE (Dinh, Krueger & Bengio 2015, arXiv:1410.8516): additive coupling on the flattened image.

``D = C*H*W`` dimensions are split into even and odd indices, alternating each
layer; additive coupling (eq. 4 of the paper) ``y_b = x_b + m(x_a)``,
``y_a = x_a`` has unit Jacobian.  A final diagonal scaling ``y = exp(s) * h``
(sec. 3.3) gives ``log |det| = sum s``.  The prior is a standard Gaussian (the
paper also used a logistic prior; Transflow needs the Gaussian), so the output
is already the standardized ``eps``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

import torch
from torch import nn

from flowstudio.flows import AdditiveRule, Chain, Coupling, Interleaved, standard_normal_logp
from flowstudio.flows.nets import mlp
from flowstudio.layout import LatentLayout
from flowstudio.models.base import ImageFlow
from flowstudio.models.config import ImageFlowConfig, setting


@dataclass(frozen=True)
class NICEConfig(ImageFlowConfig):
    """NICE's settings."""

    family: ClassVar[str] = "nice"
    couplings: int = setting(4, low=1, high=64, help="additive coupling layers")
    hidden: int = setting(256, low=1, high=8192, help="width of each coupling's MLP")
    depth: int = setting(3, low=1, high=16, help="hidden layers of each coupling's MLP")


def additive_coupling(dim: int, hidden: int, depth: int, parity: int) -> Coupling:
    """``y_b = x_b + m(x_a)`` where ``a``/``b`` are the even/odd entries (swapped when ``parity``)."""
    mask = Interleaved(parity)
    n_a, n_b = mask.sizes(dim)
    return Coupling(mask, mlp(n_a, n_b, hidden, depth), AdditiveRule())


class NICE(ImageFlow):
    """NICE with ``couplings`` additive layers of ``depth``-layer MLPs of width ``hidden`` (:class:`NICEConfig`)."""

    config_type = NICEConfig

    def __init__(self, config: NICEConfig):
        super().__init__(config)
        d = self.data_dim
        self.couplings = Chain(additive_coupling(d, config.hidden, config.depth, i % 2)
                               for i in range(config.couplings))
        self.log_scale = nn.Parameter(torch.zeros(d))
        self.layout = LatentLayout.of([("z", (d,))])

    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h, _ = self.couplings(x.flatten(1))
        eps = h * torch.exp(self.log_scale)
        return eps, standard_normal_logp(eps) + self.log_scale.sum()

    def _decode(self, eps: torch.Tensor) -> torch.Tensor:
        return self.couplings.inverse(eps * torch.exp(-self.log_scale)).view(-1, *self.image_shape)

    @classmethod
    def upgrade_v1_state(cls, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Format 1 named the coupling MLPs ``couplings.I.m.*``; now they are ``couplings.steps.I.net.*``."""
        pattern = re.compile(r"couplings\.(\d+)\.m\.(.*)")
        return {(f"couplings.steps.{m.group(1)}.net.{m.group(2)}" if (m := pattern.fullmatch(k)) else k): v
                for k, v in state.items()}
