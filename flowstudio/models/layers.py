"""Invertible building blocks shared by the image flows.

Each invertible layer maps ``x -> (y, logdet)`` in :meth:`forward` and
``y -> x`` in :meth:`inverse`; ``logdet`` is ``log |det dy/dx|`` per sample.

Why hand-written: no library exposes standardized multi-level latents with the
exact semantics of the public Glow implementations (normflows returns raw
per-level z with independent bases, nflows flattens, zuko has no image layers,
FrEIA has no learned 1x1 convolution), and the importers need parameter-level
control over every layer.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

LOG_2PI = math.log(2.0 * math.pi)


def squeeze2d(x: torch.Tensor, factor: int = 2) -> torch.Tensor:
    """Space-to-depth: ``[B, C, H, W] -> [B, C f^2, H/f, W/f]`` (openai/glow's order)."""
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


def standard_normal_logp(eps: torch.Tensor) -> torch.Tensor:
    """``sum_d log N(eps_d; 0, 1)`` over all but the batch dimension."""
    return (-0.5 * (eps**2 + LOG_2PI)).flatten(1).sum(1)


class ActNorm(nn.Module):
    """Per-channel affine ``y = (x + bias) * exp(logs)`` (Glow, Kingma & Dhariwal 2018, sec. 3.1).

    ``log |det| = H * W * sum(logs)``.  Data-dependent initialisation: on the
    first training forward pass, ``bias`` and ``logs`` are set so that the
    batch's output has zero mean and unit variance per channel.  Whether that
    happened is the buffer ``initialized``, so it is saved in checkpoints and a
    loaded model is never re-initialised.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.logs = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.register_buffer("initialized", torch.tensor(0, dtype=torch.uint8))

    @torch.no_grad()
    def _initialize(self, x: torch.Tensor) -> None:
        mean = x.mean(dim=(0, 2, 3), keepdim=True)
        std = x.std(dim=(0, 2, 3), keepdim=True, unbiased=False)
        self.bias.copy_(-mean)
        self.logs.copy_(-torch.log(std + 1e-6))
        self.initialized.fill_(1)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if self.training and not bool(self.initialized):
            self._initialize(x)
        y = (x + self.bias) * torch.exp(self.logs)
        logdet = self.logs.sum() * (x.shape[2] * x.shape[3])
        return y, logdet.expand(x.shape[0])

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        return y * torch.exp(-self.logs) - self.bias


class InvConv1x1(nn.Module):
    """Invertible 1x1 convolution with LU parameterisation (Glow sec. 3.2, eq. 10).

    ``W = P L (U + diag(sign_s * exp(log_s)))`` with ``P`` a fixed permutation,
    ``L`` unit lower triangular and ``U`` strictly upper triangular, so
    ``log |det W| = sum(log_s)`` and ``log |det| = H * W * sum(log_s)``.
    At inference (eval mode, no autograd) the weight and its inverse are
    cached until a parameter changes (checked through version counters).
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
        if self.training or torch.is_grad_enabled():
            return compute()
        key = (self.lower._version, self.upper._version, self.log_s._version, self.p._version,
               self.sign_s._version, self.lower.device, self.lower.dtype)
        cached = self._cache.get(name)
        if cached is None or cached[0] != key:
            cached = self._cache[name] = (key, compute())
        return cached[1]

    def conv_weight(self) -> torch.Tensor:
        c = self.p.shape[0]
        return self._cached("forward", lambda: self.weight().view(c, c, 1, 1))

    def inverse_weight(self) -> torch.Tensor:
        c = self.p.shape[0]
        return self._cached("inverse", lambda: torch.linalg.inv(self.weight().double()).to(self.lower.dtype)
                            .view(c, c, 1, 1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = F.conv2d(x, self.conv_weight())
        logdet = self.log_s.sum() * (x.shape[2] * x.shape[3])
        return y, logdet.expand(x.shape[0])

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        return F.conv2d(y, self.inverse_weight())


class ZeroConv2d(nn.Module):
    """3x3 convolution initialised to zero, output scaled by ``exp(3 * logs)`` (openai/glow).

    ``pad_value`` is the constant used to pad the borders: 0 in openai/glow and
    y0ast/chaiyujin, 1 in rosinality/glow-pytorch (kept so imports are exact).
    """

    LOGSCALE_FACTOR = 3.0

    def __init__(self, in_channels: int, out_channels: int, pad_value: float = 0.0):
        super().__init__()
        self.pad_value = float(pad_value)
        # Zero padding is done by the convolution itself; other values need an explicit pad.
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=1 if self.pad_value == 0.0 else 0)
        self.conv.weight.data.zero_()
        self.conv.bias.data.zero_()
        self.logs = nn.Parameter(torch.zeros(out_channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.pad_value != 0.0:
            x = F.pad(x, [1, 1, 1, 1], value=self.pad_value)
        return self.conv(x) * torch.exp(self.logs * self.LOGSCALE_FACTOR).view(1, -1, 1, 1)


class CouplingNet(nn.Module):
    """Glow's coupling network: conv3x3 -> ReLU -> conv1x1 -> ReLU -> ZeroConv3x3."""

    def __init__(self, in_channels: int, out_channels: int, hidden: int, pad_value: float = 0.0):
        super().__init__()
        self.conv1 = nn.Conv2d(in_channels, hidden, 3, padding=1)
        self.conv2 = nn.Conv2d(hidden, hidden, 1)
        for conv in (self.conv1, self.conv2):
            nn.init.normal_(conv.weight, 0.0, 0.05)
            nn.init.zeros_(conv.bias)
        self.out = ZeroConv2d(hidden, out_channels, pad_value)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(F.relu(self.conv2(F.relu(self.conv1(x), inplace=True)), inplace=True))


class GlowCoupling(nn.Module):
    """Glow's coupling layer on channel halves ``x = [x1, x2]`` (Glow sec. 3.3, Table 1).

    ``h = NN(x1)``. Additive: ``y2 = x2 + h``.  Affine: ``shift = h[:, 0::2]``,
    ``scale = sigmoid(h[:, 1::2] + 2)`` (a bounded scale, as openai/glow's code),
    ``y2 = (x2 + shift) * scale``, ``log |det| = sum log scale``.  ``y1 = x1``.
    """

    def __init__(self, channels: int, hidden: int, affine: bool, pad_value: float = 0.0):
        super().__init__()
        self.affine = affine
        half = channels // 2
        self.net = CouplingNet(half, 2 * (channels - half) if affine else channels - half, hidden, pad_value)

    def _shift_scale(self, x1: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        h = self.net(x1)
        if not self.affine:
            return h, None
        return h[:, 0::2], torch.sigmoid(h[:, 1::2] + 2.0)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        half = x.shape[1] // 2
        x1, x2 = x[:, :half], x[:, half:]
        shift, scale = self._shift_scale(x1)
        if scale is None:
            return torch.cat([x1, x2 + shift], 1), x.new_zeros(x.shape[0])
        y2 = (x2 + shift) * scale
        return torch.cat([x1, y2], 1), torch.log(scale).flatten(1).sum(1)

    def inverse(self, y: torch.Tensor) -> torch.Tensor:
        half = y.shape[1] // 2
        y1, y2 = y[:, :half], y[:, half:]
        shift, scale = self._shift_scale(y1)
        x2 = y2 - shift if scale is None else y2 / scale - shift
        return torch.cat([y1, x2], 1)


class GaussianPrior(nn.Module):
    """Learned diagonal Gaussian ``N(mu, exp(logs)^2)`` for a factored-out latent.

    ``mu = h[:, 0::2]`` and ``logs = h[:, 1::2]`` with ``h = ZeroConv(context)``;
    the split prior conditions on the kept half, the top prior on zeros (a
    learned, position-dependent constant when ``pad_value`` is non-zero).
    :meth:`standardize` returns ``eps = (z - mu) / exp(logs)`` and
    ``log N(z; mu, sigma^2) = log N(eps; 0, I) - sum logs``.
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
