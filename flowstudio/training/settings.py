"""Everything that decides how a model is trained, as one JSON-serialisable record.

:class:`TrainSettings` is stored in a run folder's ``run.json`` so that
``flowstudio train --resume`` continues with exactly the settings the run
started with.  The architecture is not here: it is the model config (see
:mod:`flowstudio.training.presets`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

from flowstudio.errors import UserInputError

LR_DECAYS = ("none", "cosine", "halve")


@dataclass
class TrainSettings:
    """Hyper-parameters and intervals of one training run (all steps count optimiser updates)."""

    steps: int = 1000
    batch_size: int = 64
    lr: float = 1e-3
    warmup_steps: int = 200
    lr_decay: str = "none"              # "cosine": to 0 at the last step; "halve": halved after half the steps
    grad_clip: float = 50.0             # maximum global gradient norm
    init_batch_size: int = 512          # images for the data-dependent ActNorm initialisation
    eval_every: int = 1000              # held-out bits/dim every N steps (and at the end)
    log_every: int = 10                 # a ``step`` event every N steps
    sample_every: int = 500             # a sample grid every N steps (and at the end); 0: never
    sample_count: int = 16
    sample_temperature: float = 0.7
    checkpoint_every: int = 500         # resumable checkpoint every N steps (and on cancel, at the end)
    guard_every: int = 50               # in-memory snapshot for the NaN guard every N good steps
    max_rollbacks: int = 3              # give up after this many rollbacks without N good steps between
    seed: int = 0                       # weights, data split and order, dequantization noise
    labelled_share: float = 0.1         # semi-supervised runs: this share of every batch is labelled examples
    amp: bool | None = None             # bf16 autocast: None = where supported (CUDA), else as given
    debug_nan_steps: tuple[int, ...] = ()  # test hook: make the loss NaN at these steps

    def __post_init__(self) -> None:
        self.debug_nan_steps = tuple(int(s) for s in self.debug_nan_steps)
        positive = ("steps", "batch_size", "init_batch_size", "eval_every", "log_every", "checkpoint_every",
                    "guard_every", "sample_count")
        for name in positive:
            if int(getattr(self, name)) < 1:
                raise UserInputError(f"{name.replace('_', '-')} must be at least 1, got {getattr(self, name)}")
        if self.lr <= 0 or self.grad_clip <= 0 or self.sample_temperature < 0:
            raise UserInputError("lr and grad-clip must be positive and sample-temperature non-negative")
        if min(self.warmup_steps, self.sample_every, self.max_rollbacks, self.seed) < 0:
            raise UserInputError("warmup, sample-every, max-rollbacks and seed cannot be negative")
        if not 0 <= self.labelled_share < 1:
            raise UserInputError(f"labelled-share must be at least 0 and below 1, got {self.labelled_share}")
        if self.lr_decay not in LR_DECAYS:
            raise UserInputError(f"unknown lr-decay {self.lr_decay!r}; choose one of {', '.join(LR_DECAYS)}")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["debug_nan_steps"] = list(self.debug_nan_steps)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TrainSettings:
        """Inverse of :meth:`to_json`; unknown keys (from a newer version) are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})
