"""The one interface every image flow in Flow Studio implements.

Pixel convention (shared by all families and by the importers):

* an 8-bit pixel ``k`` is first reduced to ``n_bits``: ``k_q = floor(k / 2**(8 - n_bits))``;
* the model sees ``x = k_q / 2**n_bits + offset`` (``offset`` is -0.5 for our
  models and for y0ast/rosinality Glow, 0.0 for chaiyujin's Glow);
* training dequantizes with ``u ~ U(0, 1/2**n_bits)`` added to ``x``;
* evaluation scores deterministically at the bin centre, ``x + 0.5 / 2**n_bits``,
  and treats the density as constant over the bin, so the discrete
  log-likelihood is ``log p(x_c) - D * n_bits * log 2`` and
  ``bits/dim = -(log p(x_c) - D * n_bits * log 2) / (D * log 2)``, with
  ``D = C*H*W`` the number of pixel values (:attr:`ImageFlow.data_dim`).

Latents: ``encode`` returns ``eps``, the *standardized* latent of every level
concatenated into one flat vector (a split latent ``z`` with learned prior
``N(mu, sigma^2)`` contributes ``(z - mu) / sigma``, as openai/glow's per-level
eps).  Under the model ``eps ~ N(0, I)``, which is the prior Transflow uses.
:attr:`ImageFlow.layout` names the parts of ``eps``
(:class:`~flowstudio.layout.LatentLayout`); for the bijective families here
``latent_dim == data_dim``, but the contract does not assume it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import ClassVar

import numpy as np
import torch
from torch import nn

from flowstudio.errors import UserInputError
from flowstudio.imaging import make_grid
from flowstudio.layout import LatentLayout
from flowstudio.models.config import FlowConfig, ImageFlowConfig


PREVIEW_CHUNK = 8
"""Images decoded at a time for a training preview (a cancel is noticed between chunks)."""


class Flow(nn.Module):
    """What every family's model has, whatever its data (:class:`ImageFlow` for images,
    :class:`flowstudio.models.vector.VectorFlow` for points): its typed config, a named flat latent
    (:attr:`layout`) with prior ``N(0, I)``, and sampling through ``decode``.

    ``config`` is the family's typed config (:mod:`flowstudio.models.config`);
    :func:`flowstudio.models.build_model` turns it, or its JSON, back into the
    same architecture.
    """

    config_type: ClassVar[type[FlowConfig]] = FlowConfig
    layout: LatentLayout
    uses_labels: ClassVar[bool] = False
    """A labelled family (conditional, semi-conditional): training and scoring take class indices, and
    ``class_log_probs`` gives ``log p(y | x)`` (:mod:`flowstudio.training.objective`)."""

    def __init__(self, config: FlowConfig):
        super().__init__()
        if not isinstance(config, self.config_type):
            raise TypeError(f"{type(self).__name__} needs a {self.config_type.__name__}, not {type(config).__name__}")
        self.config = config

    @property
    def family(self) -> str:
        return self.config.family

    @property
    def latent_dim(self) -> int:
        return self.layout.dim

    @property
    def device(self) -> torch.device:
        return next(self.parameters()).device

    def decode(self, eps: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        raise NotImplementedError

    def sample(self, n: int, temperature: float = 1.0, seed: int | None = None,
               context: torch.Tensor | None = None) -> torch.Tensor:
        """Draw ``n`` samples (in model space) with ``eps ~ N(0, temperature^2 I)``; a labelled family takes
        the labels to generate for as ``context`` (int64 ``[n]``).

        A given ``seed`` reproduces the same samples (the noise is drawn on the
        CPU with its own generator, so the result does not depend on device).
        """
        gen = torch.Generator().manual_seed(int(seed)) if seed is not None else None
        eps = torch.randn(n, self.latent_dim, generator=gen) * float(temperature)
        return self.decode(eps.to(self.device), None if context is None else context.to(self.device))


class ImageFlow(Flow):
    """Base class of image families: subclasses build their layers and :attr:`layout`, and implement
    :meth:`_encode`/:meth:`_decode`."""

    config_type: ClassVar[type[ImageFlowConfig]] = ImageFlowConfig

    def __init__(self, config: ImageFlowConfig):
        super().__init__(config)
        self.image_shape = config.image_shape
        self.n_bits = config.n_bits
        self.pixel_offset = config.pixel_offset

    # -- dimensions ---------------------------------------------------------
    @property
    def data_dim(self) -> int:
        """``D = C*H*W``, the number of pixel values an image has (the bits/dim denominator)."""
        c, h, w = self.image_shape
        return c * h * w

    @property
    def n_bins(self) -> int:
        return 2**self.n_bits

    # -- subclass hooks -----------------------------------------------------
    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Return ``(eps [B, D], log p(x) [B])`` for continuous ``x`` in model space."""
        raise NotImplementedError

    def _decode(self, eps: torch.Tensor) -> torch.Tensor:
        """Exact inverse of :meth:`_encode`'s latent map."""
        raise NotImplementedError

    @classmethod
    def upgrade_v1_state(cls, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
        """Rename a format-1 checkpoint's tensors to this version's layers (default: the names are the same)."""
        return state

    # -- public interface ---------------------------------------------------
    def encode(self, x: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Map model-space images ``x [B, C, H, W]`` to ``(eps [B, latent_dim], log p(x) [B])``.

        ``log p(x)`` is the continuous log-density (change of variables:
        ``log N(eps; 0, I) - sum log sigma + log |det df/dx|``).  ``context``
        (labels) is for label-conditioned families; these take none.
        """
        self._check_context(context)
        self._check_images(x)
        return self._encode(x)

    def decode(self, eps: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """Map flat standardized latents ``eps [B, latent_dim]`` back to model-space images."""
        self._check_context(context)
        if eps.dim() != 2 or eps.shape[1] != self.latent_dim:
            raise UserInputError(f"latents of shape {list(eps.shape)} do not fit this model, whose latent has "
                                 f"{self.latent_dim} entries per image")
        return self._decode(eps)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """Continuous log-density of model-space ``x``."""
        return self.encode(x)[1]

    # -- the training contract (what the engine calls; every family provides these) ---------------------
    score_unit: ClassVar[str] = "bits/dim"
    """Unit of :meth:`forward`'s loss and :meth:`heldout_score` (lower is better in both)."""

    def forward(self, batch: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """Per-image training loss: the dequantized bits/dim of uint8 ``batch`` (see module doc).

        ``noise`` is ``U[0, 1)`` of ``batch``'s shape, drawn by the engine from a
        per-step seeded generator; it spreads each pixel over its bin
        (:meth:`dequantize`).  The bits/dim are computed in float32 even under
        bf16 autocast (which runs only the convolutions in bf16).
        """
        return self.log_prob_to_bits_per_dim(self.log_prob(self.dequantize(batch, noise)).float())

    def heldout_score(self, batch: torch.Tensor) -> torch.Tensor:
        """Deterministic per-image bits/dim of held-out uint8 images (bin-centre scoring)."""
        return self.bits_per_dim(batch)

    def example_batch(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` random uint8 images of this model's shape (to time a training step)."""
        return torch.randint(0, 256, (n, *self.image_shape), generator=generator, dtype=torch.uint8)

    def training_preview(self, count: int, seed: int, temperature: float,
                         check: Callable[[], None] | None = None) -> np.ndarray:
        """The picture a training run saves as its samples: a grid of ``count`` images, uint8 ``[H, W, C]``.

        The noise is fixed by ``seed`` (the same images all run long, so the
        grids show the model learning); ``check`` is called between chunks of
        :data:`PREVIEW_CHUNK` images (it may raise to abandon the grid on cancel).
        """
        eps = torch.randn(count, self.latent_dim, generator=torch.Generator().manual_seed(seed)) * temperature
        parts = []
        with torch.no_grad():
            for chunk in eps.split(PREVIEW_CHUNK):
                if check is not None:
                    check()
                parts.append(self.postprocess(self.decode(chunk.to(self.device)).float()).cpu())
        _, h, w = self.image_shape
        return np.asarray(make_grid(torch.cat(parts), scale=max(1, 64 // max(h, w))))

    def _check_images(self, x: torch.Tensor) -> None:
        if tuple(x.shape[1:]) != self.image_shape or x.dim() != 4:
            c, h, w = self.image_shape
            got = "x".join(str(s) for s in x.shape[1:]) if x.dim() == 4 else f"a tensor of shape {list(x.shape)}"
            raise UserInputError(f"images are {got} (channels x height x width) but this model takes {c}x{h}x{w}; "
                                 "load them for the model's shape (flowstudio.data.load_images does)")

    def _check_context(self, context: torch.Tensor | None) -> None:
        if context is not None:
            raise UserInputError(f"{self.family} is not label-conditioned: it takes no labels")

    # -- pixels ---------------------------------------------------------------
    def preprocess(self, images: torch.Tensor) -> torch.Tensor:
        """uint8 images ``[B, C, H, W]`` -> model space, at the bin centres (training adds its own noise)."""
        k = images.to(torch.float32)
        if self.n_bits < 8:
            k = torch.floor(k / 2 ** (8 - self.n_bits))
        return (k + 0.5) / self.n_bins + self.pixel_offset

    def dequantize(self, images: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        """uint8 ``images`` -> model space, each pixel spread uniformly over its bin by ``noise`` in [0, 1)
        (Theis et al. 2016, arXiv:1511.01844; Dinh et al. 2017 sec. 4.1)."""
        x = self.preprocess(images)  # bin centres
        return x + (noise.to(x.device) - 0.5) / self.n_bins

    def postprocess(self, x: torch.Tensor) -> torch.Tensor:
        """Model-space images -> uint8 ``[B, C, H, W]`` (nearest bin, rescaled to 0..255).

        Values outside the pixel range ``[offset, offset + 1)`` are clamped to
        its edge bins: the model's data space is that cube, and the nearest
        image to a point beyond an edge lies on the edge.  A decode of an
        extreme latent can overflow to ``±inf`` (clamped the same way) or give
        ``NaN``, which has no nearest image: it becomes the middle grey, never
        the black a plain ``uint8`` cast of ``NaN`` gives, so it cannot pass
        for a dark sample; :func:`flowstudio.transflow.encode.decode_checked`
        says which cells had such values.
        """
        x = torch.nan_to_num(x.detach().float(), nan=self.pixel_offset + 0.5, posinf=self.pixel_offset + 1.0,
                             neginf=self.pixel_offset)
        k = torch.floor((x - self.pixel_offset) * self.n_bins)
        k = k.clamp(0, self.n_bins - 1)
        return torch.round(k * (255.0 / (self.n_bins - 1))).to(torch.uint8)

    def log_prob_to_bits_per_dim(self, log_prob: torch.Tensor) -> torch.Tensor:
        """``-(log p(x) - D n_bits log 2) / (D log 2)`` for continuous log-densities of model-space inputs.

        At bin centres this is the deterministic evaluation score; at
        dequantized inputs, the training objective (see module doc).
        """
        d = self.data_dim
        return -(log_prob - d * self.n_bits * math.log(2.0)) / (d * math.log(2.0))

    def bits_per_dim(self, images: torch.Tensor) -> torch.Tensor:
        """Deterministic bits/dim of uint8 images (bin-centre scoring, see module doc).

        Bin-centre scoring treats the density as constant over each bin, so
        where the learned density is sharply peaked (flat or constant images)
        it can exceed one bin's mass and give a *negative* bits/dim; the
        evidence checks (:mod:`flowstudio.transflow.diagnostics`) flag those.
        """
        return self.log_prob_to_bits_per_dim(self.log_prob(self.preprocess(images.to(self.device))))
