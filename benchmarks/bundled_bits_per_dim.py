"""Test bits/dim of the bundled Fashion-MNIST Glow on the whole test split, next to the value on its card.

Run it before and after a change to the flows or the checkpoint reader: the
two figures must agree to 1e-6 (the card's value was accumulated in float32
during training; this one is the mean of float32 per-image scores in float64).

    python benchmarks/bundled_bits_per_dim.py [--model FILE] [--limit N]
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from flowstudio.checkpoint import load_checkpoint
from flowstudio.data.fashion_mnist import load_fashion_mnist
from flowstudio.resources import default_model_path


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default=str(default_model_path()))
    p.add_argument("--limit", type=int, default=None, help="first N test images (default: all 10,000)")
    args = p.parse_args()
    loaded = load_checkpoint(args.model)
    images = torch.as_tensor(np.asarray(load_fashion_mnist("test", limit=args.limit)[0]))
    with torch.no_grad():
        bpd = torch.cat([loaded.model.bits_per_dim(images[i:i + 500]) for i in range(0, len(images), 500)]).double()
    print(f"{loaded.model_id}: {bpd.mean().item():.12f} bits/dim over {len(bpd):,} test images "
          f"(std {bpd.std().item():.6f}); card: {loaded.card.test_bits_per_dim}")


if __name__ == "__main__":
    main()
