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
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

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


def write_rows(rows: Sequence[dict[str, Any]], fields: Sequence[str], out: str | Path | None) -> None:
    """Results as CSV (floats to 3 decimals) on stdout or to ``out``; JSON when ``out`` ends in .json.

    Files are written atomically (a reader never sees half a table).
    """
    from flowstudio.checkpoint import atomic_write_bytes

    out = Path(out) if out is not None else None
    if out is not None and out.suffix.lower() == ".json":
        atomic_write_bytes(out, json.dumps(list(rows), indent=2).encode())
        return
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(fields))
    writer.writeheader()
    writer.writerows({k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in r.items()} for r in rows)
    if out is None:
        sys.stdout.write(buf.getvalue())
    else:
        atomic_write_bytes(out, buf.getvalue().encode())
