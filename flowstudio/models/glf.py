"""Generative Latent Flow (Xiao, Yan & Amit, arXiv:1905.10485): a deterministic autoencoder plus a flow
on its latent, trained in one stage.

An encoder ``E`` maps an image ``x`` (pixels in ``[0, 1]``) to a code
``z = E(x) in R^nz``, a decoder ``G`` maps it back, and a flow ``f``
(:mod:`flowstudio.models.latent_flow`) maps codes to ``eps = f(z) ~ N(0, I)``.
The per-image loss (the paper's eq. 2) is::

    L(x) = beta * ||x - G(E(x))||^2 / D  +  NLL(f(sg[E(x)])),
    NLL(f(z)) = -log N(f(z); 0, I) - log |det df/dz|

where ``sg`` stops the gradient (``.detach()``): the NLL trains only ``f``,
so it cannot shrink the codes towards a point (where the NLL has no lower
bound), and the autoencoder is trained by the reconstruction alone.
With ``stop_gradient = False`` the NLL reaches the encoder too: the paper's
*regularized GLF* baseline, which is unstable at low ``beta``.

Sampling is ``G(f^-1(eps))`` with ``eps ~ N(0, T^2 I)``.  Transflow works in
``eps``: evidence images go through ``f(E(x))``, the posterior is over the
``nz``-dimensional ``eps``.  GLF has no exact image likelihood: what it has
for an image is the reconstruction error and the latent NLL.

Loss unit (``score_unit``): "loss", ``beta * MSE + NLL`` with the NLL in nats
over the ``nz`` latent dimensions; it can be negative, since a density on
``R^nz`` can exceed 1.  Training adds the flow's weight decay
(:class:`~flowstudio.models.autoencoder.AutoencoderConfig`), held-out scoring does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from flowstudio.models.autoencoder import AutoencoderConfig, AutoencoderModel
from flowstudio.models.config import setting


@dataclass(frozen=True)
class GLFConfig(AutoencoderConfig):
    """GLF's settings (the shared autoencoder and latent flow ones, plus the stop-gradient switch)."""

    family: ClassVar[str] = "glf"
    stop_gradient: bool = setting(True, help="stop the NLL's gradient at the latent (false: regularized GLF)")


class GLF(AutoencoderModel):
    """Generative Latent Flow (settings: :class:`GLFConfig`)."""

    config_type = GLFConfig

    def __init__(self, config: GLFConfig):
        super().__init__(config, flow=True)

    def loss_terms(self, batch: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(MSE [B], NLL [B])`` of uint8 images: the two terms of eq. 2 (the NLL after the stop-gradient)."""
        x = self.unit_pixels(batch)
        z = self.encoder(x)
        mse = self.squared_error(self.decoder(z), x)
        _, log_p = self.standardize(z.detach() if self.config.stop_gradient else z)
        return mse, -log_p

    def loss(self, batch: torch.Tensor) -> torch.Tensor:
        mse, nll = self.loss_terms(batch)
        return self.config.beta * mse + nll
