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
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

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


def bits_per_dim(model: ImageFlow, images: Images, batch_size: int = 256) -> torch.Tensor:
    """Bits/dim of every image, ``[N]`` (only the scalars are kept, never the latents)."""
    return torch.cat([model.log_prob_to_bits_per_dim(lp) for _, lp in encode_images(model, images, batch_size)])


def decode_latents(model: ImageFlow, eps: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """Decode latents ``[N, D]`` to uint8 images ``[N, C, H, W]`` (CPU), ``batch_size`` at a time."""
    eps = torch.as_tensor(eps)
    out = []
    for start in range(0, eps.shape[0], batch_size):
        with _inference(model):
            x = model.decode(eps[start:start + batch_size].to(model.device, torch.float32))
        out.append(model.postprocess(x).cpu())
    return torch.cat(out) if out else torch.zeros(0, *model.image_shape, dtype=torch.uint8)
