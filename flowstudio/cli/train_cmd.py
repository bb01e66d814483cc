"""``flowstudio train``: train a NICE, RealNVP or Glow on a data set and save a checkpoint."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import torch

from flowstudio.checkpoint import default_card, save_checkpoint
from flowstudio.cli.common import CliError, check_output, report_skipped
from flowstudio.data import load_digits, load_fashion_mnist, load_images
from flowstudio.devices import CHOICES, resolve_device
from flowstudio.models import FAMILIES, build_model
from flowstudio.training import TrainSettings, train

BUILTIN_DATA = ("fashion-mnist", "digits")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "train", help="train a flow (NICE, RealNVP, Glow) on images and save a checkpoint",
        description="Train a flow by maximum likelihood on Fashion-MNIST, scikit-learn's digits, or a folder "
                    "of images, and save a .safetensors checkpoint with its model card (test bits/dim, "
                    "steps, wall time). Progress is printed as it goes (--json: one JSON event per line).")
    p.add_argument("--data", required=True, metavar="SOURCE",
                   help="fashion-mnist, digits, or a folder of images")
    p.add_argument("--family", choices=sorted(FAMILIES), default="glow", help="flow family (default: glow)")
    p.add_argument("--arch", action="append", default=[], metavar="KEY=VALUE",
                   help="architecture setting, e.g. levels=2 steps=8 hidden=96 coupling=affine n_bits=8 "
                        "(repeatable; see the family's DEFAULTS)")
    p.add_argument("--image-size", type=int, default=None, help="side in pixels for folder data (default: 32)")
    p.add_argument("--channels", type=int, choices=(1, 3), default=3, help="channels for folder data (default: 3)")
    p.add_argument("--steps", type=int, default=1000, help="optimisation steps (default: 1000)")
    p.add_argument("--batch-size", type=int, default=64, help="images per step (default: 64)")
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate (default: 1e-3)")
    p.add_argument("--warmup", type=int, default=200, help="linear warm-up steps (default: 200)")
    p.add_argument("--eval-every", type=int, default=1000, help="held-out bits/dim every N steps (default: 1000)")
    p.add_argument("--seed", type=int, default=0, help="seed for weights and data order (default: 0)")
    p.add_argument("--name", default=None, help="model name for the card (default: output file stem)")
    p.add_argument("--device", choices=CHOICES, default="auto", help="where to train (default: auto)")
    p.add_argument("--json", action="store_true", help="print progress as JSON lines")
    p.add_argument("-o", "--out", type=Path, required=True, help="output .safetensors checkpoint")
    p.set_defaults(run=run)


def parse_arch(items: list[str]) -> dict[str, Any]:
    arch: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise CliError(f"--arch {item!r}: write it as KEY=VALUE")
        try:
            arch[key] = json.loads(value)
        except json.JSONDecodeError:
            arch[key] = value
    return arch


def load_data(args: argparse.Namespace) -> tuple[torch.Tensor, torch.Tensor, str]:
    """``(train uint8, held-out uint8, description)``; folders and digits hold out 10% by seed."""
    if args.data == "fashion-mnist":
        (tr, _), (te, _) = load_fashion_mnist("train"), load_fashion_mnist("test")
        return torch.from_numpy(tr), torch.from_numpy(te), "Fashion-MNIST train (60,000; test split held out)"
    if args.data == "digits":
        images, _ = load_digits(size=args.image_size or 8)
        desc = "scikit-learn digits (1,797; 10% held out)"
    else:
        folder = Path(args.data)
        if not folder.is_dir():
            raise CliError(f"--data {args.data!r}: not a folder, and not one of {', '.join(BUILTIN_DATA)}")
        side = args.image_size or 32
        result = load_images([folder], args.channels, (side, side))
        report_skipped(result.errors)
        images = result.images
        desc = f"{len(images)} images from {folder.name} ({side}x{side}, 10% held out)"
    if len(images) < 20:
        raise CliError(f"only {len(images)} usable images: at least 20 are needed to train")
    order = np.random.default_rng(args.seed).permutation(len(images))
    n_test = max(1, len(images) // 10)
    t = torch.from_numpy(images[order])
    return t[n_test:], t[:n_test], desc


def run(args: argparse.Namespace) -> int:
    check_output(args.out, (".safetensors",))
    device = resolve_device(args.device)
    train_images, test_images, data_desc = load_data(args)
    c, h, w = train_images.shape[1:]
    config = {"family": args.family, "image_shape": [c, h, w], "seed": args.seed, **parse_arch(args.arch)}
    model = build_model(config).to(device)
    settings = TrainSettings(steps=args.steps, batch_size=args.batch_size, lr=args.lr, warmup_steps=args.warmup,
                             eval_every=args.eval_every, seed=args.seed)
    t0 = time.perf_counter()
    last: dict[str, Any] = {}
    for event in train(model, train_images, test_images, settings):
        if args.json:
            print(json.dumps(event), flush=True)
        elif event["event"] == "step" and event["step"] % 100 == 0:
            print(f"step {event['step']}/{args.steps}  loss {event['loss_bpd']:.3f} bits/dim  "
                  f"{event['images_per_s']:.0f} img/s  eta {event['eta_s'] / 60:.1f} min", file=sys.stderr)
        elif event["event"] == "eval":
            last = event
            print(f"step {event['step']}: held-out {event['test_bpd']:.3f} bits/dim", file=sys.stderr)
    card = default_card(model, name=args.name or args.out.stem, training_data=data_desc,
                        test_bits_per_dim=last.get("test_bpd"), test_bits_per_dim_std=last.get("test_bpd_std"),
                        steps=args.steps, wall_time_s=round(time.perf_counter() - t0, 1), device=str(device),
                        licence="weights trained by Flow Studio; data licence as the data set's",
                        recipe="flowstudio " + shlex.join(args.argv))
    save_checkpoint(model.cpu(), args.out, card)
    print(f"wrote {args.out}: held-out {last.get('test_bpd', float('nan')):.3f} bits/dim after {args.steps} steps")
    return 0
