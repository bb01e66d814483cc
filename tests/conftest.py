"""Shared test helpers: tiny real model configs of every family (seconds to build and run)."""

from __future__ import annotations

import torch


# Tiny models gain nothing from intra-op threads, and two threads on two shared cores oversubscribe.
torch.set_num_threads(1)

TINY_CONFIGS = {
    "glow-affine-gray": {"family": "glow", "image_shape": [1, 8, 8], "levels": 2, "steps": 2, "hidden": 16},
    "glow-additive-rgb": {"family": "glow", "image_shape": [3, 8, 8], "levels": 3, "steps": 2, "hidden": 16,
                          "coupling": "additive"},
    "glow-pad1-rect": {"family": "glow", "image_shape": [3, 8, 4], "levels": 2, "steps": 1, "hidden": 8,
                       "pad_value": 1.0},
    "realnvp-gray": {"family": "realnvp", "image_shape": [1, 8, 8], "scales": 2, "hidden": 16, "blocks": 1},
    "realnvp-rgb": {"family": "realnvp", "image_shape": [3, 8, 8], "scales": 3, "hidden": 16, "blocks": 1},
    "nice-odd": {"family": "nice", "image_shape": [1, 7, 7], "hidden": 32, "depth": 2},
}


def randomized(model, seed: int = 0, scale: float = 0.05):
    """Initialise ActNorm from data, then perturb every parameter so no layer is the identity."""
    gen = torch.Generator().manual_seed(seed)
    model.train()
    with torch.no_grad():
        model.log_prob(torch.rand(8, *model.image_shape, generator=gen) - 0.5)
        for p in model.parameters():
            p.add_(scale * torch.randn(p.shape, generator=gen))
    return model.eval()
