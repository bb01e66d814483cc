"""The NaN guard: survive a step that blows up instead of training on garbage.

Flows diverge now and then (an affine coupling's scale explodes, a bad batch
meets a high learning rate), and one non-finite value poisons every weight
and Adam's moment estimates for good.  The guard keeps a copy of the last
good model and optimiser state in (CPU) memory, refreshed every
``guard_every`` good steps.  When a step's loss, gradient norm or weights are
not finite, the engine calls :meth:`DivergenceGuard.rollback`: the copy is
restored and the learning rate is halved.  After ``max_rollbacks`` rollbacks
with no full good stretch in between, :class:`Diverged` says training gives up.

The step counter and the data position are not rewound: the failed batches
are skipped, so the run still ends at its planned step.
"""

from __future__ import annotations

import torch
from torch import nn

from flowstudio.training.state import load_optimizer, model_tensors, optimizer_tensors

LR_CUT = 0.5
"""Factor applied to the learning rate at each rollback."""


class Diverged(Exception):
    """Too many rollbacks in a row; the message says what to try."""


def not_finite(loss: torch.Tensor, grad_norm: torch.Tensor, parameters: list[torch.Tensor]) -> torch.Tensor:
    """1.0 if the loss, the gradient norm or any weight is NaN/inf, else 0.0 (a tensor: no device sync)."""
    weight_norm = torch.nn.utils.get_total_norm([p.detach() for p in parameters])
    checks = torch.stack([loss.detach().float(), grad_norm.detach().float(), weight_norm.float()])
    return (~torch.isfinite(checks).all()).float()


class DivergenceGuard:
    """Last-good-state keeper for one model and its optimiser."""

    def __init__(self, model: nn.Module, optimizer: torch.optim.Optimizer, every: int, max_rollbacks: int):
        self.model = model
        self.optimizer = optimizer
        self.every = every
        self.max_rollbacks = max_rollbacks
        self.good_steps = 0
        self.snapshot_step = 0
        self._snapshot: tuple | None = None

    def snapshot(self, step: int) -> None:
        """Remember the current state as the last good one."""
        self._snapshot = (model_tensors(self.model), *optimizer_tensors(self.optimizer))
        self.snapshot_step = step
        self.good_steps = 0

    def good_step(self, step: int) -> bool:
        """Count a good step; every ``every`` of them refresh the snapshot.  True when refreshed."""
        self.good_steps += 1
        if self.good_steps >= self.every:
            self.snapshot(step)
            return True
        return False

    def rollback(self, rollbacks_in_row: int) -> None:
        """Restore the last good state, or raise :class:`Diverged` when the rollbacks are used up."""
        if rollbacks_in_row > self.max_rollbacks:
            raise Diverged(f"training diverged: the loss or weights became NaN/inf {rollbacks_in_row} times "
                           f"in a row, even after lowering the learning rate; try a lower --lr, "
                           f"a smaller --grad-clip or a smaller model")
        weights, optim, optim_meta = self._snapshot
        self.model.load_state_dict(weights)
        # The optimiser keeps CPU tensors it is given as they are: clone, or its updates would edit the snapshot.
        load_optimizer(self.optimizer, {k: v.clone() for k, v in optim.items()}, optim_meta)
        self.good_steps = 0
