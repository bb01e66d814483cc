"""The training objective and the held-out score, for any family (the model defines both).

Every family's module implements the training contract (image flows inherit
it from :class:`~flowstudio.models.base.ImageFlow`):

* ``forward(batch, noise) -> [B]``: the per-example loss the engine minimises.
  Image flows return dequantized bits/dim: with ``x~ = x + u``,
  ``u ~ U(0, 1/2**n_bits)`` (Theis et al. 2016; Dinh et al. 2017 sec. 4.1), the
  model's continuous log-density lower-bounds the discrete log-likelihood and
  ``bits/dim = -(log p(x~) - D * n_bits * log 2) / (D * log 2)``;
* ``heldout_score(batch) -> [B]``: a deterministic score in the same unit
  (``score_unit``), e.g. bin-centre bits/dim.

The noise ``u`` is passed in (drawn by the caller from a seeded generator),
so a step is a pure function of the state and the step number: that is what
makes resumed and multi-process runs reproduce a single uninterrupted run.

Mixed precision: under bf16 autocast the convolutions run in bf16, while
autocast keeps ``exp``, ``log`` and ``sum`` (the log-determinants and prior
terms) in float32, and the loss is returned in float32.  Held-out scoring
never uses autocast.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn


def training_loss(forward: Callable[[torch.Tensor, torch.Tensor], torch.Tensor], batch: torch.Tensor,
                  noise: torch.Tensor, amp: bool) -> torch.Tensor:
    """Per-example training loss (float32); ``forward`` is the model, or its DDP wrapper."""
    with torch.autocast(device_type=batch.device.type, dtype=torch.bfloat16, enabled=amp):
        loss = forward(batch, noise)
    return loss.float()


@torch.no_grad()
def evaluate_score(model: nn.Module, data: torch.Tensor, batch_size: int = 256,
                   check: Callable[[], None] | None = None) -> tuple[float, float]:
    """Mean and standard deviation of the model's deterministic held-out score over ``data``.

    ``check`` is called between batches (it may raise to abandon a long
    evaluation, e.g. on cancel).  The model is left in eval mode.
    """
    model.eval()
    parts = []
    for i in range(0, len(data), batch_size):
        if check is not None:
            check()
        parts.append(model.heldout_score(data[i:i + batch_size].to(model.device)).double().cpu())
    scores = torch.cat(parts)
    return scores.mean().item(), scores.std().item() if len(scores) > 1 else 0.0
