"""The studio's training runs, read from their folders (no Qt, no torch): the Train panel's history list.

A run folder holds ``run.json`` (settings, data, architecture) and
``events.jsonl`` (one event per line); from them a :class:`RunSummary`
says what the run is, how far it got and how it ended.  A run whose last
event is not final was interrupted (a crash, or the app quit) unless it is
the one running now; both cancelled and interrupted runs can be resumed
from their checkpoint.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

DATASETS = (("digits", "Digits (8×8, built in)"), ("fashion-mnist", "Fashion-MNIST (28×28)"),
            ("portraits", "Procedural portraits (colour)"))
"""Built-in data sets: ``--data`` value and label."""
STATES = {"done": "finished", "cancelled": "cancelled", "error": "failed"}


@dataclass(frozen=True)
class RunSummary:
    path: Path
    name: str
    data: str
    steps: int
    step: int
    last_bpd: float | None
    state: str
    """``running`` (events still coming), ``finished``, ``cancelled``, ``failed`` or ``interrupted``."""

    @property
    def model(self) -> Path | None:
        path = self.path / "model.safetensors"
        return path if path.is_file() else None

    @property
    def resumable(self) -> bool:
        return self.state in ("cancelled", "failed", "interrupted") and (self.path / "checkpoint.safetensors").is_file()


def read_events(path: Path) -> list[dict]:
    """The events of a run folder (a torn last line, from a crash mid-write, is skipped)."""
    events = []
    try:
        lines = (path / "events.jsonl").read_text(encoding="utf-8").splitlines()
    except OSError:
        return events
    for line in lines:
        try:
            events.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return events


def read_run(path: str | Path, running: bool = False) -> RunSummary | None:
    """The summary of one run folder; ``None`` when it is not one (no readable ``run.json``)."""
    path = Path(path)
    try:
        info = json.loads((path / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    events = read_events(path)
    step = max((e.get("step") or 0 for e in events), default=0)
    bpds = [e.get("test_bpd") for e in events if e.get("event") in ("eval", "done") and e.get("test_bpd") is not None]
    bpds = bpds or [e.get("loss_bpd") for e in events if e.get("event") == "step" and e.get("loss_bpd") is not None]
    starts = [i for i, e in enumerate(events) if e.get("event") == "start"]
    since_start = events[starts[-1]:] if starts else events  # a resumed run: only its latest session counts
    finals = [e["event"] for e in since_start if e.get("event") in STATES]
    state = "running" if running else STATES[finals[-1]] if finals else "interrupted"
    data = info.get("data", {}).get("source", {}).get("source") or info.get("data", {}).get("description", "?")
    return RunSummary(path, info.get("name") or path.name, str(data), int(info.get("settings", {}).get("steps", 0)),
                      int(step), bpds[-1] if bpds else None, state)


def list_runs(root: str | Path, running: set[Path] = frozenset()) -> list[RunSummary]:
    """Every run under ``root``, newest first; ``running`` lists the folders of live runs."""
    root = Path(root)
    folders = [p for p in root.iterdir() if p.is_dir()] if root.is_dir() else []
    runs = [read_run(p, p.resolve() in {r.resolve() for r in running}) for p in folders]
    runs = [r for r in runs if r is not None]
    return sorted(runs, key=lambda r: (r.path / "run.json").stat().st_mtime, reverse=True)


def new_run_dir(root: str | Path, name: str) -> Path:
    """A fresh folder name under ``root`` for ``name`` (``name``, ``name-2``, ...), not created yet."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name.strip()).strip("-.") or "run"
    path, n = Path(root) / stem, 2
    while path.exists():
        path, n = Path(root) / f"{stem}-{n}", n + 1
    return path
