"""``flowstudio score``: bits/dim of images under the model, and which ones it finds very unlikely."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flowstudio.cli.common import CliError, add_model_options, open_model, report_skipped
from flowstudio.cli.options import add_number
from flowstudio.data.images import iter_loaded_images
from flowstudio.records import escape_text, escaped_note, write_rows
from flowstudio.transflow.diagnostics import DEFAULT_K, BpdReference, check_evidence, flag_set_outliers


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "score", help="how likely the model finds each image (bits/dim), flagging outliers",
        description="Score images under the model: bits per dimension (lower = more typical) and a flag for "
                    "images far outside the model's usual range, which make poor evidence (e.g. noisy "
                    "occlusions). The range comes from the model card's test bits/dim when it has one, "
                    "otherwise from a latent typicality test. Each IMAGE argument (a file or a folder) is "
                    "also a set: an image much less likely than the rest of its set (5 or more images) is "
                    "flagged too. Bits/dim are scored at the centre of each pixel bin, so a flat or constant "
                    "image, where the model's density is sharply peaked, can score below 0; such an image is "
                    "atypical and is flagged as well.")
    p.add_argument("images", nargs="+", type=Path, metavar="IMAGE", help="images or folders")
    p.add_argument("-o", "--out", type=Path, default=None, help="write CSV (or JSON if .json) instead of printing")
    add_number(p, "-k", whole=False, low=0, high=100, open_low=True, default=DEFAULT_K,
               help="how many standard deviations count as far outside")
    add_model_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    loaded = open_model(args, ("exact_density", "scoring images by bits/dim"))
    model = loaded.model
    reference = BpdReference.from_card(loaded.card)
    c, h, w = model.image_shape
    rows = []
    for image_set in args.images:
        paths, checks = [], []
        for batch in iter_loaded_images([image_set], c, (h, w), args.batch_size):
            report_skipped(batch.errors)
            if batch.paths:
                paths += batch.paths
                checks += check_evidence(model, batch.images, reference, args.k, args.batch_size)
        for path, check in zip(paths, flag_set_outliers(checks)):
            rows.append({"file": str(path), "bits_per_dim": check.score, "eps_norm_ratio": check.eps_norm_ratio,
                         "unlikely": check.unlikely, "reason": check.reason})
    if not rows:
        raise CliError("no usable images to score")
    escaped = write_rows(rows, ["file", "bits_per_dim", "eps_norm_ratio", "unlikely", "reason"], args.out)
    if escaped:
        print(f"flowstudio score: note: {escaped_note(escaped)}", file=sys.stderr)
    flagged = sum(r["unlikely"] for r in rows)
    if args.out is not None:
        print(f"wrote {escape_text(str(args.out))}: {len(rows)} images, {flagged} flagged as unlikely")
    return 0
