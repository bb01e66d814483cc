"""The records Flow Studio writes about its results: PNG parameter records and CSV/JSON result tables.

Every PNG the command line or the studio writes carries a JSON record (an
iTXt chunk, see :mod:`flowstudio.imaging`); both build it from the pieces
here, so a grid from either reads back the same way.  Result tables
(``flowstudio classify``/``score``, the studio's Classify export) are
written by :func:`write_rows`.

Importing this module does not import torch.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowstudio.files import atomic_write_bytes
from flowstudio.likelihood import RECORD_KEY, LikelihoodSpec

if TYPE_CHECKING:
    from flowstudio.checkpoint import LoadedModel
    from flowstudio.transflow import Posterior


def model_record(loaded: LoadedModel) -> dict[str, Any]:
    """Which model made a result: its id and the file's SHA-256."""
    return {"model": loaded.model_id, "model_sha256": loaded.sha256}


def likelihood_record(spec: LikelihoodSpec, post: Posterior | None = None) -> dict[str, Any]:
    """The likelihood rule of a result, ``{"likelihood": spec.to_record()}``.

    With its posterior, also ``m`` (the number of evidence images) and
    ``lam_abs``, the absolute lambda the posterior used (computed from the
    spec; a reader restores the spec, never this value).  Records written
    before the ``likelihood`` key existed are read by
    :func:`flowstudio.likelihood.read_png_likelihood`.
    """
    out: dict[str, Any] = {RECORD_KEY: spec.to_record()}
    if post is not None:
        out.update(m=post.m, lam_abs=post.lam_abs)
    return out


def escape_text(text: str) -> str:
    """``text`` as valid UTF-8: bytes of a file name that are not UTF-8 become ``\\xNN`` (``caf\\xe9.png``).

    Python keeps such bytes of names read from the file system as surrogate
    escapes (``os.fsdecode``), which cannot be encoded to UTF-8; every other
    text is returned as it is.
    """
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        pass
    try:
        return os.fsencode(text).decode("utf-8", "backslashreplace")
    except UnicodeError:  # a lone surrogate that did not come from a file name
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def escaped_note(count: int) -> str:
    """The line saying that :func:`write_rows` escaped ``count`` names."""
    names = "1 name is" if count == 1 else f"{count} names are"
    return f"{names} not valid UTF-8: their other bytes are written as \\xNN (as in caf\\xe9.png)"


def write_rows(rows: Sequence[dict[str, Any]], fields: Sequence[str], out: str | Path | None) -> int:
    """Results as CSV (floats to 3 decimals) on stdout or to ``out``; JSON when ``out`` ends in .json.

    Files are written atomically (a reader never sees half a table; a failed
    write raises :class:`~flowstudio.errors.WriteError` and leaves the previous
    file).  Names that are not valid UTF-8 (file names with other bytes) are
    written escaped (:func:`escape_text`); returns how many different names
    were, so the caller can say so once (:func:`escaped_note`).
    """
    rows, fields, escaped = _utf8_rows(rows, fields)
    out = Path(out) if out is not None else None
    if out is not None and out.suffix.lower() == ".json":
        atomic_write_bytes(out, json.dumps(rows, indent=2).encode())
        return escaped
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    writer.writerows({k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in r.items()} for r in rows)
    if out is None:
        sys.stdout.write(buf.getvalue())
    else:
        atomic_write_bytes(out, buf.getvalue().encode())
    return escaped


def _utf8_rows(rows: Sequence[dict[str, Any]], fields: Sequence[str]
               ) -> tuple[list[dict[str, Any]], list[str], int]:
    """Copies of ``rows`` and ``fields`` whose text keys and values are valid UTF-8, and how many texts were not."""
    escaped: set[str] = set()

    def fix(value: Any) -> Any:
        if not isinstance(value, str):
            return value
        text = escape_text(value)
        if text is not value:
            escaped.add(value)
        return text

    fixed = [{fix(k): fix(v) for k, v in r.items()} for r in rows]
    return fixed, [fix(f) for f in fields], len(escaped)
