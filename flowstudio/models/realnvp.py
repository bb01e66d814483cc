"""RealNVP (Dinh, Sohl-Dickstein & Bengio 2017): affine coupling, masks, multi-scale.

Affine coupling with a binary mask ``b`` (eq. 9)::

    y = b * x + (1 - b) * (x * exp(s(b * x)) + t(b * x)),   log |det| = sum (1 - b) * s

with ``s = scale * tanh(raw)`` bounded (the paper's tanh scale).  Per scale
(sec. 3.6): three checkerboard couplings with alternating masks, a squeeze,
three channel-wise couplings with alternating halves, then half the channels
are factored out; the last scale has four checkerboard couplings.  Factored
latents have a standard normal prior, so they are already the standardized
``eps``.  Where the paper used batch normalisation between couplings we use
ActNorm, which keeps the map a deterministic function of the input (the same
at training and inference).
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from flowstudio.models.base import ImageFlow
from flowstudio.models.layers import ActNorm, squeeze2d, standard_normal_logp, unsqueeze2d

DEFAULTS: dict[str, Any] = {"scales": 2, "hidden": 64, "blocks": 2, "n_bits": 5, "pixel_offset": -0.5}


def checkerboard(h: int, w: int, parity: int) -> torch.Tensor:
    """``[1, 1, H, W]`` mask, 1 where ``(i + j) % 2 == parity``."""
    ii, jj = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
    return ((ii + jj) % 2 == parity).float().view(1, 1, h, w)


def channel_mask(channels: int, parity: int) -> torch.Tensor:
    """``[1, C, 1, 1]`` mask, 1 on the first half of the channels (or the second when ``parity``)."""
    m = torch.zeros(1, channels, 1, 1)
    half = channels // 2
    if parity:
        m[:, half:] = 1
    else:
        m[:, :half] = 1
    return m


class ScaleShiftNet(nn.Module):
    """Convolutional ``(s, t)`` network on ``[b * x, b]`` with a zero-initialised output."""

    def __init__(self, channels: int, hidden: int, blocks: int):
        super().__init__()
        layers: list[nn.Module] = [nn.Conv2d(channels + 1, hidden, 3, padding=1), nn.ReLU()]
        for _ in range(blocks):
            layers += [nn.Conv2d(hidden, hidden, 3, padding=1), nn.ReLU()]
        self.body = nn.Sequential(*layers)
        self.out = nn.Conv2d(hidden, 2 * channels, 3, padding=1)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.scale = nn.Parameter(torch.ones(1, channels, 1, 1))

    def forward(self, masked: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        mask_channel = mask[:, :1].expand(masked.shape[0], 1, *masked.shape[2:])
        h = self.out(self.body(torch.cat([masked, mask_channel], 1)))
        return self.scale * torch.tanh(h[:, 0::2]), h[:, 1::2]


class MaskedAffineCoupling(nn.Module):
    """RealNVP coupling (eq. 9) followed by ActNorm."""

    def __init__(self, channels: int, mask: torch.Tensor, hidden: int, blocks: int):
        super().__init__()
        self.register_buffer("mask", mask, persistent=False)
        self.net = ScaleShiftNet(channels, hidden, blocks)
        self.norm = ActNorm(channels)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        b = self.mask
        s, t = self.net(x * b, b)
        s, t = s * (1 - b), t * (1 - b)
        y = x * torch.exp(s) + t
        y, ld = self.norm(y)
        return y, s.flatten(1).sum(1) + ld

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        y = self.norm.inverse(y)
        b = self.mask
        s, t = self.net(y * b, b)
        s, t = s * (1 - b), t * (1 - b)
        return (y - t) * torch.exp(-s)


class Scale(nn.Module):
    """One RealNVP scale: checkerboard couplings, then (unless last) squeeze, channel couplings, factor-out."""

    def __init__(self, channels: int, h: int, w: int, hidden: int, blocks: int, last: bool):
        super().__init__()
        self.last = last
        n_checker = 4 if last else 3
        self.checker = nn.ModuleList(
            MaskedAffineCoupling(channels, checkerboard(h, w, i % 2), hidden, blocks) for i in range(n_checker))
        self.channel = nn.ModuleList() if last else nn.ModuleList(
            MaskedAffineCoupling(4 * channels, channel_mask(4 * channels, i % 2), hidden, blocks) for i in range(3))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Return ``(kept, z_out, logdet)``; at the last scale ``kept`` is empty."""
        logdet = x.new_zeros(x.shape[0])
        for layer in self.checker:
            x, ld = layer(x)
            logdet = logdet + ld
        if self.last:
            return x[:, :0], x, logdet
        x = squeeze2d(x)
        for layer in self.channel:
            x, ld = layer(x)
            logdet = logdet + ld
        half = x.shape[1] // 2
        return x[:, :half], x[:, half:], logdet

    def inverse(self, kept: torch.Tensor | None, z: torch.Tensor) -> torch.Tensor:
        x = z if self.last else torch.cat([kept, z], 1)
        if not self.last:
            for layer in reversed(self.channel):
                x = layer.inverse(x)
            x = unsqueeze2d(x)
        for layer in reversed(self.checker):
            x = layer.inverse(x)
        return x


class RealNVP(ImageFlow):
    """Multi-scale RealNVP; config keys ``scales``, ``hidden``, ``blocks`` (see ``DEFAULTS``)."""

    family = "realnvp"

    def __init__(self, config: dict[str, Any]):
        config = {**DEFAULTS, **config, "family": self.family}
        super().__init__(config)
        c, h, w = self.image_shape
        n = int(config["scales"])
        if h % 2 ** (n - 1) or w % 2 ** (n - 1):
            raise ValueError(f"image size {h}x{w} is not divisible by 2**(scales-1) = {2 ** (n - 1)}")
        self.scales = nn.ModuleList()
        self._z_shapes = []
        for i in range(n):
            last = i == n - 1
            self.scales.append(Scale(c, h, w, int(config["hidden"]), int(config["blocks"]), last))
            if last:
                self._z_shapes.append((c, h, w))
            else:
                c, h, w = 2 * c, h // 2, w // 2
                self._z_shapes.append((c, h, w))

    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        logdet = x.new_zeros(x.shape[0])
        parts = []
        for scale in self.scales:
            x, z, ld = scale(x)
            logdet = logdet + ld
            parts.append(z.flatten(1))
        eps = torch.cat(parts, 1)
        return eps, standard_normal_logp(eps) + logdet

    def _decode(self, eps: torch.Tensor) -> torch.Tensor:
        sizes = [c * h * w for c, h, w in self._z_shapes]
        parts = torch.split(eps, sizes, dim=1)
        x = None
        for scale, part, shape in reversed(list(zip(self.scales, parts, self._z_shapes))):
            x = scale.inverse(x, part.reshape(-1, *shape))
        return x
