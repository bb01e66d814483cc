"""How the labelled examples' weight steers a semi-conditional flow on Fashion-MNIST with 100 labels.

    python benchmarks/scnf_labelled_weight.py [--weights 1 0.1 0.01] [--steps 1500] [--every 250]

Each step is a batch of 64 labelled and 64 unlabelled images (:func:`scnf_fashion.train`); the loss is ``w`` times the labelled mean plus
the unlabelled mean (weight 1: the two means alike, as a labelled share of 0.5 gives; 0.01: about eq. 4 of
arXiv:1905.00505 as written, every image alike).  Every ``--every`` steps it prints the test error of
``argmax p(y | x)`` on 2,000 test images and how many of them each class takes: at weight 1 the counts narrow
to a few classes while the error rises (the 100 labels overfit), which is why ``flowstudio train``'s
``--labelled-share`` defaults to 0.1.  The ``small`` preset, 10,000 training images, split 0; one weight
after another on one thread.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from flowstudio.data import load_fashion_mnist
from flowstudio.models import build_model
from flowstudio.registry import get_family
from flowstudio.training.datasets import TrainData
from scnf_fashion import predictions, train


def run(weight: float, steps: int, every: int, x: torch.Tensor, labels: torch.Tensor, tx: torch.Tensor,
        ty: torch.Tensor) -> None:
    preset = get_family("scnf").preset("small")
    model = build_model({"family": "scnf", "image_shape": [1, 28, 28], "classes": 10, **preset.arch, "seed": 0})
    start = time.perf_counter()

    def report(step: int, model: torch.nn.Module) -> None:
        if step % every == 0 or step == steps:
            pred = predictions(model, tx, "cpu")
            counts = np.bincount(pred.numpy(), minlength=10).tolist()
            print(f"weight {weight:g}  step {step:5d}  test error {100 * float((pred != ty).float().mean()):5.1f}%  "
                  f"per class {counts}  ({time.perf_counter() - start:.0f} s)", flush=True)

    train(model, x, labels, steps, preset.lr, 0, "cpu", 0.5, weight, report)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--weights", type=float, nargs="+", default=[1.0, 0.1, 0.01])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--every", type=int, default=250)
    args = parser.parse_args()
    torch.set_num_threads(1)
    x, y = (torch.from_numpy(a) for a in load_fashion_mnist("train", limit=10_000))
    tx, ty = (torch.from_numpy(a) for a in load_fashion_mnist("test", limit=2_000))
    data = TrainData(x, tx, "fashion-mnist", "MIT", train_labels=y, test_labels=ty,
                     class_names=tuple(map(str, range(10)))).keep_labels(100, 0)
    for weight in args.weights:
        run(weight, args.steps, args.every, x, data.train_labels, tx, ty)
    print(f"repeat: python benchmarks/scnf_labelled_weight.py --weights {' '.join(f'{w:g}' for w in args.weights)} "
          f"--steps {args.steps} --every {args.every}")


if __name__ == "__main__":
    main()
