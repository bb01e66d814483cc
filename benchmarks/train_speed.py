"""Training speed and quality on a fixed CPU budget: Flow Studio's Glow next to normflows' Glow.

    python benchmarks/train_speed.py [--budget 60] [--levels 2] [--steps 4] [--hidden 64] [--batch 64] [--threads 1 2]

Both models get the same architecture (L levels of K steps: ActNorm, LU 1x1
convolution, affine coupling with a conv3x3-conv1x1-conv3x3 network of the same
width), the same Fashion-MNIST batches, the same dequantization and objective
(uniform noise, bits/dim at 8 bits), Adam at the same learning rate with the
same warm-up, and the same budget of *process CPU time* (``time.process_time``,
so other load on the machine does not bias the comparison). Printed: training
images per CPU-second and per wall-second, steps done, and the deterministic
test bits/dim (bin-centre scoring) on 2,000 test images after the budget, for
each thread count (fresh models of the same seed each time), and the ratio of
training images per CPU-second (ours / theirs).
Needs normflows (``pip install -e .[bench]``) and dataset-fashion-mnist.
"""

from __future__ import annotations

import argparse
import time
import warnings

import torch

from flowstudio.data import load_fashion_mnist
from flowstudio.models import ImageFlow, build_model
from flowstudio.models.glow import GlowConfig

from glow_speed import normflows_glow


def run(name: str, log_prob, params, pixels: ImageFlow, train: torch.Tensor, test: torch.Tensor, args) -> dict:
    """Train ``log_prob`` for the CPU budget; ``pixels`` (our model) supplies the shared pixel maps and bits/dim."""
    gen = torch.Generator().manual_seed(0)
    torch.manual_seed(0)

    def noisy(images: torch.Tensor) -> torch.Tensor:
        return pixels.dequantize(images, torch.rand(images.shape, generator=gen))

    with torch.no_grad():  # data-dependent ActNorm initialisation on the same first batch
        log_prob(noisy(train[:512]))
    opt = torch.optim.Adam(params, lr=args.lr)
    steps, cpu0, wall0 = 0, time.process_time(), time.perf_counter()
    while time.process_time() - cpu0 < args.budget:
        idx = torch.randint(0, len(train), (args.batch,), generator=gen)
        loss = pixels.log_prob_to_bits_per_dim(log_prob(noisy(train[idx]))).mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 50.0)
        for group in opt.param_groups:
            group["lr"] = args.lr * min(1.0, (steps + 1) / 100)
        opt.step()
        steps += 1
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    with torch.no_grad():
        bpd = torch.cat([pixels.log_prob_to_bits_per_dim(log_prob(pixels.preprocess(test[i:i + 500])))
                         for i in range(0, len(test), 500)]).mean().item()
    return {"name": name, "steps": steps, "per_cpu_s": steps * args.batch / cpu,
            "per_wall_s": steps * args.batch / wall, "test_bpd": bpd}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--budget", type=float, default=60.0, help="CPU seconds of training per model")
    p.add_argument("--levels", type=int, default=2)
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    args = p.parse_args()
    warnings.filterwarnings("ignore", message=".*torch.lu is deprecated")
    train, _ = load_fashion_mnist("train")
    test, _ = load_fashion_mnist("test", limit=2000)
    train, test = torch.from_numpy(train), torch.from_numpy(test)

    print(f"Glow 1x28x28 L={args.levels} K={args.steps} hidden={args.hidden}, batch {args.batch}, "
          f"{args.budget:g} CPU-s each, torch {torch.__version__}")
    print(f"{'':12s} {'threads':>7s} {'steps':>7s} {'img/CPU-s':>10s} {'img/wall-s':>11s} {'test bits/dim':>14s}")
    for threads in args.threads:
        torch.set_num_threads(threads)
        torch.manual_seed(0)
        ours = build_model(GlowConfig(image_shape=(1, 28, 28), levels=args.levels, steps=args.steps,
                                      hidden=args.hidden, coupling="affine", n_bits=8))
        ours.train()
        theirs = normflows_glow((1, 28, 28), args.levels, args.steps, args.hidden)
        theirs.train()
        rows = [run("flowstudio", ours.log_prob, list(ours.parameters()), ours, train, test, args),
                run("normflows", lambda x: theirs.log_prob(x, None), list(theirs.parameters()), ours, train, test,
                    args)]
        for r in rows:
            print(f"{r['name']:12s} {threads:7d} {r['steps']:7d} {r['per_cpu_s']:10.1f} {r['per_wall_s']:11.1f} "
                  f"{r['test_bpd']:14.3f}", flush=True)
        print(f"{'ratio':12s} {threads:7d} {'':7s} {rows[0]['per_cpu_s'] / rows[1]['per_cpu_s']:10.2f}", flush=True)

if __name__ == "__main__":
    main()
