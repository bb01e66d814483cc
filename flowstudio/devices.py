"""Choosing the compute device: CUDA when present, then Apple MPS, then CPU."""

from __future__ import annotations

import torch

CHOICES = ("auto", "cpu", "cuda", "mps")


def resolve_device(name: str = "auto") -> torch.device:
    """``auto`` picks CUDA, then MPS, then CPU; an explicit choice that is absent is an error."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise ValueError("CUDA was asked for, but no CUDA device is available (try --device cpu)")
    if name == "mps" and not torch.backends.mps.is_available():
        raise ValueError("Apple MPS was asked for, but it is not available (try --device cpu)")
    if name not in CHOICES:
        raise ValueError(f"unknown device {name!r}; choose one of {', '.join(CHOICES)}")
    return torch.device(name)
