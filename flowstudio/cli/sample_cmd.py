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
    add_posterior_options(p)
    add_model_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_output(args.out, (".png", ".csv"))
    loaded = open_model(args)
    if loaded.card.data_kind == "points":
        return _sample_points(args, loaded)
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
    with torch.no_grad():
        points = loaded.model.sample(count, temperature, seed=args.seed).float().cpu().numpy()
    if args.out.suffix.lower() == ".csv":
        save_points_csv(points, args.out)
    else:
        params = {**model_record(loaded), "kind": "prior_points", "temperature": temperature, "seed": args.seed,
                  "count": count}
        save_png(Image.fromarray(loaded.model.picture(points)), args.out, params)
    print(f"wrote {args.out}: {count} points from the model ({loaded.model.dim}-dimensional), seed {args.seed}, "
          f"temperature {temperature:g}")
    return 0


def warn_broken_cells(decoded: Any, seeds: list[int]) -> None:
    """One stderr line naming the seeds of cells that did not decode to a real image (grey or clipped)."""
    broken = [seed for seed, bad in zip(seeds, decoded.broken.tolist()) if bad]
    if broken:
        shown = ", ".join(map(str, broken[:8])) + (f" and {len(broken) - 8} more" if len(broken) > 8 else "")
        print(f"warning: {len(broken)} of {len(seeds)} samples could not be drawn (seeds {shown}): the model's "
              "decoder went out of range on them, and they show as flat grey or clipped colour", file=sys.stderr)
