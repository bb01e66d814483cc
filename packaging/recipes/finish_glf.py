"""Bundle a trained GLF: its card gains the epochs and (Fashion-MNIST) the FD-FashionCNN of its samples.

Usage: python packaging/recipes/finish_glf.py RUN_MODEL NAME OUT [--no-metric]

RUN_MODEL is a run's ``model.safetensors`` (or its ``checkpoint.safetensors``);
OUT is written with the same weights and a card named NAME whose provenance
adds ``epochs`` (steps x batch / the run's training images) and, unless
``--no-metric`` (the metric's classifier knows only Fashion-MNIST),
``fd_fashioncnn``, ``precision`` and ``recall`` of 10,000 samples at
temperature 1 against the 10,000 test images
(:func:`flowstudio.metrics.evaluate.evaluate_sample_quality`; not the
paper's Inception FID, whose weights cannot be downloaded here).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import time
from pathlib import Path

import torch

from flowstudio.checkpoint import load_checkpoint, save_checkpoint


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model", type=Path)
    parser.add_argument("name")
    parser.add_argument("out", type=Path)
    parser.add_argument("--no-metric", action="store_true", help="leave the sample-quality metric out")
    args = parser.parse_args()
    torch.set_num_threads(1)
    loaded = load_checkpoint(args.model)
    card = loaded.card
    run = json.loads((args.model.parent / "run.json").read_text())
    facts = {"epochs": round(card.steps * run["settings"]["batch_size"] / run["data"]["n_train"], 2)}
    if not args.no_metric:
        from flowstudio.metrics.evaluate import evaluate_sample_quality

        t0 = time.perf_counter()
        quality = evaluate_sample_quality(loaded.model, n=10_000, temperature=1.0)
        facts.update(fd_fashioncnn=round(quality.fd, 3), precision=round(quality.precision, 4),
                     recall=round(quality.recall, 4), metric_samples=10_000, metric_temperature=1.0)
        print(f"FD-FashionCNN {quality.fd:.3f}, precision {quality.precision:.3f}, recall {quality.recall:.3f} "
              f"({time.perf_counter() - t0:.0f} s)")
    card = dataclasses.replace(card, name=args.name, provenance={**card.provenance, **facts})
    save_checkpoint(loaded.model, args.out, card)
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.1f} MB): {facts}")


if __name__ == "__main__":
    main()
