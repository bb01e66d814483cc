"""Streaming bridges between a model and the Transflow maths.

Images go in as uint8 ``[N, C, H, W]`` (a tensor or numpy array, sliced
lazily, so a memory-mapped array is never loaded whole) or as any iterable of
such batches (a generator reading files, say); they are re-chunked to at most
``batch_size`` and encoded one chunk at a time, so memory is bounded by the
batch size, not the number of images.  Each chunk runs under
``torch.no_grad`` on the model's device with the model in eval mode (its
previous mode is restored after every chunk, so ActNorm never initialises
itself from evidence images).

Bits/dim follow :mod:`flowstudio.models.base`: bin-centre scoring,
``bpd = -(log p(x_c) - D n_bits log 2) / (D log 2)``.

**Why far-out evidence once gave black cells.**  A bag under the portraits
Glow encodes to ``||eps||^2 / D`` of about 12 (the prior's typical value is
1, and in-domain portraits sit near 0.3); with ``lambda = 0.5 m`` the
posterior mean is ``zeta_bar / 1.5``, more than twice the prior's typical
norm ``sqrt(D)``.  Decoding such latents runs each affine coupling backwards,
``b = y / sigmoid(h + 2) - shift``: the network's ``h`` on inputs it never saw
is hugely negative, the scale underflows (``1e-25``), the next coupling
receives ``1e25`` and overflows to ``inf``, and ``inf - inf`` is ``NaN``.  A
``NaN`` cast to ``uint8`` was ``0``: a pure-black cell, with no message.  Now
:func:`decode_checked` reports every cell that had non-finite or far
out-of-range values (:class:`DecodedImages`), and the model's
``postprocess`` turns ``NaN`` into middle grey and ``±inf`` into the edge
bins, so no non-finite value reaches an image.  Raising lambda pulls the
posterior mean back toward the prior (``mu_p = zeta_bar / (1 + lambda / m)``),
which is why it is the first thing the warnings suggest.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch

from flowstudio.errors import UserInputError
from flowstudio.models.base import ImageFlow
from flowstudio.transflow.posterior import EvidenceStats

Images = torch.Tensor | np.ndarray | Iterable[torch.Tensor | np.ndarray]


@contextmanager
def _inference(model: ImageFlow) -> Iterator[None]:
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def iter_batches(images: Images, batch_size: int = 256) -> Iterator[torch.Tensor]:
    """Chunks of at most ``batch_size`` images (tensors) from an array or an iterable of batches."""
    if batch_size < 1:
        raise UserInputError(f"batch size must be at least 1, got {batch_size}")
    source = [images] if isinstance(images, (torch.Tensor, np.ndarray)) else images
    for batch in source:
        for start in range(0, len(batch), batch_size):
            chunk = batch[start:start + batch_size]
            yield chunk if isinstance(chunk, torch.Tensor) else torch.as_tensor(np.asarray(chunk))


def encode_images(model: ImageFlow, images: Images,
                  batch_size: int = 256) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield ``(eps [b, D], log p(x) [b])`` per chunk, float32 on the CPU.

    ``log p(x)`` is the continuous log-density at the bin centres
    (``model.encode(model.preprocess(images))``).
    """
    for batch in iter_batches(images, batch_size):
        if tuple(batch.shape[1:]) != model.image_shape:
            raise ValueError(f"expected uint8 images [B, {', '.join(map(str, model.image_shape))}], "
                             f"got {list(batch.shape)}")
        with _inference(model):
            eps, log_prob = model.encode(model.preprocess(batch.to(model.device)))
        yield eps.float().cpu(), log_prob.float().cpu()


def evidence_stats(model: ImageFlow, images: Images, batch_size: int = 256,
                   stats: EvidenceStats | None = None) -> EvidenceStats:
    """Encode evidence images and accumulate their latent statistics (into ``stats`` if given)."""
    stats = stats if stats is not None else EvidenceStats(model.latent_dim)
    for eps, _ in encode_images(model, images, batch_size):
        stats.update(eps)
    return stats


def reconstruction_errors(model: ImageFlow, images: Images, batch_size: int = 256) -> torch.Tensor:
    """Mean squared reconstruction error of every image, ``[N]``, for models whose decode reconstructs
    (GLF, VAE: their ``reconstruction_error``), in eval mode like the encodings."""
    parts = []
    for batch in iter_batches(images, batch_size):
        with _inference(model):
            parts.append(model.reconstruction_error(batch.to(model.device)).float().cpu())
    return torch.cat(parts) if parts else torch.zeros(0)


def bits_per_dim(model: ImageFlow, images: Images, batch_size: int = 256) -> torch.Tensor:
    """Bits/dim of every image, ``[N]`` (only the scalars are kept, never the latents)."""
    return torch.cat([model.log_prob_to_bits_per_dim(lp) for _, lp in encode_images(model, images, batch_size)])


SATURATION_MARGIN = 1 / 16
"""A decoded value further than this (a share of the pixel range) outside the range counts as clipped."""
SATURATED_SHARE = 0.25
"""A cell with more than this share of clipped values is *saturated*: what shows is mostly the clamp,
not the model's image (in-domain samples of the bundled models clip none)."""


@dataclass(frozen=True)
class DecodedImages:
    """Decoded uint8 images ``[N, C, H, W]`` and, per cell, whether the decode went wrong.

    ``nonfinite[j]``: cell ``j`` had ``NaN`` or ``inf`` values (shown as middle
    grey, or the edge bins); ``saturated[j]``: more than :data:`SATURATED_SHARE`
    of its values lay far outside the pixel range and were clamped.
    """

    images: torch.Tensor
    nonfinite: torch.Tensor
    saturated: torch.Tensor

    @property
    def broken(self) -> torch.Tensor:
        """Cells that do not show a real image of the model, ``[N]`` bool."""
        return self.nonfinite | self.saturated


def cell_health(model: ImageFlow, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(nonfinite [B], saturated [B])`` of model-space images ``x`` before :meth:`~ImageFlow.postprocess`."""
    flat = x.detach().float().flatten(1)
    finite = torch.isfinite(flat)
    low, high = model.pixel_offset - SATURATION_MARGIN, model.pixel_offset + 1 + SATURATION_MARGIN
    clipped = finite & ((flat < low) | (flat > high))
    return ~finite.all(1), clipped.float().mean(1) > SATURATED_SHARE


def decode_checked(model: ImageFlow, eps: torch.Tensor, batch_size: int = 256,
                   context: torch.Tensor | None = None) -> DecodedImages:
    """Decode latents ``[N, D]`` to uint8 images (CPU), ``batch_size`` at a time, saying which cells broke.

    ``context`` (int64 ``[N]``) is the label of each cell, for a label-conditioned model.
    See the module docstring for why extreme latents break a decode.
    """
    eps = torch.as_tensor(eps)
    images, nonfinite, saturated = [], [], []
    for start in range(0, eps.shape[0], batch_size):
        given = None if context is None else context[start:start + batch_size].to(model.device)
        with _inference(model):
            x = model.decode(eps[start:start + batch_size].to(model.device, torch.float32), given)
        bad, clipped = cell_health(model, x)
        images.append(model.postprocess(x).cpu())
        nonfinite.append(bad.cpu())
        saturated.append(clipped.cpu())
    if not images:
        empty = torch.zeros(0, dtype=torch.bool)
        return DecodedImages(torch.zeros(0, *model.image_shape, dtype=torch.uint8), empty, empty)
    return DecodedImages(torch.cat(images), torch.cat(nonfinite), torch.cat(saturated))


def decode_latents(model: ImageFlow, eps: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Decode latents ``[N, D]`` to uint8 images ``[N, C, H, W]`` (CPU), ``batch_size`` at a time.

    Never holds a value from a ``NaN``/``inf`` decode as if it were a pixel
    (see :meth:`~flowstudio.models.base.ImageFlow.postprocess`); use
    :func:`decode_checked` to know which cells broke.
    """
    return decode_checked(model, eps, batch_size).images
