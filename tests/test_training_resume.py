"""Exact resume: a run killed with SIGKILL continues from its last checkpoint with identical losses."""

from __future__ import annotations

import signal
import subprocess

import torch

from flowstudio.checkpoint import load_checkpoint
from flowstudio.cli.main import main
from tests.training_utils import TINY, child_env, events_of, losses, train_command, wait_until

ARGS = [*TINY, "--steps", "300", "--log-every", "1", "--checkpoint-every", "10", "--eval-every", "100"]


def test_resume_after_kill_9_gives_the_losses_of_an_uninterrupted_run(tmp_path, capsys):
    killed = tmp_path / "killed"
    child = subprocess.Popen(train_command(*ARGS, "--run-dir", str(killed), "--json"), env=child_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_until(lambda: events_of(killed, "checkpoint") or child.poll() is not None)
        child.send_signal(signal.SIGKILL)  # at once: possibly in the middle of the next step or checkpoint
    finally:
        child.wait()
    assert child.returncode == -signal.SIGKILL, child.stderr.read().decode()
    before = events_of(killed)
    assert before[-1]["event"] not in ("done", "error")

    assert main(["train", "--resume", str(killed), "--json"]) == 0
    after = events_of(killed)[len(before):]
    start = after[0]
    assert start["event"] == "start" and start["resumed_from_step"] % 10 == 0 and start["resumed_from_step"] >= 10

    reference = tmp_path / "reference"
    assert main(["train", *ARGS, "--run-dir", str(reference), "--json"]) == 0
    expected = losses(events_of(reference))
    assert set(expected) == set(range(1, 301))
    # Every loss the killed run logged, before the kill and after the resume, equals the uninterrupted one.
    assert losses(before) == {s: expected[s] for s in losses(before)}
    assert losses(after) == {s: expected[s] for s in range(start["resumed_from_step"] + 1, 301)}
    final = [load_checkpoint(run / "model.safetensors").model.state_dict() for run in (killed, reference)]
    assert all(torch.equal(final[0][k], final[1][k]) for k in final[1])


def test_resume_refuses_changed_settings_but_accepts_more_steps(tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", *TINY, "--steps", "6", "--checkpoint-every", "3", "--run-dir", str(run)]) == 0
    assert main(["train", "--resume", str(run), "--lr", "0.1"]) == 2
    assert "--lr cannot be changed" in capsys.readouterr().err
    assert main(["train", *TINY, "--steps", "6", "--run-dir", str(run)]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert main(["train", "--resume", str(run), "--steps", "9"]) == 0
    card = load_checkpoint(run / "model.safetensors").card
    assert card.steps == 9 and card.provenance["recipe"].endswith("--steps 9")
    assert [e["resumed_from_step"] for e in events_of(run, "start")] == [None, 6]
