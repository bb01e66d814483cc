"""The maximum-likelihood objective in bits per dimension, for training and held-out scoring.

With uniform dequantization ``x~ = x + u``, ``u ~ U(0, 1/2**n_bits)``
(Theis et al. 2016; Dinh et al. 2017 sec. 4.1), the model's continuous
log-density lower-bounds the discrete log-likelihood, and training minimises

    bits/dim = -(log p(x~) - D * n_bits * log 2) / (D * log 2).

The noise ``u`` is passed in (drawn by the caller from a seeded generator),
so a step is a pure function of the state and the step number: that is what
makes resumed and multi-process runs reproduce a single uninterrupted run.

Mixed precision: under bf16 autocast the convolutions run in bf16, while
autocast keeps ``exp``, ``log`` and ``sum`` (the log-determinants and prior
terms) in float32, and the bits/dim here are computed in float32.  Held-out
scoring never uses autocast.
"""

from __future__ import annotations

from collections.abc import Callable

import torch

from flowstudio.models import ImageFlow


def dequantize(model: ImageFlow, images: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """uint8 ``images`` -> model space, each pixel spread uniformly over its bin by ``noise`` in [0, 1)."""
    x = model.preprocess(images)  # bin centres
    return x + (noise.to(x.device) - 0.5) / model.n_bins


def training_bits_per_dim(forward: Callable[[torch.Tensor], torch.Tensor], model: ImageFlow,
                          images: torch.Tensor, noise: torch.Tensor, amp: bool) -> torch.Tensor:
    """Per-image dequantized bits/dim (float32); ``forward`` is the model, or its DDP wrapper."""
    x = dequantize(model, images, noise)
    with torch.autocast(device_type=x.device.type, dtype=torch.bfloat16, enabled=amp):
        log_prob = forward(x)
    return model.log_prob_to_bits_per_dim(log_prob.float())


@torch.no_grad()
def evaluate_bits_per_dim(model: ImageFlow, images: torch.Tensor, batch_size: int = 256,
                          check: Callable[[], None] | None = None) -> tuple[float, float]:
    """Mean and standard deviation of the deterministic (bin-centre) bits/dim of uint8 ``images``.

    ``check`` is called between batches (it may raise to abandon a long
    evaluation, e.g. on cancel).  The model is left in eval mode.
    """
    model.eval()
    parts = []
    for i in range(0, len(images), batch_size):
        if check is not None:
            check()
        parts.append(model.bits_per_dim(images[i:i + batch_size]).double().cpu())
    bpd = torch.cat(parts)
    return bpd.mean().item(), bpd.std().item() if len(bpd) > 1 else 0.0
