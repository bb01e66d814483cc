"""One coupling layer (NICE arXiv:1410.8516 eq. 4; RealNVP arXiv:1605.08803 eq. 7-9; Glow arXiv:1807.03039
Table 1) with pluggable masks, conditioner networks and coupling rules.

A coupling splits its input with a *mask* into a conditioning part ``a`` and
a changed part ``b``, runs the *network* on ``a`` (and the optional
context), and changes ``b`` by a *rule* whose Jacobian is triangular::

    y_a = a,    y_b = rule(b; net(a)),    log |det dy/dx| = log |det d rule / d b|

Masks (how ``a`` and ``b`` are taken):

* :class:`ChannelHalves`: the first and second halves of the channels (Glow);
* :class:`Interleaved`: even and odd entries of a vector, or odd and even (NICE);
* :class:`BinaryMask`: a fixed 0/1 tensor, e.g. :func:`checkerboard` or
  :func:`channel_mask` (RealNVP); ``a = b_mask * x`` and the rule's parameters
  are zeroed where the mask keeps ``x``, so ``y = x`` there.

Rules (how ``b`` changes, with ``h = net(a)``):

* :class:`AdditiveRule`: ``y = b + h`` (log-det 0, NICE and additive Glow);
* :class:`SigmoidAffineRule`: ``y = (b + h[0::2]) * sigmoid(h[1::2] + 2)`` (openai/glow's bounded scale);
* :class:`ExpAffineRule`: ``y = b * exp(s) + t`` with ``(s, t) = h`` (RealNVP eq. 9; the net bounds ``s``).
"""

from __future__ import annotations

import torch
from torch import nn

from flowstudio.flows.transform import Transform


# -- masks -------------------------------------------------------------------------------------------------
class ChannelHalves(nn.Module):
    """``a = x[:, :C//2]``, ``b = x[:, C//2:]``; ``join`` concatenates them back."""

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        half = x.shape[1] // 2
        return x[:, :half], x[:, half:]

    def join(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return torch.cat([a, b], 1)

    def restrict(self, param: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
        return param

    def sizes(self, channels: int) -> tuple[int, int]:
        """``(size of a, size of b)`` along the split dimension."""
        return channels // 2, channels - channels // 2


class Interleaved(nn.Module):
    """``a, b`` = even and odd entries of the last dimension (``parity`` 0), or odd and even (``parity`` 1)."""

    def __init__(self, parity: int):
        super().__init__()
        self.parity = int(parity)

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return (x[:, 0::2], x[:, 1::2]) if self.parity == 0 else (x[:, 1::2], x[:, 0::2])

    def join(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        out = torch.empty(a.shape[0], a.shape[1] + b.shape[1], dtype=a.dtype, device=a.device)
        even, odd = (a, b) if self.parity == 0 else (b, a)
        out[:, 0::2], out[:, 1::2] = even, odd
        return out

    def restrict(self, param: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
        return param

    def sizes(self, dim: int) -> tuple[int, int]:
        """``(size of a, size of b)`` for vectors of ``dim`` entries."""
        even, odd = (dim + 1) // 2, dim // 2
        return (even, odd) if self.parity == 0 else (odd, even)


class BinaryMask(nn.Module):
    """A fixed 0/1 mask ``m``: the network sees ``m * x``; the rule changes ``x`` only where ``m = 0``."""

    def __init__(self, mask: torch.Tensor):
        super().__init__()
        self.register_buffer("mask", mask, persistent=False)

    def split(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return x * self.mask, x

    def join(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return b  # the rule left x unchanged where the mask is 1 (its parameters are restricted there)

    def restrict(self, param: torch.Tensor, fill: float = 0.0) -> torch.Tensor:
        keep = 1 - self.mask
        return param * keep if fill == 0.0 else param * keep + fill * self.mask


def checkerboard(h: int, w: int, parity: int) -> torch.Tensor:
    """``[1, 1, H, W]`` mask, 1 where ``(i + j) % 2 == parity`` (RealNVP Fig. 3, left)."""
    ii, jj = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    return ((ii + jj) % 2 == parity).float().view(1, 1, h, w)


def channel_mask(channels: int, parity: int) -> torch.Tensor:
    """``[1, C, 1, 1]`` mask, 1 on the first half of the channels (the second when ``parity``) (RealNVP Fig. 3)."""
    m = torch.zeros(1, channels, 1, 1)
    half = channels // 2
    if parity:
        m[:, half:] = 1
    else:
        m[:, :half] = 1
    return m


# -- rules -------------------------------------------------------------------------------------------------
class AdditiveRule(nn.Module):
    """``y = b + h``, ``log |det| = 0`` (NICE eq. 4)."""

    def forward(self, b: torch.Tensor, h: torch.Tensor, mask: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        return b + mask.restrict(h), b.new_zeros(b.shape[0])

    def inverse(self, y: torch.Tensor, h: torch.Tensor, mask: nn.Module) -> torch.Tensor:
        return y - mask.restrict(h)


class SigmoidAffineRule(nn.Module):
    """``y = (b + shift) * scale`` with ``shift = h[:, 0::2]``, ``scale = sigmoid(h[:, 1::2] + 2)``.

    openai/glow's affine coupling (the paper's Table 1 writes ``exp``; the code
    bounds the scale with a sigmoid); ``log |det| = sum log scale``.
    """

    def _params(self, h: torch.Tensor, mask: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        return mask.restrict(h[:, 0::2]), mask.restrict(torch.sigmoid(h[:, 1::2] + 2.0), 1.0)

    def forward(self, b: torch.Tensor, h: torch.Tensor, mask: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        shift, scale = self._params(h, mask)
        return (b + shift) * scale, torch.log(scale).flatten(1).sum(1)

    def inverse(self, y: torch.Tensor, h: torch.Tensor, mask: nn.Module) -> torch.Tensor:
        shift, scale = self._params(h, mask)
        return y / scale - shift


class ExpAffineRule(nn.Module):
    """``y = b * exp(s) + t`` with ``(s, t) = h`` from the network; ``log |det| = sum s`` (RealNVP eq. 6, 9)."""

    def forward(self, b: torch.Tensor, h: tuple[torch.Tensor, torch.Tensor],
                mask: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
        s, t = mask.restrict(h[0]), mask.restrict(h[1])
        return b * torch.exp(s) + t, s.flatten(1).sum(1)

    def inverse(self, y: torch.Tensor, h: tuple[torch.Tensor, torch.Tensor], mask: nn.Module) -> torch.Tensor:
        s, t = mask.restrict(h[0]), mask.restrict(h[1])
        return (y - t) * torch.exp(-s)


# -- the layer ---------------------------------------------------------------------------------------------
class Coupling(Transform):
    """``y = mask.join(a, rule(b; net(a[, context])))`` with ``a, b = mask.split(x)``.

    Checkpoint keys: the network's parameters under ``net.``; masks and rules
    hold no saved state.  A network that takes a context (labels) is called
    as ``net(a, context)``; otherwise the context is ignored.
    """

    def __init__(self, mask: nn.Module, net: nn.Module, rule: nn.Module):
        super().__init__()
        self.mask, self.net, self.rule = mask, net, rule

    def _condition(self, a: torch.Tensor, context: torch.Tensor | None):
        return self.net(a) if context is None else self.net(a, context)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = self.mask.split(x)
        y_b, logdet = self.rule(b, self._condition(a, context), self.mask)
        return self.mask.join(a, y_b), logdet

    def inverse(self, y: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        a, b = self.mask.split(y)
        return self.mask.join(a, self.rule.inverse(b, self._condition(a, context), self.mask))
