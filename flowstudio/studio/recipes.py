"""Reading the parameters embedded in a Flow Studio PNG back into the document's terms.

Every grid, cell and sweep the studio (or ``flowstudio sample``) writes
carries a JSON record (see :mod:`flowstudio.imaging`).  Dropping such a PNG
on the window turns the record into a :class:`Recipe`: the posterior
parameter values, the evidence images (name, short hash, and path when the
studio wrote it) and the model that made it.  PNGs written before the
likelihood had its own record (keys ``lambda``, ``lambda_relative``) still
restore (:func:`flowstudio.likelihood.read_png_likelihood`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flowstudio.errors import FlowStudioError
from flowstudio.likelihood import read_png_likelihood
from flowstudio.studio.state import MAX_COUNT, PosteriorParams

RESTORABLE_KINDS = ("posterior_samples", "prior_samples", "lambda_sweep")


class RecipeError(FlowStudioError, ValueError):
    """A record that exists but cannot be restored here; the message says why."""


@dataclass(frozen=True)
class EvidenceRef:
    """An evidence image named in a record: its file name, short hash and (if recorded) path."""

    file: str
    sha256: str
    path: str | None = None


@dataclass(frozen=True)
class Recipe:
    """What a PNG's record asks for.  ``evidence`` is ``None`` for samples of the model's prior.

    ``params`` are changes for :meth:`PosteriorParams.with_changes`: the
    likelihood fields the record holds (``lam``, ``relative``, ``covariance``,
    ``floor``) and the sampling ones (``temperature``, ``seed``, ``count``).
    """

    kind: str
    params: dict[str, Any]
    evidence: tuple[EvidenceRef, ...] | None
    set_name: str | None
    model_id: str | None
    model_sha256: str | None
    model_path: str | None = None
    """Where the model was when the studio wrote the PNG (the command line does not record it)."""


def recipe_from_record(record: dict[str, Any]) -> Recipe:
    """Parse a PNG record; :class:`RecipeError` for records of other kinds or damaged values."""
    kind = record.get("kind")
    if kind not in RESTORABLE_KINDS:
        raise RecipeError(f"it was made by another tool ({kind or 'unknown kind'}); "
                          "only sample grids, cells and lambda sweeps can be restored")
    try:
        params = _params(record, kind)
        PosteriorParams().with_changes(**params)  # validate every value now, not when applied
        evidence = None if kind == "prior_samples" else tuple(
            EvidenceRef(str(e["file"]), str(e["sha256"]), e.get("path")) for e in record.get("evidence", []))
    except (KeyError, TypeError, ValueError) as exc:
        raise RecipeError(f"its parameters are damaged ({exc})") from None
    return Recipe(kind=kind, params=params, evidence=evidence, set_name=record.get("evidence_set"),
                  model_id=record.get("model"), model_sha256=record.get("model_sha256"),
                  model_path=record.get("model_path"))


def _params(record: dict[str, Any], kind: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "temperature" in record:
        out["temperature"] = float(record["temperature"])
    out.update(read_png_likelihood(record))  # the "likelihood" record, or the keys of older PNGs
    seeds = [int(s) for s in record.get("seeds", [])]
    if seeds:
        out["seed"] = seeds[0]
        if len(seeds) > 1 and kind != "lambda_sweep":  # a sweep's seeds are its rows, not a grid's cells
            out["count"] = min(len(seeds), MAX_COUNT)
    return out
