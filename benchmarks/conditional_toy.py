"""The 8-mode inverse problem: the conditional flow's single loss (eq. 6) against the multi-loss INN, same net.

    python benchmarks/conditional_toy.py [--steps 300] [--batch 1600] [--picture docs/images/conditional-toy.png]

"A method to model conditional distributions with normalizing flows" (the seed paper of issue 10, sec. 5.1,
Fig. 5.1 and 5.2) takes the toy of Ardizzone et al. (arXiv:1808.04730, FrEIA experiments/toy_8-modes):
8 Gaussians at (+-2.4142, +-1) and (+-1, +-2.4142), sigma 0.2, labels 0-7
(:func:`flowstudio.data.toy2d.sample_toy_labelled` ``"8modes"``); ``x in R^2`` padded to 10 = [z in R^2, y in R^8];
8 blocks of 3 FC layers with 512 hidden units and fixed random permutations; batch 1600, Adam 1e-3.
The paper shows figures, not numbers; we give two numbers for each method on the *same* network
(:class:`flowstudio.models.conditional.ConditionalPoints`, medium points preset, same seed and data):

* label accuracy: argmax of the forward pass's label part on 4,000 fresh test points;
* per-label MMD: for each label, 500 generated points ``f^-1([z, y~])`` against 500 fresh true points of that
  mode, mean over the 8 labels (MMD^2 with the kernel below; about 0 when the two agree).

Ours: ``-`` eq. 6 only (``model(batch, noise, labels)``, the family's own training loss).  The INN
(Ardizzone et al. sec. 3.3 and FrEIA's toy): forward ``3 * MSE(y_out, y) + 300 * MMD([z_out, y_out], [N(0,I), y])``;
backward ``400 * r(t) * MMD(f^-1([N(0,I), y + 0.1 n]), x)`` with the ramp ``r = min(1, 2 * 0.002^(1 - t/T))`` and
the reconstruction ``3 * MSE(f^-1([z_out + 0.05 n, y_out]), [x, 0])``; the padding gets noise 0.05, y noise 0.1.

MMD is hand-written (a few lines): FrEIA's ``MMD_multiscale``, the inverse multiquadric kernel
``k(a, b) = sum_h h^2 / (h^2 + ||a - b||^2)`` at widths 0.05, 0.2, 0.9, biased estimator; no library we ship
has it, and the benchmark must use exactly the kernel the INN is trained with.

CPU budget: the paper trains far longer (FrEIA: many epochs); we run ``--steps`` (default 300) steps at one
thread, so both methods are under-trained the same way.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from flowstudio.data.toy2d import sample_toy_labelled
from flowstudio.models import build_model
from flowstudio.models.conditional import ConditionalPoints
from flowstudio.registry import get_family

WIDTHS = (0.05, 0.2, 0.9)
K, N_TRAIN, N_TEST, N_MMD = 8, 100_000, 4000, 500
W_FIT, W_LATENT, W_REV = 3.0, 300.0, 400.0
Y_NOISE, PAD_NOISE = 0.1, 0.05


def mmd(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """Biased MMD^2 of samples ``a [n, d]`` and ``b [m, d]`` with the multiscale inverse multiquadric kernel."""
    def k(p, q):
        d2 = torch.cdist(p, q) ** 2
        return sum(h * h / (h * h + d2) for h in WIDTHS)
    return k(a, a).mean() + k(b, b).mean() - 2 * k(a, b).mean()


def inn_loss(model: ConditionalPoints, x: torch.Tensor, labels: torch.Tensor, ramp: float) -> torch.Tensor:
    """The multi-loss INN objective (module doc) on the conditional flow's network ``model.core.flow``."""
    core, flow = model.core, model.core.flow
    y = F.one_hot(labels, K).float()
    out, _ = flow(core.padded(x, noisy=True))
    z_out, y_out = out[:, :core.style], out[:, core.style:]
    forward = W_FIT * F.mse_loss(y_out, y) + W_LATENT * mmd(torch.cat([z_out, y_out], 1),
                                                            torch.cat([torch.randn_like(z_out), y], 1))
    rand = flow.inverse(torch.cat([torch.randn_like(z_out), y + Y_NOISE * torch.randn_like(y)], 1))
    back = flow.inverse(torch.cat([z_out.detach() + PAD_NOISE * torch.randn_like(z_out), y_out.detach()], 1))
    backward = W_REV * ramp * mmd(rand[:, :core.dim], x) + W_FIT * F.mse_loss(back, core.padded(x, False))
    return forward + backward


def train(method: str, steps: int, batch: int, seed: int) -> tuple[ConditionalPoints, float]:
    preset = get_family("conditional").preset("medium", "points")
    model = build_model({"family": "conditional", "dim": 2, "classes": K, "seed": seed, **preset.arch})
    points, labels = (torch.from_numpy(a) for a in sample_toy_labelled("8modes", N_TRAIN, seed))
    opt = torch.optim.Adam(model.parameters(), lr=preset.lr)
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    start = time.perf_counter()
    for step in range(steps):
        idx = torch.randint(N_TRAIN, (batch,), generator=gen)
        x, y = points[idx], labels[idx]
        if method == "ours":
            loss = model(x, None, y).mean()
        else:
            loss = inn_loss(model, x, y, min(1.0, 2 * 0.002 ** (1 - step / steps)))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 100 == 0 or step == steps - 1:
            print(f"  {method} step {step:5d} loss {loss.item():.4f}", flush=True)
    return model.eval(), time.perf_counter() - start


@torch.no_grad()
def evaluate(model: ConditionalPoints, seed: int) -> tuple[float, float, np.ndarray, np.ndarray, np.ndarray]:
    """``(accuracy, mean per-label MMD, test points, predicted labels, generated points by label)``."""
    test, truth = (torch.from_numpy(a) for a in sample_toy_labelled("8modes", N_TEST, seed + 1000))
    predicted = model.class_log_probs(test).argmax(1)
    accuracy = float((predicted == truth).float().mean())
    pool, pool_labels = (torch.from_numpy(a) for a in sample_toy_labelled("8modes", 20 * N_MMD, seed + 2000))
    generated, scores = [], []
    for k in range(K):
        drawn = model.sample(N_MMD, 1.0, seed=seed + k, context=torch.full((N_MMD,), k))
        generated.append(drawn)
        scores.append(float(mmd(drawn, pool[pool_labels == k][:N_MMD])))
    return accuracy, float(np.mean(scores)), test.numpy(), predicted.numpy(), torch.cat(generated).numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--batch", type=int, default=1600)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--picture", type=Path, default=Path("docs/images/conditional-toy.png"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows, panels = [], []
    for method in ("ours", "inn"):
        model, seconds = train(method, args.steps, args.batch, args.seed)
        accuracy, score, test, predicted, generated = evaluate(model, args.seed)
        rows.append((method, accuracy, score, seconds))
        gen_labels = np.repeat(np.arange(K), N_MMD)
        extent = 4.0
        panels.append(np.concatenate([ConditionalPoints.picture_by_label(test, predicted, extent=extent),
                                      np.full((256, 6, 3), 255, np.uint8),
                                      ConditionalPoints.picture_by_label(generated, gen_labels, extent=extent)], 1))
    names = {"ours": "single loss (eq. 6)", "inn": "multi-loss INN"}
    print(f"\n8-mode toy, {args.steps} steps of batch {args.batch}, seed {args.seed} (paper: figures 5.1/5.2, no numbers)")
    print(f"{'method':22s} {'label accuracy':>15s} {'mean per-label MMD^2':>21s} {'train s':>8s}")
    for method, accuracy, score, seconds in rows:
        print(f"{names[method]:22s} {accuracy:15.4f} {score:21.4f} {seconds:8.1f}")
    print(f"repeat: python benchmarks/conditional_toy.py --steps {args.steps} --batch {args.batch} --seed {args.seed}")
    from PIL import Image

    args.picture.parent.mkdir(parents=True, exist_ok=True)
    gap = np.full((6, panels[0].shape[1], 3), 255, np.uint8)
    Image.fromarray(np.concatenate([panels[0], gap, panels[1]], 0)).save(args.picture)
    print(f"picture: {args.picture} (rows: ours, INN; left: test points coloured by the predicted label, "
          "right: generated points coloured by the label asked for)")


if __name__ == "__main__":
    main()
