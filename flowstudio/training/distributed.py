"""Data-parallel training over several processes (``torchrun``), or just one.

``torchrun --nproc_per_node N -m flowstudio train ...`` starts N copies of
the command with ``WORLD_SIZE``, ``RANK`` and ``LOCAL_RANK`` set; each copy
joins a process group (NCCL on CUDA, gloo on CPU), wraps the model in
:class:`~torch.nn.parallel.DistributedDataParallel` and trains on its own
slice of every batch.  How the pieces stay consistent:

* every rank draws the same global batch (same seed) and the same
  dequantization noise for it, and keeps rows ``rank::world_size``; each rank's
  loss is its share of the global mean, so DDP's gradient average equals the
  single-process gradient of the whole batch;
* ActNorm's data-dependent initialisation runs before wrapping, on the same
  batch on every rank, and DDP then broadcasts rank 0's parameters and buffers;
* once per step the ranks all-reduce one small vector (loss sum, bad-step
  flag, pause, cancel) so that logging, the NaN guard and a cancel agree;
* only rank 0 evaluates, writes files and prints events.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch import nn

from flowstudio.errors import UserInputError


@dataclass(frozen=True)
class Cluster:
    """This process's place among the training processes (a single process: rank 0 of 1)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    collective_device: str = "cpu"  # where all-reduced tensors must live (CUDA for NCCL)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    def shard(self, batch: torch.Tensor) -> torch.Tensor:
        """This rank's rows of a global batch."""
        return batch[self.rank::self.world_size] if self.distributed else batch

    def wrap(self, model: nn.Module, device: torch.device) -> nn.Module:
        """The module to call for training: DDP-wrapped when distributed."""
        if not self.distributed:
            return model
        ids = [device.index] if device.type == "cuda" else None
        return nn.parallel.DistributedDataParallel(model, device_ids=ids)

    def sum(self, values: torch.Tensor) -> torch.Tensor:
        """Element-wise sum of a CPU tensor over all ranks (the tensor itself for one process)."""
        if not self.distributed:
            return values
        values = values.to(self.collective_device)
        dist.all_reduce(values, op=dist.ReduceOp.SUM)
        return values.cpu()

    def close(self) -> None:
        if self.distributed and dist.is_initialized():
            dist.destroy_process_group()


def from_environment(device: torch.device) -> tuple[Cluster, torch.device]:
    """Join the process group ``torchrun`` describes in the environment, if any.

    Returns the cluster and the device this rank trains on (``cuda:LOCAL_RANK``
    on CUDA machines).
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return Cluster(), device
    rank, local_rank = int(os.environ["RANK"]), int(os.environ.get("LOCAL_RANK", "0"))
    if device.type == "cuda":
        device = torch.device("cuda", local_rank)
        torch.cuda.set_device(device)
    elif device.type != "cpu":
        raise UserInputError(f"multi-process training runs on CUDA (NCCL) or CPU (gloo), not {device.type}")
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Cluster(rank, world_size, local_rank, str(device)), device
