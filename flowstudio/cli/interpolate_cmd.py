"""``flowstudio interpolate``: a strip from one evidence set's posterior to another's (paper Fig. 3)."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from flowstudio.cli.common import (TRANSFLOW, add_model_options, add_posterior_options, check_output,
                                   open_model, read_evidence, spec_from_args)
from flowstudio.cli.options import MAX_SCALE, MAX_SEED, MAX_TEMPERATURE, add_number, check_output_size
from flowstudio.errors import WriteError
from flowstudio.files import make_folder
from flowstudio.imaging import grid_bytes, make_grid, save_animation, save_png
from flowstudio.records import likelihood_record, model_record
from flowstudio.transflow import posterior
from flowstudio.transflow.encode import decode_latents
from flowstudio.transflow.interpolate import lerp_latents, posterior_strip


MAX_STEPS, MAX_ROWS = 256, 64


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "interpolate", help="morph from one set of example images to another",
        description="Interpolate between the Transflow posteriors of two evidence sets (their means and "
                    "covariances, not their pixels; paper Fig. 3). Each row keeps one seed across the "
                    "strip so the change is smooth. --direct adds a row that interpolates directly between "
                    "the latents of the first image of each set (paper Fig. 4), for comparison.")
    p.add_argument("--from", dest="set_a", nargs="+", type=Path, required=True, metavar="PATH",
                   help="first evidence set (image files or folders)")
    p.add_argument("--to", dest="set_b", nargs="+", type=Path, required=True, metavar="PATH",
                   help="second evidence set")
    p.add_argument("-o", "--out", type=Path, required=True, help="output PNG strip")
    add_number(p, "--steps", whole=True, low=2, high=MAX_STEPS, default=9, help="images along the strip, ends included")
    add_number(p, "--rows", whole=True, low=1, high=MAX_ROWS, default=1, help="rows with different seeds")
    add_number(p, "--seed", whole=True, low=0, high=MAX_SEED, default=0, help="seed of the first row")
    add_number(p, "--temperature", "-t", whole=False, low=0, high=MAX_TEMPERATURE, default=0.7, help="sample spread")
    p.add_argument("--direct", action="store_true", help="add a row of direct latent interpolation")
    p.add_argument("--gif", type=Path, default=None, help="also write an animation (.gif or .webp)")
    p.add_argument("--frames-dir", type=Path, default=None, metavar="DIR",
                   help="also write every frame as its own PNG into DIR")
    add_number(p, "--scale", whole=True, low=1, high=MAX_SCALE, help="enlarge each pixel (default: cells >= 96 px)")
    add_posterior_options(p)
    add_model_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    check_output(args.out, (".png",))
    if args.gif:
        check_output(args.gif, (".gif", ".webp"))
    loaded = open_model(args, TRANSFLOW)
    model, spec = loaded.model, spec_from_args(args)
    scale = args.scale or max(1, -(-96 // model.image_shape[1]))
    n_rows = args.rows + bool(args.direct)
    check_output_size(f"a strip of {n_rows} x {args.steps} images at {scale}x",
                      grid_bytes(n_rows * args.steps, model.image_shape, args.steps, scale=scale),
                      "lower --scale, --steps or --rows")
    set_a = read_evidence(args.set_a, loaded, args.batch_size, "images in --from")
    set_b = read_evidence(args.set_b, loaded, args.batch_size, "images in --to")
    post_a, post_b = posterior(set_a.stats, spec), posterior(set_b.stats, spec)
    ts = torch.linspace(0, 1, args.steps)
    seeds = list(range(args.seed, args.seed + args.rows))
    eps = posterior_strip(post_a, post_b, ts, seeds, args.temperature).transpose(0, 1)  # [rows, steps, D]
    rows = list(eps)
    if args.direct:
        rows.append(lerp_latents(set_a.first_latent, set_b.first_latent, ts))
    images = decode_latents(model, torch.cat(rows), args.batch_size).view(len(rows), args.steps, *model.image_shape)
    params = {**model_record(loaded), "kind": "posterior_interpolation", "from": set_a.files,
              "to": set_b.files, "from_m": post_a.m, "to_m": post_b.m, "temperature": args.temperature,
              "seeds": seeds, "steps": args.steps, "direct_row": args.direct, **likelihood_record(spec)}
    save_png(make_grid(images.flatten(0, 1), nrow=args.steps, scale=scale), args.out, params)
    frames = [make_grid(images[:, i], nrow=1, scale=scale) for i in range(args.steps)]
    written, n_frames = [str(args.out)], 0
    try:
        if args.gif:
            save_animation(frames, args.gif)
            written.append(str(args.gif))
        if args.frames_dir:
            make_folder(args.frames_dir)
            for i, (t, frame) in enumerate(zip(ts.tolist(), frames)):
                save_png(frame, args.frames_dir / f"{args.out.stem}_{i:03d}.png", {**params, "t": t})
                n_frames += 1
    except WriteError as exc:
        if args.frames_dir and n_frames:
            written.append(f"{n_frames} of {len(frames)} frames in {args.frames_dir}")
        raise exc.also(f"written before this: {', '.join(written)}") from exc.__cause__
    extra = f", animation {args.gif}" if args.gif else ""
    print(f"wrote {args.out}: {len(rows)} row(s) x {args.steps} steps from {post_a.m} to {post_b.m} "
          f"evidence images{extra}")
    return 0
