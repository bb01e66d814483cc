"""Encode and decode images/s of Flow Studio's Glow next to normflows' Glow, same architecture.

    python benchmarks/glow_speed.py [--shape 1 28 28] [--levels 2] [--steps 8] [--hidden 96] [--batch 64]

Both models get L levels of K steps (ActNorm, LU 1x1 convolution, affine
coupling with a conv3x3-conv1x1-conv3x3 network of the same width) on the same
input, in eval mode under ``torch.no_grad``; the time is the median over
repeats after a warm-up. normflows is a benchmark-only dependency
(``pip install -e .[bench]``). Its priors differ (per-channel base
distributions instead of split priors conditioned on the kept half), which
costs it slightly less work, so the comparison is conservative for us.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import torch

from flowstudio.models import build_model
from flowstudio.models.glow import GlowConfig


def normflows_glow(shape: tuple[int, int, int], levels: int, steps: int, hidden: int):
    import normflows as nf

    warnings.filterwarnings("ignore", message=".*torch.lu is deprecated")  # inside normflows' LU 1x1 conv

    c, h, w = shape
    q0, merges, flows = [], [], []
    for i in range(levels):
        flows.append([nf.flows.GlowBlock(c * 2 ** (levels + 1 - i), hidden, split_mode="channel", scale=True)
                      for _ in range(steps)] + [nf.flows.Squeeze()])
        if i > 0:
            merges.append(nf.flows.Merge())
            latent = (c * 2 ** (levels - i), h // 2 ** (levels - i), w // 2 ** (levels - i))
        else:
            latent = (c * 2 ** (levels + 1), h // 2**levels, w // 2**levels)
        q0.append(nf.distributions.GlowBase(latent))
    return nf.MultiscaleFlow(q0, flows, merges, class_cond=False)


def median_rate(fn, n_images: int, repeats: int) -> float:
    fn()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return n_images / statistics.median(times)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", type=int, nargs=3, default=[1, 28, 28], metavar=("C", "H", "W"))
    p.add_argument("--levels", type=int, default=2)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--hidden", type=int, default=96)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=torch.get_num_threads())
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    shape = tuple(args.shape)
    x = torch.rand(args.batch, *shape) - 0.5

    ours = build_model(GlowConfig(image_shape=shape, levels=args.levels, steps=args.steps, hidden=args.hidden,
                                  coupling="affine"))
    theirs = normflows_glow(shape, args.levels, args.steps, args.hidden)
    with torch.no_grad():
        ours.train()
        ours(x)
        theirs.train()
        theirs.log_prob(x, None)
    ours.eval()
    theirs.eval()
    with torch.no_grad():
        eps = ours.encode(x)[0]
        zs = theirs.inverse_and_log_det(x)[0]
        rows = [
            ("encode (x -> latent, log p)", median_rate(lambda: ours.encode(x), args.batch, args.repeats),
             median_rate(lambda: theirs.log_prob(x, None), args.batch, args.repeats)),
            ("decode (latent -> x)", median_rate(lambda: ours.decode(eps), args.batch, args.repeats),
             median_rate(lambda: theirs.forward_and_log_det(zs), args.batch, args.repeats)),
        ]
    print(f"Glow {shape[0]}x{shape[1]}x{shape[2]}, L={args.levels} K={args.steps} hidden={args.hidden}, "
          f"batch {args.batch}, {args.threads} threads, torch {torch.__version__}")
    print(f"{'':30s} {'flowstudio img/s':>18s} {'normflows img/s':>18s} {'ratio':>7s}")
    for name, a, b in rows:
        print(f"{name:30s} {a:18.0f} {b:18.0f} {a / b:7.2f}")


if __name__ == "__main__":
    main()
