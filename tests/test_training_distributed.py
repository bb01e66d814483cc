"""Two-process data-parallel training on CPU (gloo), started the way users start it: with torchrun."""

from __future__ import annotations

import json
import subprocess
import sys

import torch

from flowstudio.checkpoint import load_checkpoint
from flowstudio.cli.main import main
from tests.training_utils import TINY, child_env, events_of, losses

ARGS = [*TINY, "--steps", "6", "--log-every", "1", "--eval-every", "6", "--checkpoint-every", "3"]


def test_two_gloo_processes_train_like_one_and_only_rank_0_writes(tmp_path, capsys):
    run = tmp_path / "ddp"
    command = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node", "2",
               "-m", "flowstudio", "train", *ARGS, "--run-dir", str(run), "--json"]
    done = subprocess.run(command, env=child_env(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    printed = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [e["event"] for e in printed].count("start") == 1  # rank 1 prints nothing
    events = events_of(run)
    assert [e["event"] for e in events] == [e["event"] for e in printed]
    assert events[0]["world_size"] == 2 and events[-1]["event"] == "done"
    ddp = load_checkpoint(run / "model.safetensors")
    assert ddp.card.provenance["device"] == "2 x cpu" and ddp.card.steps == 6

    # Each rank takes half of every batch and DDP averages the gradients: one process on whole batches agrees.
    single = tmp_path / "single"
    assert main(["train", *ARGS, "--run-dir", str(single), "--json"]) == 0
    expected, got = losses(events_of(single)), losses(events)
    assert got.keys() == expected.keys()
    assert all(abs(got[s] - expected[s]) < 1e-4 for s in got)
    assert got[6] < got[1]
    reference = load_checkpoint(single / "model.safetensors").model.state_dict()
    for name, value in ddp.model.state_dict().items():
        assert torch.allclose(value, reference[name], atol=1e-4), name
