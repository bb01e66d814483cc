"""The run folder: everything one training run writes, in one place.

Layout::

    runs/<name>/
      run.json                  settings, data description, model config, command (written at start)
      events.jsonl              every event, one JSON object per line (appended as they happen)
      checkpoint.safetensors    latest resumable state: model, optimiser, counters, RNG states
      samples/step_000500.png   sample grids (fixed noise, temperature 0.7 by default)
      model.safetensors         the final model with its model card (written when training is done)

Every file except ``events.jsonl`` is replaced atomically (write a temporary
file, fsync, rename), so a crash or a full disk at any moment leaves the
previous version; a write that fails raises :class:`~flowstudio.errors.WriteError`.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from flowstudio.errors import UserInputError, WriteError
from flowstudio.files import atomic_write_bytes, make_folder
from flowstudio.training.events import to_json_line

DEFAULT_ROOT = Path("runs")


class RunDir:
    """Paths of a run folder, and the few writes that are not checkpoints."""

    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    @property
    def run_json(self) -> Path:
        return self.path / "run.json"

    @property
    def events(self) -> Path:
        return self.path / "events.jsonl"

    @property
    def checkpoint(self) -> Path:
        return self.path / "checkpoint.safetensors"

    @property
    def model(self) -> Path:
        return self.path / "model.safetensors"

    @property
    def samples(self) -> Path:
        return self.path / "samples"

    def sample_path(self, step: int) -> Path:
        return self.samples / f"step_{step:06d}.png"

    @classmethod
    def claim(cls, name: str, root: Path = DEFAULT_ROOT) -> RunDir:
        """A new, empty ``root/name`` folder; ``name-2``, ``name-3``, ... if taken.

        ``mkdir`` either creates the folder or fails, so two runs started at
        the same moment never share a folder.
        """
        make_folder(root)
        for i in range(1, 10_000):
            path = root / (name if i == 1 else f"{name}-{i}")
            try:
                path.mkdir()
                return cls(path)
            except FileExistsError:
                continue
            except OSError as exc:
                raise WriteError.of(exc, path, "create the folder") from exc
        raise FileExistsError(f"{root}: too many runs named {name!r}; pass --run-dir")

    def prepare(self) -> None:
        """Create the folder (and ``samples/``) and tidy what a killed process left.

        Temporary files of interrupted atomic writes are removed, and a last
        event line cut short is ended, so that new events start on a line of
        their own.  A folder that cannot be written raises :class:`WriteError`.
        """
        make_folder(self.samples)
        try:
            for folder in (self.path, self.samples):
                for tmp in folder.glob(".*.tmp"):
                    tmp.unlink(missing_ok=True)
            if self.events.is_file() and self.events.stat().st_size:
                with open(self.events, "rb+") as fh:
                    fh.seek(-1, os.SEEK_END)
                    if fh.read(1) != b"\n":
                        fh.write(b"\n")
        except OSError as exc:
            raise WriteError.of(exc, exc.filename or self.events) from exc

    def write_info(self, info: dict[str, Any]) -> None:
        atomic_write_bytes(self.run_json, (json.dumps(info, indent=2, sort_keys=True) + "\n").encode())

    def read_info(self) -> dict[str, Any]:
        if not self.run_json.is_file():
            raise FileNotFoundError(f"{self.path}: not a run folder (no run.json)")
        try:
            return json.loads(self.run_json.read_text())
        except json.JSONDecodeError as exc:
            raise UserInputError(f"{self.run_json}: corrupt ({exc})") from None

    def read_events(self) -> list[dict[str, Any]]:
        """The events logged so far; a line cut short by a kill is skipped."""
        if not self.events.is_file():
            return []
        events = []
        for line in self.events.read_text(encoding="utf-8").splitlines():
            try:
                events.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return events

    def append_event(self, event: dict[str, Any]) -> None:
        """Append one event line and flush it to the OS (readers such as a GUI see it at once)."""
        with open(self.events, "a", encoding="utf-8") as fh:
            fh.write(to_json_line(event) + "\n")
