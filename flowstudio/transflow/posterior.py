"""Bayesian update of the flow's latent prior on a few evidence latents (Transflow).

Reference: Gambardella, Baydin & Torr, "Transflow Learning: Repurposing Flow
Models Without Retraining" (2019).  Evidence images ``x_1..x_m``
are encoded to ``zeta_i = f^-1(x_i)`` (our standardized ``eps``).  The model
gives the prior ``eps ~ N(0, I)``; each evidence latent is an observation
``zeta_i ~ N(eps, Sigma)``.  The posterior over ``eps`` is Gaussian:

* general ``Sigma`` (eq. 3-4)::

      Sigma_p = (I + m Sigma^-1)^-1,      mu_p = Sigma_p Sigma^-1 sum_i zeta_i

* isotropic ``Sigma = lambda I`` (eq. 7-8)::

      mu_p = (m / lambda) zeta_bar / (m / lambda + 1),      Sigma_p = I / (m / lambda + 1)

* posterior predictive of a new latent (eq. 10-11): ``N(mu_p, Sigma_p + Sigma)``.

``lambda`` is either absolute or relative to the evidence count,
``lambda = r * m`` (artists use ``r`` in 0.3..0.7); then ``m / lambda = 1 / r``
and the posterior depends on the evidence only through ``zeta_bar``.

Beyond the paper: a *diagonal* likelihood covariance
``Sigma = diag(lambda * max(v_d, floor))`` with ``v_d`` the evidence's
per-dimension variance, so dimensions in which the evidence agrees are pinned
more tightly than dimensions in which it varies (see :class:`LikelihoodSpec`,
which lives in the torch-free :mod:`flowstudio.likelihood` and is re-exported here).

Everything here is diagonal, so a posterior is stored as per-dimension mean
and variance vectors (float64, CPU); the isotropic case is the diagonal one
with all ``v_d = 1``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import torch

from flowstudio.likelihood import COVARIANCES, LikelihoodSpec

__all__ = ["COVARIANCES", "DiagGaussian", "EvidenceStats", "LikelihoodSpec", "Posterior", "posterior",
           "posterior_full", "seeded_noise"]


def _as_f64(latents: torch.Tensor) -> torch.Tensor:
    """Detach and move latents to CPU float64 (the precision of all Transflow maths)."""
    return torch.as_tensor(latents).detach().to("cpu", torch.float64)


class EvidenceStats:
    """Streaming sufficient statistics of evidence latents: count ``m``, sum, sum of squares.

    Accumulated in float64 on the CPU, so feeding latents batch by batch gives
    the same statistics as one call with all of them, with memory ``O(D)``
    whatever the number of images.
    """

    def __init__(self, dim: int):
        self.dim = int(dim)
        self.count = 0
        self.sum = torch.zeros(self.dim, dtype=torch.float64)
        self.sum_sq = torch.zeros(self.dim, dtype=torch.float64)

    @classmethod
    def from_latents(cls, latents: torch.Tensor) -> EvidenceStats:
        """Statistics of one batch of latents ``[m, D]``."""
        return cls(latents.shape[-1]).update(latents)

    def update(self, latents: torch.Tensor) -> EvidenceStats:
        """Add a batch of latents ``[B, D]``; returns ``self`` for chaining."""
        z = _as_f64(latents)
        if z.ndim != 2 or z.shape[1] != self.dim:
            raise ValueError(f"expected latents of shape [B, {self.dim}], got {list(z.shape)}")
        self.count += z.shape[0]
        self.sum += z.sum(0)
        self.sum_sq += (z * z).sum(0)
        return self

    def merge(self, other: EvidenceStats) -> EvidenceStats:
        """Add another set's statistics (sums and counts add); returns ``self``."""
        if other.dim != self.dim:
            raise ValueError(f"cannot merge statistics of dimension {other.dim} into {self.dim}")
        self.count += other.count
        self.sum += other.sum
        self.sum_sq += other.sum_sq
        return self

    @property
    def mean(self) -> torch.Tensor:
        """``zeta_bar = (1/m) sum_i zeta_i``, shape ``[D]``."""
        if self.count == 0:
            raise ValueError("no evidence latents yet")
        return self.sum / self.count

    @property
    def variance(self) -> torch.Tensor:
        """Unbiased per-dimension variance ``(sum zeta^2 - m zeta_bar^2) / (m - 1)``, shape ``[D]``."""
        if self.count < 2:
            raise ValueError("the per-dimension variance needs at least two evidence latents")
        return ((self.sum_sq - self.sum * self.mean) / (self.count - 1)).clamp_min(0.0)


def seeded_noise(seeds: int | Sequence[int] | torch.Tensor, dim: int) -> torch.Tensor:
    """Standard normal noise ``[n, dim]`` (float32), row ``j`` drawn from its own seed.

    Row ``j`` is ``torch.randn(dim)`` from ``torch.Generator().manual_seed(seeds[j])``
    on the CPU, so a seed reproduces the same row however many rows are drawn,
    in whatever order, on whatever device the result is used.  An integer
    ``n`` means the seeds ``0..n-1``.
    """
    seed_list = range(seeds) if isinstance(seeds, int) else [int(s) for s in seeds]
    rows = [torch.randn(dim, generator=torch.Generator().manual_seed(s)) for s in seed_list]
    return torch.stack(rows) if rows else torch.zeros(0, dim)


@dataclass(frozen=True, eq=False)
class DiagGaussian:
    """``N(mean, diag(var))`` over flat latents; ``mean`` and ``var`` are float64 ``[D]``.

    (``eq=False``: tensors do not compare as plain values, so instances compare by identity.)
    """

    mean: torch.Tensor
    var: torch.Tensor

    @property
    def dim(self) -> int:
        return self.mean.shape[0]

    def log_prob(self, latents: torch.Tensor) -> torch.Tensor:
        """Full log density ``-1/2 sum_d [(z_d - mu_d)^2 / var_d + log(2 pi var_d)]`` of ``[B, D]`` -> ``[B]``."""
        z = _as_f64(latents)
        return -0.5 * (((z - self.mean) ** 2 / self.var).sum(-1) + torch.log(2 * math.pi * self.var).sum())

    def sample(self, seeds: int | Sequence[int] | torch.Tensor, temperature: float = 1.0) -> torch.Tensor:
        """Latents ``eps_j = mu + sqrt(var) * T * noise(seed_j)``, float32 ``[n, D]``.

        ``noise`` is :func:`seeded_noise`: each cell owns its seed, so a seed
        gives the same latent alone or among others.  ``T`` (temperature)
        scales the spread as in Glow's reduced-temperature sampling.
        """
        noise = seeded_noise(seeds, self.dim).to(torch.float64)
        return (self.mean + self.var.sqrt() * float(temperature) * noise).to(torch.float32)


@dataclass(frozen=True, eq=False)
class Posterior(DiagGaussian):
    """Posterior ``N(mean, diag(var))`` over ``eps`` given ``m`` evidence latents.

    ``spec`` is the rule that produced it; ``lam_abs`` is the absolute
    ``lambda`` it used, computed from the spec for these ``m`` latents
    (``spec.absolute_lambda(m)``: ``spec.lam * m`` for a relative spec,
    ``spec.lam`` otherwise), not a second way to give lambda; ``lik_var`` is
    the diagonal of the likelihood covariance ``Sigma`` used (``lam_abs``
    everywhere for the isotropic rule).
    """

    lik_var: torch.Tensor
    lam_abs: float
    m: int
    spec: LikelihoodSpec

    def predictive_var(self) -> torch.Tensor:
        """Posterior predictive variance ``Sigma_p + Sigma`` (eq. 10-11), ``[D]``."""
        return self.var + self.lik_var

    def predictive(self) -> DiagGaussian:
        """Posterior predictive ``N(mu_p, Sigma_p + Sigma)`` of a new latent (eq. 10-11)."""
        return DiagGaussian(self.mean, self.predictive_var())

    def log_predictive(self, latents: torch.Tensor) -> torch.Tensor:
        """``log N(z; mu_p, Sigma_p + Sigma)`` for latents ``[B, D]`` -> ``[B]`` (eq. 10-11)."""
        return self.predictive().log_prob(latents)


def posterior(stats: EvidenceStats, spec: LikelihoodSpec = LikelihoodSpec()) -> Posterior:
    """Posterior over ``eps`` from evidence statistics (eq. 7-8, or its diagonal extension).

    With ``Sigma = diag(s_d)`` the update is per dimension (eq. 3-4 with a
    diagonal ``Sigma``)::

        var_p_d = 1 / (1 + m / s_d),      mu_p_d = var_p_d * sum_i zeta_id / s_d

    which for ``s_d = lambda`` is exactly eq. 7-8.
    """
    m = stats.count
    if m == 0:
        raise ValueError("the posterior needs at least one evidence latent")
    lam_abs = spec.absolute_lambda(m)
    if spec.covariance == "diagonal" and m >= 2:
        spread = stats.variance.clamp_min(spec.floor)
    else:
        spread = torch.ones(stats.dim, dtype=torch.float64)
    lik_var = lam_abs * spread
    var = 1.0 / (1.0 + m / lik_var)
    return Posterior(mean=var * stats.sum / lik_var, var=var, lik_var=lik_var, lam_abs=lam_abs, m=m, spec=spec)


def posterior_full(latents: torch.Tensor, sigma: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """General-``Sigma`` posterior (eq. 3-4) with full matrices: ``(mu_p [D], Sigma_p [D, D])``.

    ``Sigma_p = (I + m Sigma^-1)^-1`` and ``mu_p = Sigma_p Sigma^-1 sum_i zeta_i``
    for evidence latents ``[m, D]`` and a likelihood covariance ``sigma [D, D]``.
    Cubic in ``D``: meant for checks and small latent spaces.  The posterior
    predictive covariance is ``Sigma_p + Sigma`` (eq. 10-11).
    """
    z = _as_f64(latents)
    sigma_inv = torch.linalg.inv(_as_f64(sigma))
    eye = torch.eye(z.shape[1], dtype=torch.float64)
    sigma_p = torch.linalg.inv(eye + z.shape[0] * sigma_inv)
    return sigma_p @ sigma_inv @ z.sum(0), sigma_p
