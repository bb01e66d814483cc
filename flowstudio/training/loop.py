"""The maximum-likelihood training loop, as a stream of progress events.

Objective: with uniform dequantization ``x~ = x + u``, ``u ~ U(0, 1/2**n_bits)``
(Theis et al. 2016; Dinh et al. 2017 sec. 4.1), the model's continuous
log-density lower-bounds the discrete log-likelihood, and we minimise

    bits/dim = -(log p(x~) - D * n_bits * log 2) / (D * log 2).

What good flow training needs and this loop does: data-dependent ActNorm
initialisation on a large first batch, linear learning-rate warm-up, gradient
norm clipping, and bits/dim on a held-out split (bin-centre scoring, see
:mod:`flowstudio.models.base`).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import torch

from flowstudio.models import ImageFlow


@dataclass
class TrainSettings:
    steps: int = 1000
    batch_size: int = 64
    lr: float = 1e-3
    warmup_steps: int = 200
    grad_clip: float = 50.0
    init_batch_size: int = 512
    eval_every: int = 500
    log_every: int = 10
    seed: int = 0


def dequantized_bits_per_dim(model: ImageFlow, images: torch.Tensor) -> torch.Tensor:
    """Per-image training objective on uint8 ``images`` (see module docstring)."""
    x = model.preprocess(images, dequantize=True)
    d = model.latent_dim
    return -(model.log_prob(x) - d * model.n_bits * math.log(2.0)) / (d * math.log(2.0))


@torch.no_grad()
def evaluate_bits_per_dim(model: ImageFlow, images: torch.Tensor, batch_size: int = 500) -> tuple[float, float]:
    """Mean and standard deviation of the deterministic bits/dim of uint8 ``images`` (model left in eval mode)."""
    model.eval()
    bpd = torch.cat([model.bits_per_dim(images[i:i + batch_size]).double().cpu()
                     for i in range(0, len(images), batch_size)])
    return bpd.mean().item(), bpd.std().item() if len(bpd) > 1 else 0.0


def train(model: ImageFlow, train_images: torch.Tensor, test_images: torch.Tensor | None,
          settings: TrainSettings) -> Iterator[dict[str, Any]]:
    """Train ``model`` in place; yield ``step`` and ``eval`` events (plain dicts)."""
    device = model.device
    gen = torch.Generator().manual_seed(settings.seed)
    torch.manual_seed(settings.seed)
    n = len(train_images)
    model.train()
    with torch.no_grad():
        init = train_images[torch.randperm(n, generator=gen)[: settings.init_batch_size]].to(device)
        dequantized_bits_per_dim(model, init)
    opt = torch.optim.Adam(model.parameters(), lr=settings.lr)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, settings.warmup_steps)))
    order = torch.randperm(n, generator=gen)
    cursor, seen, t0 = 0, 0, time.perf_counter()
    for step in range(1, settings.steps + 1):
        if cursor + settings.batch_size > n:
            order, cursor = torch.randperm(n, generator=gen), 0
        batch = train_images[order[cursor:cursor + settings.batch_size]].to(device)
        cursor += settings.batch_size
        model.train()
        loss = dequantized_bits_per_dim(model, batch).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), settings.grad_clip)
        opt.step()
        sched.step()
        seen += len(batch)
        if step % settings.log_every == 0 or step == settings.steps:
            elapsed = time.perf_counter() - t0
            yield {"event": "step", "step": step, "loss_bpd": loss.item(), "grad_norm": float(grad_norm),
                   "lr": sched.get_last_lr()[0], "images_per_s": seen / elapsed, "elapsed_s": elapsed,
                   "eta_s": elapsed / step * (settings.steps - step)}
        if test_images is not None and (step % settings.eval_every == 0 or step == settings.steps):
            mean, std = evaluate_bits_per_dim(model, test_images)
            yield {"event": "eval", "step": step, "test_bpd": mean, "test_bpd_std": std}
