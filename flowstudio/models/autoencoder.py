"""The InfoGAN-like encoder and decoder of Generative Latent Flow and its VAE baselines, and what those
families share (:class:`AutoencoderConfig`, :class:`AutoencoderModel`).

Xiao, Yan & Amit, "Generative Latent Flow", arXiv:1905.10485, appendix
Table 3 (after Chen et al.'s InfoGAN, arXiv:1606.03657), for ``H x W`` images
with ``H`` and ``W`` divisible by 4::

    encoder  E: conv(conv1, 4x4, stride 2) - LReLU
                conv(conv2, 4x4, stride 2) - BN - LReLU
                FC(fc) - BN - LReLU
                FC(outputs)                      outputs = nz (GLF), 2 nz (VAE: mean, log-variance)
    decoder  G: FC(fc) - BN - ReLU
                FC(conv2 * H/4 * W/4) - BN - ReLU
                deconv(conv1, 4x4, stride 2) - BN - ReLU
                deconv(C, 4x4, stride 2) - sigmoid   (pixels in [0, 1])

The paper's widths are ``conv1 = 64``, ``conv2 = 128``, ``fc = 1024``; LReLU
has slope 0.2.  Batch normalisation uses batch statistics while training and
its running averages in eval mode, so the trained maps are deterministic.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from flowstudio.errors import ConfigError, UserInputError
from flowstudio.flows import standard_normal_logp
from flowstudio.layout import LatentLayout
from flowstudio.models.base import ImageFlow
from flowstudio.models.config import ImageFlowConfig, setting
from flowstudio.models.latent_flow import latent_flow

LEAK = 0.2
COLOUR_LATENT, COLOUR_FLOW_HIDDEN = 64, 256
"""The paper's latent size and coupling width for 32x32 colour images."""


class Encoder(nn.Module):
    """``E``: images in ``[0, 1]`` ``[B, C, H, W]`` -> ``[B, outputs]``."""

    def __init__(self, image_shape: tuple[int, int, int], outputs: int, conv1: int, conv2: int, fc: int):
        super().__init__()
        c, h, w = image_shape
        self.net = nn.Sequential(
            nn.Conv2d(c, conv1, 4, 2, 1), nn.LeakyReLU(LEAK),
            nn.Conv2d(conv1, conv2, 4, 2, 1), nn.BatchNorm2d(conv2), nn.LeakyReLU(LEAK),
            nn.Flatten(),
            nn.Linear(conv2 * (h // 4) * (w // 4), fc), nn.BatchNorm1d(fc), nn.LeakyReLU(LEAK),
            nn.Linear(fc, outputs))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class Decoder(nn.Module):
    """``G``: latents ``[B, nz]`` -> images in ``[0, 1]`` ``[B, C, H, W]`` (the encoder mirrored)."""

    def __init__(self, image_shape: tuple[int, int, int], nz: int, conv1: int, conv2: int, fc: int):
        super().__init__()
        c, h, w = image_shape
        self.net = nn.Sequential(
            nn.Linear(nz, fc), nn.BatchNorm1d(fc), nn.ReLU(),
            nn.Linear(fc, conv2 * (h // 4) * (w // 4)), nn.BatchNorm1d(conv2 * (h // 4) * (w // 4)), nn.ReLU(),
            nn.Unflatten(1, (conv2, h // 4, w // 4)),
            nn.ConvTranspose2d(conv2, conv1, 4, 2, 1), nn.BatchNorm2d(conv1), nn.ReLU(),
            nn.ConvTranspose2d(conv1, c, 4, 2, 1), nn.Sigmoid())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(z)


@dataclass(frozen=True)
class AutoencoderConfig(ImageFlowConfig):
    """Settings shared by the autoencoder families (GLF and its VAE baselines); ``H``, ``W`` divisible by 4.

    ``flow_weight_decay`` is the L2 weight decay of the latent flow's
    parameters only (the paper's 2e-5): the engine has one optimiser group, so
    the models add ``(wd / 2) ||theta_f||^2`` to every example's loss, whose
    gradient ``wd * theta_f`` is exactly what Adam's ``weight_decay`` adds.
    """

    n_bits: int = setting(8, low=1, high=8, help="bits per pixel the model sees")
    latent: int = setting(20, low=1, high=1024, help="latent size nz (the paper: 20 for 28x28 grey, 64 for colour)")
    beta: float = setting(400.0, low=0.0, high=1e6, help="weight of the per-pixel mean squared reconstruction error")
    conv1: int = setting(64, low=1, high=1024, help="channels of the first convolution")
    conv2: int = setting(128, low=1, high=1024, help="channels of the second convolution")
    fc: int = setting(1024, low=1, high=8192, help="width of the fully connected layer")
    flow_blocks: int = setting(4, low=0, high=32, help="affine coupling blocks of the latent flow")
    flow_hidden: int = setting(64, low=1, high=4096, help="width of each coupling's MLP (the paper: 256 for colour)")
    flow_depth: int = setting(3, low=1, high=16, help="hidden layers of each coupling's MLP")
    flow_weight_decay: float = setting(2e-5, low=0.0, high=1.0, help="L2 weight decay of the latent flow only")

    def check(self) -> None:
        _, h, w = self.image_shape
        if h % 4 or w % 4:
            raise ConfigError(f"{self.family} needs image sides divisible by 4 (two stride-2 convolutions), "
                              f"not {h}x{w}; resize the images (--image-size 28 or 32)")

    @classmethod
    def fit_arch(cls, arch: dict[str, Any], image_shape: tuple[int, int, int]) -> dict[str, Any]:
        """The paper's sizes for colour images: ``nz = 64`` and couplings of 256 hidden units."""
        out = dict(arch)
        if image_shape[0] > 1:
            out.update(latent=COLOUR_LATENT, flow_hidden=COLOUR_FLOW_HIDDEN)
        return out


class AutoencoderModel(ImageFlow):
    """What GLF and the VAE baselines share: ``E``, ``G``, an optional latent flow ``f`` and the pixel maps.

    The latent ``eps`` is ``f(z)`` (or ``z`` without a flow) for the code
    ``z`` of an image, and decoding is ``G(f^-1(eps))``: a *reconstruction*,
    not the exact inverse of encoding.  The log-density that :meth:`encode`
    returns is the latent's, ``log p_f(z)`` (``nz`` dimensions), not an image
    likelihood, so bits/dim are refused (:meth:`log_prob_to_bits_per_dim`).
    """

    config_type = AutoencoderConfig
    score_unit: ClassVar[str] = "loss"
    """The training objective's own value (GLF's beta*MSE + latent NLL, a VAE's negative ELBO), not bits/dim."""
    encoder_outputs = 1
    """The encoder gives this many vectors of ``nz`` entries (1: the code; 2: a VAE's mean and log-variance)."""

    def __init__(self, config: AutoencoderConfig, flow: bool):
        super().__init__(config)
        nz = config.latent
        widths = (config.conv1, config.conv2, config.fc)
        self.encoder = Encoder(self.image_shape, self.encoder_outputs * nz, *widths)
        self.decoder = Decoder(self.image_shape, nz, *widths)
        self.flow = latent_flow(nz, config.flow_blocks, config.flow_hidden, config.flow_depth) if flow else None
        self.layout = LatentLayout.of([("z", (nz,))])

    def unit_pixels(self, batch: torch.Tensor) -> torch.Tensor:
        """uint8 images -> bin centres in ``[0, 1]``, the decoder's sigmoid range (no dequantization)."""
        return self.preprocess(batch.to(self.device)) - self.pixel_offset

    def standardize(self, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(eps = f(z), log p_f(z))``: the latent flow's change of variables (identity without a flow)."""
        if self.flow is None:
            return z, standard_normal_logp(z)
        eps, logdet = self.flow(z)
        return eps, standard_normal_logp(eps) + logdet

    def _decode(self, eps: torch.Tensor) -> torch.Tensor:
        z = eps if self.flow is None else self.flow.inverse(eps)
        return self.decoder(z) + self.pixel_offset

    def squared_error(self, recon: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Per-image mean squared error over the pixels, in ``[0, 1]`` units."""
        return ((recon - target) ** 2).flatten(1).mean(1)

    def reconstruction_error(self, batch: torch.Tensor) -> torch.Tensor:
        """Per-image mean squared error of ``G(E(x))`` on uint8 images (deterministic, no grad)."""
        with torch.no_grad():
            x = self.unit_pixels(batch)
            return self.squared_error(self.decoder(self.code(x)), x)

    def code(self, x: torch.Tensor) -> torch.Tensor:
        """The deterministic code ``z`` of ``[0, 1]`` images (a VAE's posterior mean)."""
        return self.encoder(x)[:, :self.config.latent]

    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.standardize(self.code(x - self.pixel_offset))

    def flow_penalty(self) -> torch.Tensor:
        """``(wd / 2) ||theta_f||^2`` of the latent flow (see :class:`AutoencoderConfig`)."""
        if self.flow is None or self.config.flow_weight_decay == 0:
            return torch.zeros((), device=self.device)
        return 0.5 * self.config.flow_weight_decay * sum((p * p).sum() for p in self.flow.parameters())

    def forward(self, batch: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Per-image training loss: :meth:`loss` plus the flow's weight decay (``noise`` is not used:
        an autoencoder reconstructs the bin centres, as the paper trains on the pixels themselves)."""
        return self.loss(batch) + self.flow_penalty()

    def heldout_score(self, batch: torch.Tensor) -> torch.Tensor:
        """The per-image :meth:`loss` of held-out images (in eval mode it is deterministic)."""
        with torch.no_grad():
            return self.loss(batch)

    def loss(self, batch: torch.Tensor) -> torch.Tensor:
        """Per-image objective of uint8 images (the family's equation)."""
        raise NotImplementedError

    def log_prob_to_bits_per_dim(self, log_prob: torch.Tensor) -> torch.Tensor:
        raise UserInputError(f"{self.family} models have no exact image likelihood, so no bits/dim: their "
                             "log-density is that of the latent; use the reconstruction error and the latent NLL")
