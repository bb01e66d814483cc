"""The GUI's runner: a training child process, steered through stdin, watched through its JSON events."""

from __future__ import annotations

import os
import signal
import sys
import time

from flowstudio.checkpoint import read_extra_metadata
from flowstudio.training import TrainingRunner
from tests.training_utils import CHILD_ENV, TINY

ENDLESS = [*TINY, "--steps", "1000000", "--log-every", "1", "--eval-every", "1000000",
           "--checkpoint-every", "1000000"]


def next_event(runner: TrainingRunner, kind: str, timeout: float = 60.0) -> dict:
    """Skip events until one of ``kind`` (failing on a final event or the end of the stream)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        event = runner.poll(timeout=0.5)
        if event is None:
            continue
        if event["event"] == kind:
            return event
        assert event["event"] not in ("error", "exited"), event
    raise TimeoutError(f"no {kind} event")


def test_pause_resume_cancel_within_a_second_then_resume_the_run(tmp_path):
    run = tmp_path / "run"
    seen = []
    runner = TrainingRunner(ENDLESS, run, on_event=seen.append, env=CHILD_ENV)
    runner.start()
    assert next_event(runner, "start")["run_dir"] == str(run)
    next_event(runner, "step")
    runner.pause()
    paused_at = next_event(runner, "paused")["step"]
    assert runner.poll(timeout=0.5) is None  # no steps while paused
    runner.resume()
    assert next_event(runner, "resumed")["step"] == paused_at
    assert next_event(runner, "step")["step"] == paused_at + 1

    assert runner.cancel(timeout=60.0) is True  # the child stopped by itself, leaving a checkpoint
    cancelled = next_event(runner, "cancelled")
    assert cancelled["checkpoint"] == str(run / "checkpoint.safetensors")
    assert read_extra_metadata(run / "checkpoint.safetensors")["progress"]["step"] == cancelled["step"]
    assert [e["event"] for e in runner.events()] == ["exited"] and runner.returncode == 130
    assert seen[-1]["event"] == "exited" and not runner.is_running

    again = TrainingRunner.resume_run(run, env=CHILD_ENV)
    assert next_event(again, "start")["resumed_from_step"] == cancelled["step"]
    assert next_event(again, "step")["step"] == cancelled["step"] + 1
    assert again.cancel() is True


def test_a_killed_child_becomes_an_error_event_and_the_stream_ends(tmp_path):
    runner = TrainingRunner(ENDLESS, tmp_path / "run", env=CHILD_ENV)
    runner.start()
    next_event(runner, "step")
    os.kill(runner.pid, signal.SIGKILL)
    rest = list(runner.events())
    error = [e for e in rest if e["event"] == "error"]
    assert len(error) == 1 and "killed by signal SIGKILL" in error[0]["message"]
    assert rest[-1] == {**rest[-1], "event": "exited", "returncode": -signal.SIGKILL}
    assert runner.wait(timeout=1) == -signal.SIGKILL


def test_a_child_that_fails_at_once_reports_its_stderr(tmp_path):
    runner = TrainingRunner(["--data", "digits", "--family", "nope"], tmp_path / "run", env=CHILD_ENV)
    runner.start()
    events = list(runner.events())
    assert [e["event"] for e in events] == ["error", "exited"]
    assert "exited with status 2" in events[0]["message"] and "invalid choice" in events[0]["stderr_tail"]


def test_a_user_error_arrives_as_the_childs_own_error_event(tmp_path):
    runner = TrainingRunner(["--data", str(tmp_path / "missing")], tmp_path / "run", env=CHILD_ENV)
    runner.start()
    events = list(runner.events())
    assert [e["event"] for e in events] == ["error", "exited"] and events[1]["returncode"] == 2
    assert "not a folder" in events[0]["message"] and "stderr_tail" not in events[0]


def test_requests_become_valid_arguments_and_a_frozen_app_calls_itself(tmp_path, monkeypatch):
    from flowstudio.cli.main import build_parser
    from flowstudio.training import TrainRequest

    request = TrainRequest(data="digits", family="realnvp", arch={"hidden": 8, "coupling": "additive"}, steps=5,
                           extra=["--lr-decay", "cosine"])
    runner = TrainingRunner(request, tmp_path / "run")
    args = build_parser().parse_args(runner.command()[3:])
    assert (args.family, args.steps, args.lr_decay, args.json) == ("realnvp", 5, "cosine", True)
    assert args.arch == ["hidden=8", "coupling=additive"] and args.run_dir == tmp_path / "run"
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    assert runner.command()[:2] == [sys.executable, "train"]
    assert "--run-dir" not in TrainingRunner(["--resume", str(tmp_path)], tmp_path).command()
