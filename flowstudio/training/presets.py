"""Size presets per flow family, and how long a pass over the data will take.

A preset is a starting point: an architecture, batch size, learning rate and
number of steps that train well together.  Every value can be overridden
(``--arch key=value``, ``--batch-size``, ``--lr``, ``--steps``).  Multi-scale
depth (Glow's ``levels``, RealNVP's ``scales``) is capped to what the image
size allows, so every preset fits every data set.

Time estimates are measured, not guessed: a few real optimisation steps of
the architecture run on the chosen device (on random data (``example_batch``), in a
throwaway model), and the time per step is multiplied by the steps in one epoch.  On
slow steps the measurement uses a smaller batch and scales linearly, so an
estimate of a large model on a CPU takes seconds, not minutes.
"""

from __future__ import annotations

import math
import statistics
import time
from typing import Any

import torch

from flowstudio.models import ImageFlowConfig, build_model
from flowstudio.registry import get_family
from flowstudio.training.objective import training_loss

FAST_STEP_S = 5.0
"""A measured step (scaled to the full batch) under this is re-measured at the full batch, as the run will
run it: scaling a small batch linearly misses how the cost grows with the batch (caches, memory)."""


def preset_config(family: str, name: str, data_shape: list[int], overrides: dict[str, Any],
                  class_names: tuple[str, ...] = ()) -> ImageFlowConfig:
    """The typed config of a preset for samples of ``data_shape`` (``[C, H, W]`` images, ``[D]`` points),
    with ``overrides`` applied last; a labelled family's config also takes its number of classes from
    ``class_names`` (``label_fields``).

    The family's config turns the data shape into its own fields
    (``data_fields``) and fits the preset to it (multi-scale depth is capped
    to what the sides allow); overrides are validated like any config
    (:class:`~flowstudio.errors.ConfigError` names a bad setting).
    """
    entry = get_family(family)
    kind = "points" if len(data_shape) == 1 else "images"
    config_type = entry.config_class(kind)
    arch = config_type.fit_arch(dict(entry.preset(name, kind).arch), tuple(data_shape))
    return config_type.from_json({"family": family, **config_type.data_fields(data_shape),
                                  **config_type.label_fields(class_names), **arch, **overrides})


def parameter_count(config: ImageFlowConfig) -> int:
    return sum(p.numel() for p in build_model(config).parameters())


def measure_step_seconds(config: ImageFlowConfig, batch_size: int, device: torch.device, amp: bool = False,
                         repeats: int = 3) -> float:
    """Seconds per optimisation step of ``config`` at ``batch_size`` on ``device`` (measured).

    Runs on a fresh model with its own optimiser and generator; the caller's
    random state and model are untouched.
    """
    model = build_model(config).to(device).train()
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)
    gen = torch.Generator().manual_seed(0)

    def step(n: int) -> float:
        batch = model.example_batch(n, gen).to(device)
        noise = torch.rand(batch.shape, generator=gen)
        labels = example_labels(model, n, gen)
        _sync(device)
        t0 = time.perf_counter()
        loss = training_loss(model, batch, noise.to(device), amp, None if labels is None else labels.to(device)).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        _sync(device)
        return time.perf_counter() - t0

    small = min(batch_size, 8)
    step(small)  # warm-up (and ActNorm initialisation)
    scaled = statistics.median(step(small) for _ in range(repeats)) * batch_size / small
    if scaled >= FAST_STEP_S or small == batch_size:
        return scaled
    step(batch_size)
    return statistics.median(step(batch_size) for _ in range(repeats))  # the typical step, not the luckiest


def example_labels(model: torch.nn.Module, n: int, generator: torch.Generator) -> torch.Tensor | None:
    """Random class indices for ``n`` examples of a labelled model (to time or initialise a step), else ``None``."""
    if not model.uses_labels:
        return None
    return torch.randint(0, model.config.classes, (n,), generator=generator)


def epoch_seconds(step_seconds: float, n_train: int, batch_size: int) -> float:
    return step_seconds * math.ceil(n_train / batch_size)


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()
