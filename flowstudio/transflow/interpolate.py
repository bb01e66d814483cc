"""Interpolation in latent space (Transflow paper, Fig. 3 and Fig. 4).

* Between two *posteriors* (Fig. 3: "interpolating the parameters of the
  posterior distributions" of two evidence sets): for ``t`` in ``[0, 1]``::

      mean_t = (1 - t) mu_a + t mu_b,      var_t = (1 - t) var_a + t var_b

  The covariance is interpolated linearly, elementwise on the diagonal; a
  convex combination of positive variances is positive, so every ``t`` gives
  a valid Gaussian.  Each strip cell is drawn with its own seed (see
  :func:`~flowstudio.transflow.posterior.seeded_noise`) and the same seeds are
  used at every ``t``, so a column of the strip changes smoothly with ``t``.
* Between two *images* (Fig. 4): ``z_t = (1 - t) z_a + t z_b`` on their latents.

The functions return latent batches ``eps``; decode them with
:func:`flowstudio.transflow.encode.decode_latents`.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from flowstudio.transflow.posterior import DiagGaussian


def _ts(ts: Sequence[float] | torch.Tensor) -> torch.Tensor:
    return torch.as_tensor(ts, dtype=torch.float64).reshape(-1)


def interpolate_posteriors(a: DiagGaussian, b: DiagGaussian, t: float) -> DiagGaussian:
    """``N((1 - t) mu_a + t mu_b, diag((1 - t) var_a + t var_b))`` (Fig. 3)."""
    t = float(t)
    return DiagGaussian(mean=(1 - t) * a.mean + t * b.mean, var=(1 - t) * a.var + t * b.var)


def posterior_strip(
    a: DiagGaussian,
    b: DiagGaussian,
    ts: Sequence[float] | torch.Tensor,
    seeds: int | Sequence[int] | torch.Tensor,
    temperature: float = 1.0,
) -> torch.Tensor:
    """Samples ``[len(ts), n, D]`` (float32): row ``i`` samples the interpolant at ``ts[i]``.

    Cell ``(i, j)`` is ``mean_t + sqrt(var_t) * T * noise(seed_j)`` with the
    same ``noise(seed_j)`` for every ``t`` (Fig. 3).
    """
    return torch.stack([interpolate_posteriors(a, b, t).sample(seeds, temperature) for t in _ts(ts).tolist()])


def lerp_latents(z_a: torch.Tensor, z_b: torch.Tensor, ts: Sequence[float] | torch.Tensor) -> torch.Tensor:
    """Direct interpolation between two images' latents (Fig. 4): ``[len(ts), D]``, ``(1 - t) z_a + t z_b``.

    ``z_a`` and ``z_b`` are flat latents ``[D]``; the result has ``z_a``'s dtype and device.
    """
    z_a = torch.as_tensor(z_a).reshape(-1)
    z_b = torch.as_tensor(z_b).reshape(-1).to(z_a)
    t = _ts(ts).to(z_a).unsqueeze(1)
    return (1 - t) * z_a + t * z_b
