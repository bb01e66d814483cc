"""The VAE baselines of Generative Latent Flow (arXiv:1905.10485 sec. 4): a VAE, and a VAE with a flow prior.

Same encoder and decoder as GLF (:mod:`flowstudio.models.autoencoder`); the
encoder outputs the mean ``mu`` and log-variance ``log s^2`` of
``q(z | x) = N(mu, diag(s^2))`` (Kingma & Welling, arXiv:1312.6114).  With a
Gaussian decoder of per-pixel variance ``D / (2 beta)``, the negative ELBO is,
up to a constant::

    L(x) = beta * ||x - G(z)||^2 / D + KL(q(z | x) || p(z)),    z = mu + s * n,  n ~ N(0, I)

* plain VAE (``flow_prior = False``): ``p(z) = N(0, I)`` and the KL is in closed
  form, ``KL = 1/2 sum (mu^2 + s^2 - 1 - log s^2)``;
* VAE + flow prior (``flow_prior = True``): ``p(z) = p_f(z)``, the latent flow
  of :mod:`flowstudio.models.latent_flow` trained jointly on the ELBO (no
  stop-gradient), and the KL is the one-sample estimate
  ``log q(z | x) - log p_f(z)`` (GLF's sec. 3.3 shows GLF as this model's limit
  of vanishing decoder noise).

The reparameterisation noise ``n`` comes from the global torch RNG while
training (the engine seeds it per step); held-out scoring draws it from a
fixed seed, so the score is deterministic.  The latent ``eps`` is ``f(mu)``
(``mu`` without the flow) and decoding is ``G(f^-1(eps))``.  Unit
(``score_unit``): "loss", the negative ELBO in nats up to that constant.  No
exact image likelihood (the ELBO is a bound); Transflow is not offered,
because the encoder's means are not distributed as the prior.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

import torch

from flowstudio.models.autoencoder import AutoencoderConfig, AutoencoderModel
from flowstudio.models.config import setting

HELDOUT_SEED = 0
"""Seed of the reparameterisation noise of held-out scoring."""


@dataclass(frozen=True)
class VAEConfig(AutoencoderConfig):
    """The VAE baselines' settings (the shared autoencoder ones, plus whether the prior is a flow)."""

    family: ClassVar[str] = "vae"
    flow_prior: bool = setting(False, help="a latent flow as the prior, trained jointly on the ELBO")


class VAE(AutoencoderModel):
    """VAE, or VAE + flow prior (settings: :class:`VAEConfig`)."""

    config_type = VAEConfig
    encoder_outputs = 2

    def __init__(self, config: VAEConfig):
        super().__init__(config, flow=config.flow_prior)

    def loss_terms(self, batch: torch.Tensor,
                   generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """``(MSE [B], KL [B])`` of uint8 images, with reparameterisation noise from ``generator``."""
        x = self.unit_pixels(batch)
        mu, log_var = self.encoder(x).chunk(2, dim=1)
        noise = torch.randn(mu.shape, generator=generator).to(mu.device)
        z = mu + torch.exp(0.5 * log_var) * noise
        mse = self.squared_error(self.decoder(z), x)
        if self.flow is None:
            kl = 0.5 * (mu**2 + log_var.exp() - 1.0 - log_var).sum(1)
        else:
            log_q = (-0.5 * (noise**2 + log_var + math.log(2 * math.pi))).sum(1)
            kl = log_q - self.standardize(z)[1]
        return mse, kl

    def loss(self, batch: torch.Tensor) -> torch.Tensor:
        generator = None if self.training else torch.Generator().manual_seed(HELDOUT_SEED)
        mse, kl = self.loss_terms(batch, generator)
        return self.config.beta * mse + kl
