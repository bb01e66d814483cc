"""Semi-conditional flows on the two-moons and two-circles toys: 1,000 points, 10 of them labelled.

    python benchmarks/scnf_toys.py [--steps 1000] [--seeds 0 1 2] [--classification-weight 0]
                                   [--labelled-weight 0.1] [--picture docs/images/scnf-toys.png]

Atanov et al., "Semi-Conditional Normalizing Flows for Semi-Supervised Learning" (arXiv:1905.00505,
appendix D, Table 4) train on 1,000 points of each toy with 10 labels and report the test error of the
semi-conditional flow with a flow conditional part (moons 0.6%, circles 5.0%) and with the GMM one
(1.2%, 14.2%).  This trains :class:`flowstudio.models.scnf.SCNFPoints` (the registry's ``small`` points
preset for ``f_w``) with each conditional part on 1,000 points of :func:`flowstudio.data.toy2d.sample_toy_labelled`
(10 labels, 5 a class), full batch, Adam 1e-3, through the model's own training loss
``forward(batch, noise, labels)`` with the labelled mean, times ``--labelled-weight``, and the unlabelled mean
added (:func:`semi_supervised_loss`),
and counts mistakes of ``argmax p(y | x)`` on 10,000 fresh points of the same toy; per seed (the data,
the kept labels and the weights), then the mean.  The picture draws each model's decision boundary
(p(y | x) = 1/2), the unlabelled points and the 10 labels.  ``--classification-weight`` ``beta`` adds the
paper's optional classification loss ``-beta log p(y | x)`` of the labelled points (sec. 4); 0 is the plain
likelihood objective.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch

from flowstudio.data.toy2d import sample_toy_labelled
from flowstudio.models import build_model
from flowstudio.registry import get_family
from flowstudio.training.datasets import TrainData

PAPER = {("moons", "flow"): "0.6%", ("circles", "flow"): "5.0%", ("moons", "gmm"): "1.2%",
         ("circles", "gmm"): "14.2%"}
"""Table 4 of arXiv:1905.00505 (test error, 1,000 points, 10 labels)."""
TOYS, PARTS = ("moons", "circles"), ("flow", "gmm")
N_TRAIN, N_LABELLED, N_TEST = 1000, 10, 10_000


def semi_supervised_loss(model: torch.nn.Module, batch: torch.Tensor, labels: torch.Tensor,
                         labelled_weight: float, noise: torch.Tensor | None = None) -> torch.Tensor:
    """``labelled_weight`` times the mean per-example loss of the labelled examples of ``batch`` plus the mean
    of the unlabelled ones (eq. 4 of arXiv:1905.00505 with each sum normalised by its size: weight 1 keeps a
    few labels from being drowned by many points but lets them overfit; eq. 4 as written weighs them
    n_labelled / n_unlabelled, too little; 0.1, as ``flowstudio train``'s default labelled share, is between)."""
    per_example = model(batch, torch.rand(batch.shape) if noise is None else noise, labels)
    known = labels >= 0
    loss = per_example.new_zeros(())
    for part, weight in ((known, labelled_weight), (~known, 1.0)):
        if bool(part.any()):
            loss = loss + weight * per_example[part].mean()
    return loss


def toy_data(toy: str, seed: int) -> tuple[TrainData, torch.Tensor, torch.Tensor]:
    """``(training data with 10 labels kept, test points, test labels)``."""
    x, y = sample_toy_labelled(toy, N_TRAIN, seed)
    test_x, test_y = sample_toy_labelled(toy, N_TEST, 10_000 + seed)
    data = TrainData(torch.from_numpy(x), torch.from_numpy(test_x), toy, "generated", kind="points",
                     train_labels=torch.from_numpy(y), test_labels=torch.from_numpy(test_y),
                     class_names=("0", "1")).keep_labels(N_LABELLED, seed)
    return data, torch.from_numpy(test_x), torch.from_numpy(test_y)


def train_toy(toy: str, part: str, seed: int, steps: int, weight: float = 0.0,
              labelled_weight: float = 0.1) -> tuple[torch.nn.Module, TrainData, float]:
    data, test_x, test_y = toy_data(toy, seed)
    preset = get_family("scnf").preset("small", "points")
    model = build_model({"family": "scnf", "dim": 2, "classes": 2, "conditional_part": part, "seed": seed,
                         "classification_weight": weight, **preset.arch})
    torch.manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=preset.lr)
    model.train()
    for _ in range(steps):
        opt.zero_grad()
        loss = semi_supervised_loss(model, data.train, data.train_labels, labelled_weight)
        loss.backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        error = float((model.class_log_probs(test_x).argmax(1) != test_y).float().mean())
    return model, data, error


def draw(models: dict[tuple[str, str], tuple[torch.nn.Module, TrainData, float]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(PARTS), len(TOYS), figsize=(4 * len(TOYS), 4 * len(PARTS)))
    for (toy, part), (model, data, error) in models.items():
        ax = axes[PARTS.index(part), TOYS.index(toy)]
        x = data.train.numpy()
        lo, hi = x.min(0) - 0.5, x.max(0) + 0.5
        g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], 200), np.linspace(lo[1], hi[1], 200))
        grid = torch.from_numpy(np.stack([g0.ravel(), g1.ravel()], 1).astype(np.float32))
        with torch.no_grad():
            p1 = model.class_log_probs(grid)[:, 1].exp().numpy().reshape(g0.shape)
        ax.contourf(g0, g1, p1, levels=np.linspace(0, 1, 11), cmap="coolwarm", alpha=0.5)
        ax.contour(g0, g1, p1, levels=[0.5], colors="k", linewidths=1.5)
        known = data.train_labels.numpy() >= 0
        ax.scatter(x[~known, 0], x[~known, 1], s=3, c="0.35", alpha=0.5)
        ax.scatter(x[known, 0], x[known, 1], s=80, c=data.train_labels.numpy()[known], cmap="coolwarm",
                   edgecolors="k", vmin=0, vmax=1)
        ax.set_title(f"{toy}, {part} conditional part: test error {100 * error:.1f}% "
                     f"(paper {PAPER[toy, part]})", fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--classification-weight", type=float, default=0.0)
    parser.add_argument("--labelled-weight", type=float, default=0.1,
                        help="weight of the labelled points' mean loss against the unlabelled points' mean")
    parser.add_argument("--picture", type=Path, default=Path("docs/images/scnf-toys.png"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    errors: dict[tuple[str, str], list[float]] = {}
    first = {}
    for toy in TOYS:
        for part in PARTS:
            for seed in args.seeds:
                start = time.perf_counter()
                model, data, error = train_toy(toy, part, seed, args.steps, args.classification_weight,
                                               args.labelled_weight)
                errors.setdefault((toy, part), []).append(error)
                first.setdefault((toy, part), (model, data, error))
                print(f"{toy:8s} {part:5s} seed {seed}: test error {100 * error:5.1f}%  "
                      f"({time.perf_counter() - start:.0f} s)", flush=True)
    print(f"\nSCNF, {N_TRAIN} points with {N_LABELLED} labels, {args.steps} full-batch steps, "
          f"classification weight {args.classification_weight:g}, labelled weight {args.labelled_weight:g}, test error on {N_TEST:,} fresh points, "
          f"seeds {args.seeds}")
    print(f"{'toy':8s} {'conditional part':18s} {'ours (mean)':>12s} {'per seed':>24s} {'paper':>7s}")
    for (toy, part), values in errors.items():
        per_seed = " ".join(f"{100 * v:.1f}" for v in values)
        print(f"{toy:8s} {part:18s} {100 * np.mean(values):11.1f}% {per_seed:>24s} {PAPER[toy, part]:>7s}")
    draw(first, args.picture)
    print(f"\npicture (seed {args.seeds[0]}): {args.picture}")
    print(f"repeat: python benchmarks/scnf_toys.py --steps {args.steps} --seeds {' '.join(map(str, args.seeds))} "
          f"--classification-weight {args.classification_weight:g} --labelled-weight {args.labelled_weight:g}")


if __name__ == "__main__":
    main()
