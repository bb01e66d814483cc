"""Glow (Kingma & Dhariwal 2018, arXiv:1807.03039): actnorm, invertible 1x1 convolution, coupling, multi-scale.

Architecture (L levels of K steps each)::

    for level l = 0 .. L-1:
        squeeze (space-to-depth, x4 channels)
        K x [ActNorm -> InvConv1x1 (LU) -> coupling (additive or affine)]      (Glow Fig. 2a)
        if l < L-1: split channels in halves [z_keep, z_out]; z_out ~ N(mu(z_keep), sigma(z_keep)^2)
    top: z_top ~ N(mu_top, sigma_top^2)   (learned top prior)

``eps`` is the concatenation, in level order and then the top, of every
factored-out latent standardized by its own prior (openai/glow's per-level eps),
so that ``eps ~ N(0, I)`` exactly under the model.  The log-density is
``log p(x) = sum_l [log N(eps_l; 0, I) - sum logs_l] + sum_k log |det J_k|``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from flowstudio.errors import ConfigError
from flowstudio.flows import (ActNorm, AdditiveRule, ChannelHalves, Coupling, InvConv1x1, LearnedSplitPrior, Level,
                              SigmoidAffineRule, Transform)
from flowstudio.flows.invconv import inference_cached
from flowstudio.flows.nets import CHANNELS_LAST, GlowNet
from flowstudio.models.config import ImageFlowConfig, halvings, setting
from flowstudio.models.multiscale import MultiScaleFlow


@dataclass(frozen=True)
class GlowConfig(ImageFlowConfig):
    """Glow's settings; ``H`` and ``W`` must be divisible by ``2**levels``."""

    family: ClassVar[str] = "glow"
    levels: int = setting(3, low=1, high=8, help="levels L (each squeezes, runs K steps, then splits)")
    steps: int = setting(8, low=1, high=128, help="flow steps K per level")
    hidden: int = setting(128, low=1, high=2048, help="coupling-network width")
    coupling: str = setting("affine", choices=("affine", "additive"), help="coupling rule")
    pad_value: float = setting(0.0, low=-10.0, high=10.0, help="ZeroConv border value (1 in rosinality's Glow)")

    def check(self) -> None:
        _, h, w = self.image_shape
        if h % 2**self.levels or w % 2**self.levels:
            raise ConfigError(f"image size {h}x{w} is not divisible by 2**levels = {2**self.levels}")

    @classmethod
    def fit_arch(cls, arch, image_shape):
        out = dict(arch)
        if "levels" in out:
            out["levels"] = max(1, min(out["levels"], halvings(*image_shape[1:])))
        return out


class FlowStep(Transform):
    """One Glow step: ActNorm -> InvConv1x1 -> coupling on channel halves (Glow Fig. 2a).

    Inference path (eval mode, autograd off): ActNorm's ``x -> s * (x + b)``
    and the 1x1 convolution ``W`` are one affine map per pixel,
    ``y = (W diag(s)) x + W (s * b)``, inverted as
    ``x = (diag(1/s) W^{-1}) y - b``; both folded weights are cached (the
    version-counter scheme of :func:`~flowstudio.flows.invconv.inference_cached`).
    The step runs channels-last (see :data:`~flowstudio.flows.nets.CHANNELS_LAST`).
    Training mode, or autograd on, runs the blocks one by one (the reference).
    """

    def __init__(self, channels: int, hidden: int, affine: bool, pad_value: float):
        super().__init__()
        mask = ChannelHalves()
        half, rest = mask.sizes(channels)
        self.actnorm = ActNorm(channels)
        self.invconv = InvConv1x1(channels)
        self.coupling = Coupling(mask, GlowNet(half, 2 * rest if affine else rest, hidden, pad_value),
                                 SigmoidAffineRule() if affine else AdditiveRule())
        self._cache: dict[str, tuple[tuple, tuple[torch.Tensor, torch.Tensor]]] = {}

    def _folded(self, name: str) -> tuple[torch.Tensor, torch.Tensor] | None:
        """The cached ``(weight [C, C, 1, 1], bias [C])`` of ActNorm then InvConv (``name`` "forward") or of its
        inverse ("inverse"); ``None`` when training or under autograd (the reference path runs then)."""
        if self.training or torch.is_grad_enabled():
            return None
        an, ic = self.actnorm, self.invconv
        tensors = (an.bias, an.logs, ic.lower, ic.upper, ic.log_s, ic.p, ic.sign_s)
        return inference_cached(self, name, tensors, lambda: self._fold(name == "forward"))

    def _fold(self, forward: bool) -> tuple[torch.Tensor, torch.Tensor]:
        c = self.invconv.p.shape[0]
        s, b = self.actnorm.logs.double().view(c).exp(), self.actnorm.bias.double().view(c)
        if forward:
            w = self.invconv.weight().double()
            weight, bias = w * s, w @ (s * b)
        else:
            weight, bias = self.invconv.weight_inverse64() / s.view(c, 1), -b
        dtype = self.invconv.lower.dtype
        return weight.to(dtype).view(c, c, 1, 1), bias.to(dtype)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        x = x.contiguous(memory_format=CHANNELS_LAST)
        folded = self._folded("forward")
        if folded is None:
            x, ld1 = self.actnorm(x)
            x, ld2 = self.invconv(x)
            ld12 = ld1 + ld2
        else:
            x = _conv(x, folded)
            ld12 = ((self.actnorm.logs.sum() + self.invconv.log_s.sum()) * (x.shape[2] * x.shape[3])).expand(x.shape[0])
        x, ld3 = self.coupling(x)
        return x, ld12 + ld3

    def inverse(self, y: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        x = self.coupling.inverse(y.contiguous(memory_format=CHANNELS_LAST))
        folded = self._folded("inverse")
        if folded is None:
            return self.actnorm.inverse(self.invconv.inverse(x))
        return _conv(x, folded)


def _conv(x: torch.Tensor, folded: tuple[torch.Tensor, torch.Tensor]) -> torch.Tensor:
    """The folded 1x1 convolution, in the wider of the input's and the weights' float types (as the unfolded
    layers promote a float32 input of a float64 model)."""
    dtype = torch.promote_types(x.dtype, folded[0].dtype)
    return F.conv2d(x.to(dtype), folded[0].to(dtype), folded[1].to(dtype))


class Glow(MultiScaleFlow):
    """Multi-scale Glow with learned split priors and a learned top prior (settings: :class:`GlowConfig`)."""

    config_type = GlowConfig

    def __init__(self, config: GlowConfig):
        super().__init__(config)
        channels = self.image_shape[0]
        self.levels = nn.ModuleList()
        for level in range(config.levels):
            split = level < config.levels - 1
            c = channels * 4
            steps = [FlowStep(c, config.hidden, config.coupling == "affine", config.pad_value)
                     for _ in range(config.steps)]
            # The split prior conditions on the kept half; the top prior on zeros of the top's shape.
            prior = LearnedSplitPrior(c // 2 if split else c, c // 2 if split else c, config.pad_value)
            self.levels.append(Level(steps, prior, split=split, squeeze=True))
            channels = c // 2 if split else c
        self._finish_levels()
