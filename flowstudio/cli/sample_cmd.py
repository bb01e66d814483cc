"""``flowstudio sample``: a grid drawn from the Transflow posterior (or from the model's prior); for a model of
points, a scatter plot (beside the learned density, for 2-D points) or a CSV of points."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import torch
from PIL import Image

from flowstudio.checkpoint import LoadedModel
from flowstudio.cli.common import (TRANSFLOW, CliError, add_model_options, add_posterior_options, check_needs,
                                   check_output, open_model, read_evidence, spec_from_args)
from flowstudio.cli.options import (MAX_COUNT, MAX_SCALE, MAX_SEED, MAX_TEMPERATURE, add_number,
                                    check_output_size)
from flowstudio.data.toy2d import save_points_csv
from flowstudio.errors import WriteError
from flowstudio.files import make_folder
from flowstudio.imaging import grid_bytes, make_grid, save_png, to_pil
from flowstudio.labelled import LabelGrid, draw_by_label, draw_same_style, label_names, resolve_label
from flowstudio.records import likelihood_record, model_record
from flowstudio.registry import get_family
from flowstudio.transflow import DiagGaussian, assess_evidence, posterior
from flowstudio.transflow.encode import decode_checked

IMAGE_COUNT, POINTS_COUNT = 16, 2048
"""Samples drawn by default: grid cells of an image model, points of a points model."""
IMAGE_TEMPERATURE = 0.7

def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "sample", help="draw a grid of new images that look like your example images",
        description="Draw new images from the Transflow posterior given EVIDENCE images (files or folders); "
                    "without EVIDENCE, draw from the model itself. Each cell has its own seed "
                    "(--seed, --seed+1, ...), so any cell can be reproduced alone. The PNG stores all "
                    "parameters in a text chunk. A model of points (maf, iaf, realnvp-vector, nice-vector) "
                    "draws -n points with one --seed instead: the PNG is a scatter plot of their first two "
                    "coordinates (beside the learned density for 2-D points), or, with -o FILE.csv, the points "
                    "themselves.")
    p.add_argument("evidence", nargs="*", type=Path, metavar="EVIDENCE", help="example images or folders")
    p.add_argument("-o", "--out", type=Path, required=True, help="output PNG grid (or PNG plot or CSV of points)")
    add_number(p, "-n", "--count", whole=True, low=1, high=MAX_COUNT,
               help=f"number of samples (default: {IMAGE_COUNT} images, {POINTS_COUNT:,} points)")
    add_number(p, "--seed", whole=True, low=0, high=MAX_SEED, default=0, help="seed of the first cell")
    add_number(p, "--temperature", "-t", whole=False, low=0, high=MAX_TEMPERATURE,
               help="spread of the samples: 1 = full posterior, lower = cleaner, less varied "
                    f"(default: {IMAGE_TEMPERATURE:g} for images, 1 for points)")
    add_number(p, "--nrow", whole=True, low=1, high=MAX_COUNT, help="cells per row (default: square-ish)")
    add_number(p, "--scale", whole=True, low=1, high=MAX_SCALE,
               help="enlarge each pixel this many times (default: so cells are at least 96 px)")
    p.add_argument("--cells", type=Path, default=None, metavar="DIR",
                   help="also write every cell as its own PNG into DIR")
    g = p.add_argument_group("label-conditioned models (scnf, conditional)")
    g.add_argument("--label", action="append", default=[], metavar="NAME_OR_INDEX",
                   help="draw -n samples of this class (a name from the model card, or its index); repeat for a "
                        "row per label. Default: a row per label")
    g.add_argument("--same-style", action="store_true",
                   help="decode the same -n latents (seeds --seed, --seed+1, ...) under every label (or each "
                        "--label): one row per label, column j shares seed j")
    add_posterior_options(p)
    add_model_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_output(args.out, (".png", ".csv"))
    loaded = open_model(args)
    labelled = get_family(loaded.model.family).capabilities.label_conditioning
    if not labelled and (args.label or args.same_style):
        raise CliError(f"--label and --same-style are for label-conditioned models; "
                       f"{get_family(loaded.model.family).label} models take no label")
    if loaded.card.data_kind == "points":
        return _sample_points(args, loaded)
    if labelled:
        return _sample_labelled(args, loaded)
    if args.out.suffix.lower() != ".png":
        raise CliError(f"{args.out}: a grid of images is written as .png (.csv is for models of points)")
    check_needs(loaded, TRANSFLOW)
    args.count = args.count or IMAGE_COUNT
    args.temperature = IMAGE_TEMPERATURE if args.temperature is None else args.temperature
    model = loaded.model
    scale = args.scale or max(1, -(-96 // model.image_shape[1]))
    check_output_size(f"a grid of {args.count} cells at {scale}x", grid_bytes(args.count, model.image_shape,
                                                                            args.nrow, scale=scale),
                      "lower --scale or --count")
    seeds = list(range(args.seed, args.seed + args.count))
    params = {**model_record(loaded), "temperature": args.temperature}
    if args.evidence:
        spec = spec_from_args(args)
        evidence = read_evidence(args.evidence, loaded, args.batch_size, "evidence images")
        dist = posterior(evidence.stats, spec)
        params.update(kind="posterior_samples", evidence=evidence.files, **likelihood_record(spec, dist))
        advice = assess_evidence([p.name for p in evidence.paths], evidence.checks, dist)
        if advice is not None:
            print(f"warning: {advice.headline}. {advice.advice('raise --lam (or --lam-abs)')}", file=sys.stderr)
    else:
        dist = DiagGaussian(torch.zeros(model.latent_dim, dtype=torch.float64),
                            torch.ones(model.latent_dim, dtype=torch.float64))
        params.update(kind="prior_samples")
    decoded = decode_checked(model, dist.sample(seeds, args.temperature), batch_size=args.batch_size)
    images = decoded.images
    warn_broken_cells(decoded, seeds)
    save_png(make_grid(images, nrow=args.nrow, scale=scale), args.out, {**params, "seeds": seeds})
    if args.cells:
        written = 0
        try:
            make_folder(args.cells)
            for seed, image in zip(seeds, images):
                save_png(to_pil(image), args.cells / f"{args.out.stem}_seed{seed}.png", {**params, "seeds": [seed]})
                written += 1
        except WriteError as exc:
            raise exc.also(f"the grid {args.out} was written, and {written} of {len(seeds)} cells before this") \
                from exc.__cause__
    what = "the model's prior"
    if args.evidence:
        what = f"posterior of {dist.m} image{'' if dist.m == 1 else 's'}, lambda={dist.lam_abs:g}"
    print(f"wrote {args.out}: {args.count} samples from {what}, seeds {seeds[0]}..{seeds[-1]}, "
          f"temperature {args.temperature:g}")
    return 0


def _sample_points(args: argparse.Namespace, loaded: LoadedModel) -> int:
    """``-n`` points from the prior of a points model, all from ``--seed``: a picture or a CSV."""
    label = get_family(loaded.model.family).label
    if args.evidence:
        raise CliError(f"{label} models learn from points: Transflow posteriors from example images need an image "
                       "model; leave out EVIDENCE to draw points from the model")
    count, temperature = args.count or POINTS_COUNT, 1.0 if args.temperature is None else args.temperature
    context, drawn = None, ""
    if get_family(loaded.model.family).capabilities.label_conditioning:
        if args.same_style or len(args.label) > 1:
            raise CliError("a model of points draws one cloud: give at most one --label (no --same-style)")
        names = label_names(loaded.model, loaded.card.labels)
        if args.label:  # one class; else the classes in turn, as p(x) with a uniform p(y)
            k = resolve_label(args.label[0], names)
            context, drawn = torch.full((count,), k, dtype=torch.int64), f" of label {names[k]}"
        else:
            context, drawn = torch.arange(count) % len(names), ", every label in turn"
    with torch.no_grad():
        points = loaded.model.sample(count, temperature, seed=args.seed, context=context).float().cpu().numpy()
    if args.out.suffix.lower() == ".csv":
        save_points_csv(points, args.out)
    else:
        params = {**model_record(loaded), "kind": "prior_points", "temperature": temperature, "seed": args.seed,
                  "count": count}
        save_png(Image.fromarray(loaded.model.picture(points)), args.out, params)
    print(f"wrote {args.out}: {count} points from the model ({loaded.model.dim}-dimensional){drawn}, "
          f"seed {args.seed}, temperature {temperature:g}")
    return 0


def _sample_labelled(args: argparse.Namespace, loaded: LoadedModel) -> int:
    """A grid of a label-conditioned image model: a row per label (``--label``s, default all), each cell its own
    seed, or with ``--same-style`` the same seeds in every row (:mod:`flowstudio.labelled`)."""
    if args.evidence:
        raise CliError(f"{get_family(loaded.model.family).label} models draw for a label, not from example images: "
                       "leave out EVIDENCE and give --label NAME (or nothing for a row per label)")
    model = loaded.model
    names = label_names(model, loaded.card.labels)
    labels = [resolve_label(v, names) for v in args.label] or list(range(len(names)))
    temperature = IMAGE_TEMPERATURE if args.temperature is None else args.temperature
    count = args.count or (IMAGE_COUNT if len(labels) == 1 and not args.same_style else 8)
    scale = args.scale or max(1, -(-96 // model.image_shape[1]))
    check_output_size(f"a grid of {count * len(labels)} cells at {scale}x",
                      grid_bytes(count * len(labels), model.image_shape, count, scale=scale),
                      "lower --scale or --count")
    grid: LabelGrid = (draw_same_style(model, names, count, args.seed, temperature, labels, args.batch_size)
                       if args.same_style else
                       draw_by_label(model, names, labels, count, args.seed, temperature, args.batch_size))
    cells = grid.images.reshape(-1, *model.image_shape)
    seeds = [s for row in grid.seeds for s in row]
    cell_labels = [k for k in grid.labels for _ in range(count)]
    params = {**model_record(loaded), **grid.record()}
    nrow = args.nrow or (count if len(labels) > 1 else None)
    save_png(make_grid(cells, nrow=nrow, scale=scale), args.out, params)
    broken = [f"{names[k]}/{s}" for k, s, bad in zip(cell_labels, seeds, grid.broken.ravel().tolist()) if bad]
    if broken:
        print(f"warning: {len(broken)} of {len(seeds)} samples went out of range (label/seed {', '.join(broken[:8])})"
              " and show as flat grey or clipped colour", file=sys.stderr)
    if args.cells:
        written = 0
        try:
            make_folder(args.cells)
            for seed, k, image in zip(seeds, cell_labels, cells):
                cell = {**params, "labels": [names[k]], "label_indices": [k], "seeds": [[seed]]}
                save_png(to_pil(image), args.cells / f"{args.out.stem}_label{k}_seed{seed}.png",
                         cell)
                written += 1
        except WriteError as exc:
            raise exc.also(f"the grid {args.out} was written, and {written} of {len(seeds)} cells before this") \
                from exc.__cause__
    how = "the same seeds for every label" if args.same_style else "a seed per cell"
    print(f"wrote {args.out}: {count} samples of each of {', '.join(names[k] for k in labels)} ({how}, seeds from "
          f"{args.seed}), temperature {temperature:g}")
    return 0


def warn_broken_cells(decoded: Any, seeds: list[int]) -> None:
    """One stderr line naming the seeds of cells that did not decode to a real image (grey or clipped)."""
    broken = [seed for seed, bad in zip(seeds, decoded.broken.tolist()) if bad]
    if broken:
        shown = ", ".join(map(str, broken[:8])) + (f" and {len(broken) - 8} more" if len(broken) > 8 else "")
        print(f"warning: {len(broken)} of {len(seeds)} samples could not be drawn (seeds {shown}): the model's "
              "decoder went out of range on them, and they show as flat grey or clipped colour", file=sys.stderr)
