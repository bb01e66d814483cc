"""Finding the model file that made a result, from the SHA-256 its PNG records (no Qt, no torch).

A dropped PNG made with another model names that model's file hash (and,
when the studio wrote it, its path).  The candidates are the recorded path,
the recently opened models and the bundled ones; the first file whose
content has that hash is the model (reading each file once: call this on a
worker thread).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from flowstudio.files import file_sha256
from flowstudio.resources import bundled_models


def find_model(sha256: str, candidates: Iterable[str | Path | None]) -> Path | None:
    """The first existing candidate file (then each bundled model) whose content has this hash, or ``None``."""
    seen: set[Path] = set()
    for candidate in [*candidates, *bundled_models()]:
        if not candidate:
            continue
        path = Path(candidate)
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        try:
            if file_sha256(path) == sha256:
                return path
        except OSError:
            continue
    return None
