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

A labelled family (``uses_labels``: the conditional and semi-conditional flows)
takes the class indices too, ``forward(batch, noise, labels)`` and
``heldout_score(batch, labels)``, with ``-1`` for an unlabelled example, and
gives ``class_log_probs(batch) -> [B, K]``, its exact ``log p(y | x)``, from
which :func:`evaluate_error` counts the held-out mistakes.

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


def training_loss(forward: Callable[..., torch.Tensor], batch: torch.Tensor, noise: torch.Tensor, amp: bool,
                  labels: torch.Tensor | None = None) -> torch.Tensor:
    """Per-example training loss (float32); ``forward`` is the model, or its DDP wrapper; ``labels`` go to a
    labelled family only (``None`` for the others)."""
    with torch.autocast(device_type=batch.device.type, dtype=torch.bfloat16, enabled=amp):
        loss = forward(batch, noise) if labels is None else forward(batch, noise, labels)
    return loss.float()


@torch.no_grad()
def evaluate_score(model: nn.Module, data: torch.Tensor, batch_size: int = 256,
                   check: Callable[[], None] | None = None,
                   labels: torch.Tensor | None = None) -> tuple[float, float]:
    """Mean and standard deviation of the model's deterministic held-out score over ``data`` (with their
    ``labels`` for a labelled family).

    ``check`` is called between batches (it may raise to abandon a long
    evaluation, e.g. on cancel).  The model is left in eval mode.
    """
    model.eval()
    parts = []
    for i in range(0, len(data), batch_size):
        if check is not None:
            check()
        batch = data[i:i + batch_size].to(model.device)
        score = (model.heldout_score(batch) if labels is None
                 else model.heldout_score(batch, labels[i:i + batch_size].to(model.device)))
        parts.append(score.double().cpu())
    scores = torch.cat(parts)
    return scores.mean().item(), scores.std().item() if len(scores) > 1 else 0.0


@torch.no_grad()
def evaluate_error(model: nn.Module, data: torch.Tensor, labels: torch.Tensor, batch_size: int = 256,
                   check: Callable[[], None] | None = None) -> float:
    """The share of ``data`` whose most probable class under the model's exact ``p(y | x)``
    (``class_log_probs``) is not its label."""
    model.eval()
    wrong = 0
    for i in range(0, len(data), batch_size):
        if check is not None:
            check()
        log_probs = model.class_log_probs(data[i:i + batch_size].to(model.device))
        wrong += int((log_probs.argmax(1).cpu() != labels[i:i + batch_size]).sum())
    return wrong / max(1, len(data))
