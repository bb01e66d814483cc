"""Few-shot classification on Fashion-MNIST: Transflow next to nearest-neighbour baselines.

    python benchmarks/fewshot_fashion.py [--model resources/models/fashion_glow.safetensors]
                                         [--glf resources/models/fashion_glf.safetensors]
                                         [--shots 1 5 10 20 30] [--episodes 5] [--queries 100]

For each m and episode, m support images per class (10 classes) and
``--queries`` other query images per class are drawn at random from the
Fashion-MNIST *test* split (never seen in training). The latent methods run
on each model, on the same episodes: the Glow (``--model``, a latent of 784
dimensions) and beside it the Generative Latent Flow (``--glf``,
arXiv:1905.10485; its latent is the 20-dimensional ``eps = f(E(x))``;
``--glf none`` leaves it out). Methods:

* Transflow: one isotropic posterior predictive per class (lambda = 0.5 m, paper eq. 7-11);
* Transflow-diagonal (column T-diagonal): the diagonal likelihood covariance ``lambda * diag(v)`` (beyond the
  paper) with an *absolute* ``lambda`` (``--diag-lam``, default 1, i.e. the likelihood
  covariance is the evidence's own per-dimension spread). A lambda relative to m would
  scale each class's variances with m, and the class-specific log-determinants would
  then dominate the predictive (accuracy falls as m grows);
* pixel kNN: 1-nearest neighbour on raw pixels (Euclidean);
* latent kNN: 1-nearest neighbour on the model's latents eps (Euclidean).

Prints mean accuracy and its standard deviation over episodes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from flowstudio.checkpoint import load_checkpoint
from flowstudio.data import load_fashion_mnist
from flowstudio.resources import default_model_path, resources_dir
from flowstudio.transflow import LikelihoodSpec, TransflowClassifier
from flowstudio.transflow.encode import encode_images


def nearest_neighbour(support: torch.Tensor, support_y: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
    return support_y[torch.cdist(query.double(), support.double()).argmin(dim=1)]


def transflow(spec: LikelihoodSpec, support: torch.Tensor, support_y: torch.Tensor, query: torch.Tensor):
    clf = TransflowClassifier(spec)
    for label in support_y.unique().tolist():
        clf.add(label, support[support_y == label])
    return torch.tensor(clf.predict(query)[0])


def latent_methods(model: str, eps: torch.Tensor, args: argparse.Namespace) -> dict:
    """The three latent methods on one model's latents ``eps`` of the test images, named after the model."""
    isotropic = LikelihoodSpec(args.lam)
    diagonal = LikelihoodSpec(args.diag_lam, relative=False, covariance="diagonal")
    return {
        f"{model} Transflow": lambda s, y, q: transflow(isotropic, eps[s], y, eps[q]),
        f"{model} T-diagonal": lambda s, y, q: transflow(diagonal, eps[s], y, eps[q]),
        f"{model} latent kNN": lambda s, y, q: nearest_neighbour(eps[s], y, eps[q]),
    }


def encoded(path: str, images) -> tuple[str, torch.Tensor]:
    """A description of the checkpoint at ``path`` and the latents of ``images`` under it."""
    loaded = load_checkpoint(path)
    bpd = loaded.card.test_bits_per_dim
    about = f"{loaded.model_id} ({loaded.card.family}" + (f", {bpd} test bits/dim)" if bpd is not None else ")")
    return about, torch.cat([e for e, _ in encode_images(loaded.model, images, batch_size=500)])


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(default_model_path()))
    p.add_argument("--glf", default=str(resources_dir() / "models" / "fashion_glf.safetensors"),
                   help="a GLF checkpoint to run beside the Glow, or none")
    p.add_argument("--shots", type=int, nargs="+", default=[1, 5, 10, 20, 30])
    p.add_argument("--episodes", type=int, default=5)
    p.add_argument("--queries", type=int, default=100, help="query images per class per episode")
    p.add_argument("--lam", type=float, default=0.5, help="lambda as a multiple of m")
    p.add_argument("--diag-lam", type=float, default=1.0, help="absolute lambda of Transflow-diagonal")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()
    if args.glf.lower() != "none" and not Path(args.glf).is_file():
        p.error(f"no GLF checkpoint at {args.glf}: pass --glf PATH (python benchmarks/glf_baselines.py "
                "--save-glf PATH makes one) or --glf none")

    images, labels = load_fashion_mnist("test")
    pixels = torch.from_numpy(images).flatten(1).float()
    labels_t = torch.from_numpy(labels)
    models = {"Glow": args.model, **({} if args.glf.lower() == "none" else {"GLF": args.glf})}
    methods = {"pixel kNN": lambda s, y, q: nearest_neighbour(pixels[s], y, pixels[q])}
    for name, path in models.items():
        about, eps = encoded(path, images)
        print(f"{name}: {about}, a latent of {eps.shape[1]} dimensions")
        methods.update(latent_methods(name, eps, args))
    rng = np.random.default_rng(args.seed)
    print(f"{args.episodes} episodes x 10 classes x {args.queries} queries; lambda = {args.lam} m "
          f"(T-diagonal: lambda = {args.diag_lam} absolute); accuracy, mean ± std over episodes")
    width = max(map(len, methods)) + 1
    print(f"{'m':>3s} " + " ".join(f"{name:>{width}s}" for name in methods))
    for m in args.shots:
        acc: dict[str, list[float]] = {name: [] for name in methods}
        for _ in range(args.episodes):
            support, query = [], []
            for c in range(10):
                idx = rng.permutation(np.flatnonzero(labels == c))
                support += idx[:m].tolist()
                query += idx[m:m + args.queries].tolist()
            s, q = torch.tensor(support), torch.tensor(query)
            for name, method in methods.items():
                acc[name].append((method(s, labels_t[s], q) == labels_t[q]).double().mean().item())
        print(f"{m:3d} " + " ".join(f"{np.mean(v):.3f} ± {np.std(v):.3f}".rjust(width) for v in acc.values()))


if __name__ == "__main__":
    main()
