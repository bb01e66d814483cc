"""Shared test helpers: tiny real model configs of every family (seconds to build and run)."""

from __future__ import annotations

import torch

from flowstudio.models.vector import VectorFlow


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


def model_inputs(model, n: int, generator=None, dtype=torch.float32):
    """``n`` inputs in the model's own space: images in the pixel cube ``[-0.5, 0.5)``, or standard normal points."""
    if isinstance(model, VectorFlow):
        return torch.randn(n, model.dim, generator=generator, dtype=dtype)
    return torch.rand(n, *model.image_shape, generator=generator, dtype=dtype) - 0.5


def model_labels(model, n: int) -> torch.Tensor | None:
    """Class indices ``0, 1, .., K-1, 0, ..`` for ``n`` examples of a labelled family, else ``None``."""
    return torch.arange(n) % model.config.classes if model.uses_labels else None


def randomized(model, seed: int = 0, scale: float = 0.05):
    """Initialise ActNorm from data, then perturb every parameter so no layer is the identity."""
    gen = torch.Generator().manual_seed(seed)
    model.train()
    with torch.no_grad():
        model.encode(model_inputs(model, 8, gen), context=model_labels(model, 8))
        for p in model.parameters():
            p.add_(scale * torch.randn(p.shape, generator=gen))
    return model.eval()
