"""Encode and decode images/s of Flow Studio's Glow next to normflows' Glow, same architecture, 1 and 2 threads.

    python benchmarks/glow_speed.py [--shape 1 28 28] [--levels 2] [--steps 8] [--hidden 96] [--batch 64]
                                    [--threads 1 2] [--repeats 15]

Both models get L levels of K steps (ActNorm, LU 1x1 convolution, affine
coupling with a conv3x3-conv1x1-conv3x3 network of the same width) on the same
input, in eval mode under ``torch.no_grad``.  The two models' repeats are
interleaved (so load from other processes falls on both alike) and the rate is
taken from the *fastest* repeat of each (the least disturbed one); the ratio is
ours / theirs.  normflows is a benchmark-only dependency (``pip install -e
.[bench]``).  Its priors differ (per-channel base distributions instead of
split priors conditioned on the kept half), which costs it slightly less work,
so the comparison is conservative for us.
"""

from __future__ import annotations

import argparse
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


def paired_rates(fns: list, n_images: int, repeats: int) -> list[float]:
    """Images/s of each of ``fns`` from its fastest of ``repeats`` wall-clock runs, the runs interleaved."""
    for fn in fns:
        fn()  # warm-up (caches, allocator)
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            t0 = time.perf_counter()
            fn()
            best[i] = min(best[i], time.perf_counter() - t0)
    return [n_images / t for t in best]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--shape", type=int, nargs=3, default=[1, 28, 28], metavar=("C", "H", "W"))
    p.add_argument("--levels", type=int, default=2)
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--hidden", type=int, default=96)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--repeats", type=int, default=15)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = p.parse_args()
    shape = tuple(args.shape)
    torch.manual_seed(0)
    x = torch.rand(args.batch, *shape) - 0.5

    ours = build_model(GlowConfig(image_shape=shape, levels=args.levels, steps=args.steps, hidden=args.hidden,
                                  coupling="affine"))
    theirs = normflows_glow(shape, args.levels, args.steps, args.hidden)
    with torch.no_grad():  # data-dependent ActNorm initialisation of both
        ours.train()
        ours.log_prob(x)
        theirs.train()
        theirs.log_prob(x, None)
    ours.eval()
    theirs.eval()
    print(f"Glow {shape[0]}x{shape[1]}x{shape[2]}, L={args.levels} K={args.steps} hidden={args.hidden}, "
          f"batch {args.batch}, fastest of {args.repeats}, torch {torch.__version__}")
    print(f"{'':30s} {'threads':>7s} {'flowstudio img/s':>17s} {'normflows img/s':>16s} {'ratio':>6s}")
    with torch.no_grad():
        eps = ours.encode(x)[0]
        zs = theirs.inverse_and_log_det(x)[0]
        for threads in args.threads:
            torch.set_num_threads(threads)
            rows = [("encode (x -> latent, log p)", lambda: ours.encode(x), lambda: theirs.log_prob(x, None)),
                    ("decode (latent -> x)", lambda: ours.decode(eps), lambda: theirs.forward_and_log_det(zs))]
            for name, a, b in rows:
                ra, rb = paired_rates([a, b], args.batch, args.repeats)
                print(f"{name:30s} {threads:7d} {ra:17.0f} {rb:16.0f} {ra / rb:6.2f}")


if __name__ == "__main__":
    main()
