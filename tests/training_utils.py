"""Shared pieces of the training tests: a tiny Glow on digits, child-process settings, event helpers."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Any

from flowstudio.training.run_dir import RunDir

TINY = ["--data", "digits", "--family", "glow", "--arch", "levels=2", "--arch", "steps=1", "--arch", "hidden=8",
        "--batch-size", "32", "--warmup", "5", "--sample-every", "0"]
"""A 2,940-parameter Glow on the 8 x 8 digits: milliseconds per step."""

CHILD_ENV = {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1"}
"""One thread per child process: tiny models are fastest so, and results are bit-reproducible."""


def child_env() -> dict[str, str]:
    root = str(Path(__file__).resolve().parents[1])
    return {**os.environ, **CHILD_ENV, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}


def train_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "flowstudio", "train", *args]


def events_of(run_dir: Path, kind: str | None = None) -> list[dict[str, Any]]:
    events = RunDir(run_dir).read_events()
    return events if kind is None else [e for e in events if e["event"] == kind]


def losses(events: list[dict[str, Any]]) -> dict[int, float]:
    """``{step: loss}`` of the step events (a later event for the same step must agree; checked by callers)."""
    return {e["step"]: e["loss_bpd"] for e in events if e["event"] == "step"}


def wait_until(condition, timeout: float = 60.0, interval: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(interval)
