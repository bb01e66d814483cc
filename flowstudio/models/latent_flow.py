"""The flow on an autoencoder's latent (GLF, arXiv:1905.10485 sec. 3; the VAE baseline's flow prior).

``f`` maps a latent ``z in R^nz`` to ``eps = f(z) ~ N(0, I)`` through ``blocks``
steps, each a fixed random permutation ``P`` followed by a RealNVP affine
coupling (Dinh et al., arXiv:1605.08803 eq. 6-9) on the two halves::

    a, b = halves(P z),   y_a = a,   y_b = b * exp(s(a)) + t(a),   log |det| = sum s(a)

with ``s = scale * tanh(raw)`` (a learned per-entry bound, RealNVP sec. 4.1) and
``(raw, t)`` from one MLP of ``depth`` hidden layers of width ``hidden`` (zero-
initialised output, so ``f`` starts as a permutation).  The latent's density
is the change of variables (eq. 1 of the GLF paper)::

    log p_f(z) = log N(f(z); 0, I) + sum_blocks sum s.

Why our own blocks (:mod:`flowstudio.flows`) and not zuko: the couplings are
the same :class:`~flowstudio.flows.Coupling` with :class:`~flowstudio.flows.ExpAffineRule`
the image flows use, so the checkpoint keys are ours and stable, the
inverse (needed for every sample, ``G(f^-1(eps))``) is exact and cheap, and
no conversion between zuko's transforms and our :class:`~flowstudio.flows.Transform`
contract is needed.  Only the permutation and the vector ``(s, t)`` network
are new, and they are a few lines each.
"""

from __future__ import annotations

import torch
from torch import nn

from flowstudio.flows import Chain, ChannelHalves, Coupling, ExpAffineRule, Transform
from flowstudio.flows.nets import mlp


class Permutation(Transform):
    """``y = x[:, perm]`` for a fixed random permutation (saved with the weights); ``log |det| = 0``."""

    def __init__(self, dim: int):
        super().__init__()
        self.register_buffer("perm", torch.randperm(dim))

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        return x[:, self.perm], x.new_zeros(x.shape[0])

    def inverse(self, y: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        return y[:, torch.argsort(self.perm)]


class ScaleShiftMLP(nn.Module):
    """``(s, t)`` of a vector affine coupling: ``s = scale * tanh(raw)``, ``(raw, t) = mlp(a)``."""

    def __init__(self, n_in: int, n_out: int, hidden: int, depth: int):
        super().__init__()
        self.net = mlp(n_in, 2 * n_out, hidden, depth)
        self.scale = nn.Parameter(torch.ones(n_out))

    def forward(self, a: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raw, t = self.net(a).chunk(2, dim=1)
        return self.scale * torch.tanh(raw), t


def latent_flow(dim: int, blocks: int, hidden: int, depth: int) -> Chain:
    """``blocks`` x (permutation, affine coupling) on vectors of ``dim`` entries (see module doc)."""
    n_a, n_b = ChannelHalves().sizes(dim)
    steps: list[Transform] = []
    for _ in range(blocks):
        steps += [Permutation(dim), Coupling(ChannelHalves(), ScaleShiftMLP(n_a, n_b, hidden, depth), ExpAffineRule())]
    return Chain(steps)
