"""``flowstudio evaluate``: sample quality of a Fashion-MNIST model (FD-FashionCNN, precision, recall)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from flowstudio.cli.common import add_model_options, open_model
from flowstudio.cli.options import MAX_SEED, MAX_TEMPERATURE, add_number


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "evaluate", help="sample quality of a Fashion-MNIST model: FD-FashionCNN, precision, recall",
        description="Draw N samples from the model and compare them with the first N Fashion-MNIST test images "
                    "on the penultimate features of Flow Studio's bundled Fashion-MNIST classifier: the Fréchet "
                    "distance (FD-FashionCNN, lower is better; not the Inception FID that papers report, whose "
                    "weights cannot be downloaded here) and precision/recall for distributions (Kynkäänniemi et "
                    "al. 2019; higher is better). Needs a model of 1x28x28 grey images.")
    p.add_argument("--metric", choices=("fd",), default="fd",
                   help="fd: FD-FashionCNN with precision and recall (default: fd)")
    add_number(p, "-n", whole=True, low=4, high=10_000, default=10_000, help="samples and test images compared")
    add_number(p, "--temperature", "-t", whole=False, low=0, high=MAX_TEMPERATURE, default=1.0,
               help="sampling temperature")
    add_number(p, "--seed", whole=True, low=0, high=MAX_SEED, default=0, help="seed of the samples")
    p.add_argument("--classifier", type=Path, default=None,
                   help="classifier weights (default: the bundled resources/metrics/fashion_classifier.safetensors)")
    p.add_argument("--json", action="store_true", help="print the numbers as JSON")
    add_model_options(p)
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flowstudio.metrics.evaluate import evaluate_sample_quality
    from flowstudio.metrics.fashion_classifier import load_classifier

    loaded = open_model(args)
    cnn, facts = load_classifier(args.classifier)
    quality = evaluate_sample_quality(loaded.model, args.n, args.seed, args.temperature, cnn,
                                      batch_size=args.batch_size)
    if args.json:
        print(json.dumps({"model": loaded.model_id, "temperature": args.temperature, **quality.to_json(),
                          "classifier_test_accuracy": facts.get("test_accuracy")}, indent=2))
        return 0
    print(f"{loaded.model_id}: {quality.n_generated} samples at temperature {args.temperature:g} against "
          f"{quality.n_real} test images (classifier test accuracy {facts.get('test_accuracy')})")
    print(f"  FD-FashionCNN {quality.fd:.3f}   precision {quality.precision:.3f}   recall {quality.recall:.3f}"
          f"   (k = {quality.k})")
    return 0
