"""Saving what the studio draws as PNGs that carry their parameters, and reading dropped PNGs back.

Records use the keys of ``flowstudio sample`` (built by the same helpers,
:func:`flowstudio.records.model_record` and ``likelihood_record``), so a grid
exported here and one written by the command line read back the same way;
the studio adds the path of each evidence image (``evidence[i].path``) and
the set's name (``evidence_set``), so dropping the PNG back can rebuild the
set.  Grids are tiled with :func:`flowstudio.imaging.make_grid` at the
command line's default scale, so the pixels match ``flowstudio sample``'s.
Cells, alone or all at once (one PNG each), are enlarged as the user asks
(:class:`~flowstudio.studio.upscale.Upscale`), and each records its own seed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flowstudio.errors import WriteError
from flowstudio.files import make_folder
from flowstudio.imaging import file_digest, make_grid, read_png_params, save_png
from flowstudio.likelihood import RECORD_KEY
from flowstudio.records import likelihood_record, model_record
from flowstudio.studio.engine.session import Engine, SampleResult, SweepResult
from flowstudio.studio.requests import SampleRequest
from flowstudio.studio.recipes import Recipe, RecipeError, recipe_from_record
from flowstudio.studio.upscale import Upscale, cell_file_names, upscale


@dataclass
class ExportProgress:
    """Files written of ``total`` (a job's progress)."""

    done: int
    total: int


def export_scale(image_shape: tuple[int, int, int]) -> int:
    """Pixel enlargement so cells are at least 96 px tall (``flowstudio sample``'s default ``--scale``)."""
    return max(1, -(-96 // image_shape[1]))


def _base_record(engine: Engine, request: SampleRequest) -> dict[str, Any]:
    record: dict[str, Any] = {**model_record(engine.loaded), "model_path": str(engine.loaded.path),
                              "temperature": request.params.temperature}
    if request.evidence:
        record["evidence"] = [{"file": Path(p).name, "sha256": d, "path": p} for p, d in request.evidence]
        record["evidence_set"] = request.set_name
    return record


def sample_record(engine: Engine, result: SampleResult, seeds: list[int] | None = None,
                  cell: int | None = None) -> dict[str, Any]:
    """The record of a grid (or of some of its cells, ``seeds``; of cell ``cell``), as ``flowstudio sample``
    writes it."""
    record = _base_record(engine, result.request)
    if result.labels is not None:  # drawn by label: the keys of flowstudio sample --label / --same-style
        record.pop("evidence", None)
        record.pop("evidence_set", None)
        record.update(result.labels.record())
        if cell is not None:
            name = result.cell_label(cell)
            record.update(labels=[name], label_indices=[result.labels.names.index(name)],
                          seeds=[[result.seeds[cell]]])
        return record
    if result.posterior is not None:
        record.update(kind="posterior_samples", **likelihood_record(result.spec, result.posterior))
    else:
        record.update(kind="prior_samples")
        record.pop("evidence", None)
        record.pop("evidence_set", None)
    record["seeds"] = list(result.seeds) if seeds is None else seeds
    return record


def save_grid(engine: Engine, result: SampleResult, path: str | Path) -> Path:
    scale = export_scale(engine.model.image_shape)
    return save_png(make_grid(result.images, nrow=result.cols or None, scale=scale), path,
                    sample_record(engine, result))


def save_cell(engine: Engine, result: SampleResult, index: int, path: str | Path, up: Upscale | None = None) -> Path:
    """One cell with its own seed recorded, enlarged by ``up`` (default: sharp, like a grid cell)."""
    up = up or Upscale(export_scale(engine.model.image_shape))
    record = {**sample_record(engine, result, [result.seeds[index]], index), **up.record()}
    return save_png(upscale(result.images[index], up), path, record)


def save_cells(engine: Engine, result: SampleResult, folder: str | Path, stem: str,
               up: Upscale) -> Iterator[ExportProgress]:
    """Every cell as its own PNG in ``folder`` (``stem-01-seed42.png``, ...), one step per file; returns the paths."""
    folder = make_folder(folder)
    paths = cell_file_names(folder, stem, result.seeds)
    for i, path in enumerate(paths):
        try:
            save_cell(engine, result, i, path, up)
        except WriteError as exc:
            raise exc.also(f"{i} of {len(paths)} cells were written before this") from exc.__cause__
        yield ExportProgress(i + 1, len(paths))
    return paths


def save_cell_as_example(engine: Engine, result: SampleResult, index: int, folder: str | Path) -> Path:
    """One cell at the model's own size (what the model reads back exactly), named after its set and seed."""
    stem = result.request.set_name or "sample"
    path = cell_file_names(make_folder(folder), f"{stem}-from-results", [result.seeds[index]])[0]
    return save_cell(engine, result, index, path, Upscale(1))


def save_sweep(engine: Engine, result: SweepResult, path: str | Path) -> Path:
    rows, cols = result.images.shape[:2]
    spec = result.posteriors[0].spec  # each column has its own lambda (lambda_multiples): only the rest is recorded
    record = {**_base_record(engine, result.request), "kind": "lambda_sweep",
              RECORD_KEY: {"covariance": spec.covariance, "floor": spec.floor},
              "lambda_multiples": list(result.multiples), "seeds": list(result.seeds)}
    grid = make_grid(result.images.reshape(rows * cols, *result.images.shape[2:]), nrow=cols,
                     scale=export_scale(engine.model.image_shape))
    return save_png(grid, path, record)


@dataclass(frozen=True)
class DroppedRecipe:
    """A dropped PNG's recipe, with its evidence files sorted into found, changed and missing."""

    png: str
    recipe: Recipe
    found: tuple[str, ...]
    changed: tuple[str, ...]
    missing: tuple[str, ...]


def inspect_png(path: str | Path) -> DroppedRecipe | None:
    """The recipe in a PNG (``None`` if it has no Flow Studio record); checks its evidence files by path.

    A recorded file is *found* when it exists at its path with the same short
    hash, *changed* when it exists but its content differs, and *missing*
    otherwise (records from the command line before paths were recorded
    have names only).  Raises :class:`RecipeError` for records of other kinds.
    """
    record = read_png_params(path)
    if record is None:
        return None
    recipe = recipe_from_record(record)
    found, changed, missing = [], [], []
    for ref in recipe.evidence or ():
        target = Path(ref.path) if ref.path else None
        if target is None or not target.is_file():
            missing.append(ref.path or ref.file)
        elif file_digest(target) != ref.sha256:
            changed.append(str(target))
        else:
            found.append(str(target))
    return DroppedRecipe(str(path), recipe, tuple(found), tuple(changed), tuple(missing))


__all__ = ["DroppedRecipe", "ExportProgress", "RecipeError", "export_scale", "inspect_png", "sample_record",
           "save_cell", "save_cell_as_example", "save_cells", "save_grid", "save_sweep"]
