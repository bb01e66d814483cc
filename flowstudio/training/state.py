"""Resumable training state: what a checkpoint must hold to continue a run exactly.

A resumable checkpoint is an ordinary Flow Studio checkpoint (it loads with
:func:`flowstudio.checkpoint.load_checkpoint`) whose ``extra/`` tensors and
``flowstudio.extra`` JSON hold the rest of the state, never a pickle:

* ``extra/optim/<param index>/<name>``: the optimiser's per-parameter
  tensors (Adam's ``step``, ``exp_avg``, ``exp_avg_sq``); its hyper-parameters
  (``param_groups``) and any non-tensor state go in the JSON;
* ``extra/rng/torch_cpu`` and ``extra/rng/torch_cuda``: the global torch
  generator states as uint8 tensors (CUDA only when training on CUDA);
* the JSON's ``progress``: :class:`Progress`, the step counter, the data
  order position (epoch and cursor; the order itself is derived from the seed
  and the epoch, see :mod:`flowstudio.training.engine`), the learning-rate
  scale left by the NaN guard, the time spent so far and the last held-out
  score.

The learning rate is a pure function of the step, the settings and
``lr_scale``, so no scheduler object needs saving.  The data order and the
dequantization noise come from generators seeded from ``(seed, epoch)`` and
``(seed, step)``; numpy and Python's ``random`` are not used while training.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from typing import Any

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file
from torch import nn

from flowstudio.checkpoint import CheckpointError, read_extra_metadata, save_checkpoint
from flowstudio.models import Flow

STATE_KIND = "flowstudio.training_state"
STATE_VERSION = 1


@dataclass
class Progress:
    """Counters of a run, saved with every checkpoint."""

    step: int = 0                 # optimiser updates done
    epoch: int = 0                # index of the current pass over the training data
    cursor: int = 0               # position in this pass's shuffled order
    lr_scale: float = 1.0         # product of the NaN guard's learning-rate cuts
    rollbacks_in_row: int = 0     # guard rollbacks since the last good stretch of steps
    images_seen: int = 0
    elapsed_s: float = 0.0        # training wall time, summed over resumed sessions
    last_eval: dict[str, float] | None = None  # {"step", "test_bpd", "test_bpd_std"}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Progress:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def model_tensors(model: nn.Module) -> dict[str, torch.Tensor]:
    """A CPU copy of the model's state dict (a copy even for CPU models)."""
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def optimizer_tensors(optimizer: torch.optim.Optimizer) -> tuple[dict[str, torch.Tensor], dict[str, Any]]:
    """Flatten ``optimizer.state_dict()`` into CPU tensor copies and JSON (inverse: :func:`load_optimizer`)."""
    sd = optimizer.state_dict()
    tensors: dict[str, torch.Tensor] = {}
    scalars: dict[str, Any] = {}
    for index, entry in sd["state"].items():
        for name, value in entry.items():
            if isinstance(value, torch.Tensor):
                tensors[f"{index}/{name}"] = value.detach().to("cpu", copy=True)
            else:
                scalars[f"{index}/{name}"] = value
    return tensors, {"param_groups": sd["param_groups"], "scalars": scalars}


def load_optimizer(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], meta: dict[str, Any]) -> None:
    """Restore the state flattened by :func:`optimizer_tensors`."""
    state: dict[int, dict[str, Any]] = {}
    for key, value in [*tensors.items(), *meta["scalars"].items()]:
        index, _, name = key.partition("/")
        state.setdefault(int(index), {})[name] = value
    optimizer.load_state_dict({"state": state, "param_groups": meta["param_groups"]})


def rng_tensors(device: torch.device) -> dict[str, torch.Tensor]:
    """Global torch generator states as uint8 tensors."""
    states = {"torch_cpu": torch.get_rng_state()}
    if device.type == "cuda":
        states["torch_cuda"] = torch.cuda.get_rng_state(device)
    return states


def restore_rng(states: dict[str, torch.Tensor], device: torch.device) -> None:
    if "torch_cpu" in states:
        torch.set_rng_state(states["torch_cpu"])
    if device.type == "cuda" and "torch_cuda" in states:
        torch.cuda.set_rng_state(states["torch_cuda"], device)


def save_state(path: str | os.PathLike, model: Flow, optimizer: torch.optim.Optimizer, progress: Progress,
               card: dict[str, Any], device: torch.device) -> None:
    """Write a resumable checkpoint atomically (see the module docstring for its contents)."""
    optim, optim_meta = optimizer_tensors(optimizer)
    extra = {f"optim/{k}": v for k, v in optim.items()}
    extra.update({f"rng/{k}": v for k, v in rng_tensors(device).items()})
    meta = {"kind": STATE_KIND, "version": STATE_VERSION, "progress": asdict(progress), "optimizer": optim_meta}
    save_checkpoint(model, path, card, extra_tensors=extra, extra_metadata=meta)


def load_state(path: str | os.PathLike, model: Flow, optimizer: torch.optim.Optimizer,
               device: torch.device) -> Progress:
    """Restore model, optimiser and RNG states from :func:`save_state`'s file; return the progress."""
    meta = read_extra_metadata(path)
    if not meta or meta.get("kind") != STATE_KIND:
        raise CheckpointError(f"{os.fspath(path)}: a model, but not a resumable training checkpoint")
    if meta.get("version") != STATE_VERSION:
        raise CheckpointError(f"{os.fspath(path)}: training state version {meta.get('version')!r} "
                              f"is not supported (this version reads {STATE_VERSION})")
    try:
        tensors = load_file(os.fspath(path))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{os.fspath(path)}: cannot read tensors ({exc})") from None
    model.load_state_dict({k: v for k, v in tensors.items() if not k.startswith("extra/")}, strict=True)
    load_optimizer(optimizer, _with_prefix(tensors, "extra/optim/"), meta["optimizer"])
    restore_rng(_with_prefix(tensors, "extra/rng/"), device)
    return Progress.from_json(meta["progress"])


def _with_prefix(tensors: dict[str, torch.Tensor], prefix: str) -> dict[str, torch.Tensor]:
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}
