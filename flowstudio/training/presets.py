"""Size presets per flow family, and how long a pass over the data will take.

A preset is a starting point: an architecture, batch size, learning rate and
number of steps that train well together.  Every value can be overridden
(``--arch key=value``, ``--batch-size``, ``--lr``, ``--steps``).  Multi-scale
depth (Glow's ``levels``, RealNVP's ``scales``) is capped to what the image
size allows, so every preset fits every data set.

Time estimates are measured, not guessed: a few real optimisation steps of
the architecture run on the chosen device (on random pixels, in a throwaway
model), and the time per step is multiplied by the steps in one epoch.  On
slow steps the measurement uses a smaller batch and scales linearly, so an
estimate of a large model on a CPU takes seconds, not minutes.
"""

from __future__ import annotations

import math
import time
from typing import Any

import torch

from flowstudio.models import build_model
from flowstudio.training.preset_table import get_preset
from flowstudio.training.objective import training_bits_per_dim

FAST_STEP_S = 1.0
"""A measured step (scaled to the full batch) under this is re-measured at the full batch."""


def preset_config(family: str, name: str, image_shape: list[int], overrides: dict[str, Any]) -> dict[str, Any]:
    """The model config of a preset for images of ``image_shape``, with ``overrides`` applied last."""
    arch = dict(get_preset(family, name).arch)
    _, h, w = image_shape
    halvings = _halvings(h, w)
    if "levels" in arch:
        arch["levels"] = max(1, min(arch["levels"], halvings))
    if "scales" in arch:
        arch["scales"] = max(1, min(arch["scales"], halvings + 1))
    return {"family": family, "image_shape": list(image_shape), **arch, **overrides}


def _halvings(h: int, w: int) -> int:
    """How many times both sides can be halved exactly."""
    k = 0
    while h % 2 == 0 and w % 2 == 0 and h > 1 and w > 1:
        h, w, k = h // 2, w // 2, k + 1
    return k


def parameter_count(config: dict[str, Any]) -> int:
    return sum(p.numel() for p in build_model(config).parameters())


def measure_step_seconds(config: dict[str, Any], batch_size: int, device: torch.device, amp: bool = False,
                         repeats: int = 2) -> float:
    """Seconds per optimisation step of ``config`` at ``batch_size`` on ``device`` (measured).

    Runs on a fresh model with its own optimiser and generator; the caller's
    random state and model are untouched.
    """
    model = build_model(config).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    gen = torch.Generator().manual_seed(0)
    shape = model.image_shape

    def step(n: int) -> float:
        images = torch.randint(0, 256, (n, *shape), generator=gen, dtype=torch.uint8).to(device)
        noise = torch.rand(images.shape, generator=gen)
        _sync(device)
        t0 = time.perf_counter()
        loss = training_bits_per_dim(model, model, images, noise, amp).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        _sync(device)
        return time.perf_counter() - t0

    small = min(batch_size, 8)
    step(small)  # warm-up (and ActNorm initialisation)
    scaled = min(step(small) for _ in range(repeats)) * batch_size / small
    if scaled >= FAST_STEP_S or small == batch_size:
        return scaled
    step(batch_size)
    return min(step(batch_size) for _ in range(repeats))


def epoch_seconds(step_seconds: float, n_train: int, batch_size: int) -> float:
    return step_seconds * math.ceil(n_train / batch_size)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
