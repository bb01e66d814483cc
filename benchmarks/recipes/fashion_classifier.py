"""Recipe of the bundled metric classifier ``resources/metrics/fashion_classifier.safetensors``.

    python benchmarks/recipes/fashion_classifier.py [--epochs 4] [--threads 2] [-o PATH]

Trains :class:`flowstudio.metrics.fashion_classifier.FashionCNN` on the 60,000
Fashion-MNIST training images (about 10 minutes on two idle CPU threads; the
bundled weights took 23 minutes on the shared project machine), prints its
accuracy on the 10,000 test images, and writes the weights with their facts
(test accuracy, this command, epochs, seconds, the data and its licence) as
safetensors + JSON metadata.  Its penultimate features define FD-FashionCNN
(:mod:`flowstudio.metrics.frechet`).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch

from flowstudio.data import load_fashion_mnist
from flowstudio.metrics.fashion_classifier import BUNDLED, save_classifier
from flowstudio.metrics.train_classifier import ClassifierTraining, accuracy, train_classifier
from flowstudio.resources import resources_dir


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--epochs", type=int, default=ClassifierTraining.epochs)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("-o", "--out", type=Path, default=resources_dir() / BUNDLED)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    plan = ClassifierTraining(epochs=args.epochs, seed=args.seed)
    cnn, seconds = train_classifier(*load_fashion_mnist("train"), plan)
    test_accuracy = accuracy(cnn, *load_fashion_mnist("test"))
    print(f"test accuracy {test_accuracy:.4f} after {plan.epochs} epochs, {seconds:.0f} s on {args.threads} threads")
    save_classifier(cnn, args.out, {
        "name": "FashionCNN", "test_accuracy": round(test_accuracy, 4), "epochs": plan.epochs,
        "batch_size": plan.batch_size, "learning_rate": plan.learning_rate, "seed": plan.seed,
        "train_seconds": round(seconds, 1), "threads": args.threads,
        "recipe": "python benchmarks/recipes/fashion_classifier.py " + " ".join(sys.argv[1:]),
        "training_data": "Fashion-MNIST train split (60,000 images), Zalando Research 2017",
        "data_licence": "MIT (Fashion-MNIST, © Zalando SE)", "licence": "MIT (Flow Studio)"})
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
