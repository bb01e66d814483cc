"""The posterior interpolation strip (paper Fig. 3, optionally Fig. 4) and its exports, as ``flowstudio interpolate``.

The strip goes from set A's posterior to set B's, interpolating the mean
and the (diagonal) covariance; each row keeps one seed.  An optional last
row interpolates directly between the latents of the first included image
of each set.  Exported PNGs carry the command line's record (same keys), so
a strip from the studio and one from ``flowstudio interpolate`` read back
alike; animations use :func:`flowstudio.imaging.save_animation` (bounce).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch

from flowstudio.errors import WriteError
from flowstudio.files import make_folder
from flowstudio.imaging import make_grid, save_animation, save_png
from flowstudio.records import likelihood_record, model_record
from flowstudio.studio.engine.export import ExportProgress, export_scale
from flowstudio.studio.engine.session import DECODE_BATCH, Engine
from flowstudio.studio.requests import StripRequest
from flowstudio.transflow import LikelihoodSpec, Posterior, posterior
from flowstudio.transflow.encode import decode_checked
from flowstudio.transflow.interpolate import lerp_latents, posterior_strip

__all__ = ["ExportProgress", "StripRequest", "StripResult", "draw_strip", "save_strip", "save_strip_animation",
           "save_strip_frames", "strip_record"]


@dataclass(frozen=True)
class StripResult:
    """Images ``[rows (+1 direct), steps, C, H, W]`` at positions ``ts``; row ``i < len(seeds)`` uses ``seeds[i]``."""

    request: StripRequest
    images: np.ndarray
    ts: tuple[float, ...]
    seeds: tuple[int, ...]
    spec: LikelihoodSpec
    post_a: Posterior
    post_b: Posterior
    nonfinite: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))
    """``[rows, steps]``: the cell decoded to ``NaN``/``inf`` (it shows middle grey)."""
    saturated: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))
    """``[rows, steps]``: the cell lay mostly far outside the pixel range."""


def draw_strip(engine: Engine, request: StripRequest) -> StripResult | None:
    """Decode the strip; ``None`` when either set has no encoded image yet."""
    a = tuple(d for _, d in request.evidence_a if engine.has(d))
    b = tuple(d for _, d in request.evidence_b if engine.has(d))
    if not a or not b:
        return None
    p = request.params
    spec = p.likelihood
    post_a, post_b = posterior(engine.stats(a), spec), posterior(engine.stats(b), spec)
    ts = torch.linspace(0, 1, request.steps)
    seeds = list(range(p.seed, p.seed + request.rows))
    rows = list(posterior_strip(post_a, post_b, ts, seeds, p.temperature).transpose(0, 1))
    if request.direct:
        rows.append(lerp_latents(engine.latent(a[0]), engine.latent(b[0]), ts).to(rows[0]))
    model = engine.model
    decoded = decode_checked(model, torch.cat(rows), DECODE_BATCH)
    grid = (len(rows), request.steps)
    return StripResult(request, decoded.images.view(*grid, *model.image_shape).numpy(), tuple(ts.tolist()),
                       tuple(seeds), spec, post_a, post_b, decoded.nonfinite.view(grid).numpy(),
                       decoded.saturated.view(grid).numpy())


def _files(engine: Engine, evidence: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    """Name and short hash of each image used, as the command line records them (plus the path)."""
    return [{"file": Path(p).name, "sha256": d, "path": p} for p, d in evidence if engine.has(d)]


def strip_record(engine: Engine, result: StripResult) -> dict[str, Any]:
    """``flowstudio interpolate``'s record, plus the two sets' names."""
    r = result.request
    return {**model_record(engine.loaded), "kind": "posterior_interpolation",
            "from": _files(engine, r.evidence_a), "to": _files(engine, r.evidence_b),
            "from_m": result.post_a.m, "to_m": result.post_b.m, "temperature": r.params.temperature,
            "seeds": list(result.seeds), "steps": r.steps, "direct_row": r.direct, **likelihood_record(result.spec),
            "from_set": r.name_a, "to_set": r.name_b}


def _frames(engine: Engine, result: StripResult) -> list[Any]:
    scale = export_scale(engine.model.image_shape)
    return [make_grid(result.images[:, i], nrow=1, scale=scale) for i in range(result.images.shape[1])]


def save_strip(engine: Engine, result: StripResult, path: str | Path) -> Iterator[ExportProgress]:
    """The whole strip as one PNG with its parameters (one step: a job with progress)."""
    rows, steps = result.images.shape[:2]
    grid = make_grid(result.images.reshape(rows * steps, *result.images.shape[2:]), nrow=steps,
                     scale=export_scale(engine.model.image_shape))
    yield ExportProgress(0, 1)
    save_png(grid, path, strip_record(engine, result))
    yield ExportProgress(1, 1)


def save_strip_animation(engine: Engine, result: StripResult, path: str | Path) -> Iterator[ExportProgress]:
    """A GIF or WebP whose frames are the strip's columns, played forth and back."""
    frames = _frames(engine, result)
    yield ExportProgress(len(frames) // 2, len(frames))
    save_animation(frames, path)
    yield ExportProgress(len(frames), len(frames))


def save_strip_frames(engine: Engine, result: StripResult, folder: str | Path,
                      stem: str = "interpolation") -> Iterator[ExportProgress]:
    """Every column as its own PNG (``stem_000.png`` ...) with the record and its ``t``, as ``--frames-dir``."""
    folder = make_folder(folder)
    record = strip_record(engine, result)
    frames = _frames(engine, result)
    for i, (t, frame) in enumerate(zip(result.ts, frames)):
        try:
            save_png(frame, folder / f"{stem}_{i:03d}.png", {**record, "t": t})
        except WriteError as exc:
            raise exc.also(f"{i} of {len(frames)} frames were written before this") from exc.__cause__
        yield ExportProgress(i + 1, len(frames))
