"""Choosing the compute device: CUDA when present, then Apple MPS, then CPU."""

from __future__ import annotations

import torch

from flowstudio.errors import UserInputError

CHOICES = ("auto", "cpu", "cuda", "mps")


def device_availability() -> dict[str, str]:
    """For each device choice, ``""`` if usable here, else a one-line reason why not."""
    if torch.version.cuda is None:
        cuda = "this PyTorch build has no CUDA support"
    elif not torch.cuda.is_available():
        cuda = "no CUDA GPU was found"
    else:
        cuda = ""
    mps = "" if torch.backends.mps.is_available() else "Apple MPS needs a Mac with Apple silicon"
    return {"auto": "", "cpu": "", "cuda": cuda, "mps": mps}


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA, then MPS, then CPU; an explicit choice that is absent is an error."""
    if name not in CHOICES:
        raise UserInputError(f"unknown device {name!r}; choose one of {', '.join(CHOICES)}")
    available = device_availability()
    if name == "auto":
        return torch.device(next(d for d in ("cuda", "mps", "cpu") if not available[d]))
    if available[name]:
        raise UserInputError(f"device {name} was asked for, but {available[name]} (try --device cpu)")
    return torch.device(name)
