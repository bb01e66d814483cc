"""Few-shot class rules that share one within-class covariance (beyond the paper), and pixels + latent fusion.

Gambardella, Baydin & Torr, "Transflow Learning" (2019, arXiv:1911.13270)
give each class ``k`` the posterior of eq. 3-4 over ``eps`` (prior
``N(0, I)``) with evidence latents ``zeta_i ~ N(eps, Sigma)``, and score a
query ``z`` by the posterior predictive ``log N(z; mu_k, Sigma_p,k + Sigma)``
(eq. 10-11).  The paper takes ``Sigma = lambda I`` (eq. 7-8,
:func:`flowstudio.transflow.posterior`).  The rules here keep eq. 3-4 and
10-11 but learn the *shape* of ``Sigma`` from all classes' examples at once:

* :class:`FullCovariance` (beyond the paper): ``Sigma = lambda C`` with ``C``
  the pooled within-class covariance of the chosen latent levels, Ledoit-Wolf
  shrunk, exactly as scikit-learn's ``LinearDiscriminantAnalysis(solver="lsqr",
  shrinkage="auto")`` computes it (its ``covariance_``: the class-frequency
  weighted mean of each class's Ledoit-Wolf shrunk, biased covariance).  With
  ``C = U diag(e) U^T`` eq. 3-4 and 10-11 become, per eigen-direction (1)::

      mu_k = U diag(m / (m + lambda e)) U^T zeta_bar_k
      S_k  = U diag(lambda e / (lambda e + m) + lambda e) U^T      (predictive covariance)

  ``C = I`` (the paper's rule with an absolute ``lambda``) while some class
  has a single example, since then there is no within-class spread to pool.
  As ``lambda -> 0``, ``mu_k -> zeta_bar_k`` and ``S_k -> lambda (1 + 1/m) C``:
  with equal ``m`` the ranking is shrinkage LDA's (``tests`` check it equals
  scikit-learn's predictions).  A small absolute ``lambda`` (0 - 0.3) suits;
  a ``lambda`` proportional to ``m`` grows ``S_k`` with ``m`` and loses the
  benefit of more examples.
* :class:`PooledDiagonal` (beyond the paper): ``C = diag(s)`` with the pooled
  within-class variance of each dimension drawn toward the prior's 1 by
  ``nu0_d`` pseudo-observations (2)::

      s_d = (nu0_d + sum_k sum_i (zeta_kid - zeta_bar_kd)^2) / (nu0_d + N - K)

  (``N`` examples in ``K`` classes; ``nu0_d`` is ``nu0`` on the finer levels
  and ``nu0_deepest`` on the deepest, whose few coarse dimensions are
  measured better and need less prior: 100 and 10 were measured best) and then (1) with ``U = I``:
  ``mu_kd = zeta_bar_kd m / (m + lambda s_d)``, predictive variance
  ``lambda s_d / (lambda s_d + m) + lambda s_d``.  Unlike the per-class
  diagonal rule of :class:`~flowstudio.likelihood.LikelihoodSpec`, every
  class is scored with the same ``s``, so a tight class does not win by its
  small log-determinant.
* :class:`Fusion` (beyond the paper, and not Bayesian): the sum of the
  shrinkage-LDA discriminants (3) of the pixels and of the latents::

      delta_k(x) = x^T C^-1 mu_k - mu_k^T C^-1 mu_k / 2 + log(n_k / N)

  with ``C`` and ``mu_k`` fitted in each space separately (pixels scaled to
  0..1).  The softmax of the sum is the product of the two LDA posteriors,
  as if the two spaces were independent given the class.

The flow's log-determinant: the likelihood of an image under class ``k`` is
``N(f^-1(x); mu_k, S_k) |det d f^-1 / d x|``, and the Jacobian term depends
on the image only, so adding it to every class's score changes no ranking
and no probability; scores stay in latent space.

Every rule picks its latent entries by the model's layout
(:class:`~flowstudio.layout.LatentLayout`, ``levels="deepest"`` is
``layout.deepest``), never by offsets.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any, ClassVar

import numpy as np
import torch

from flowstudio.layout import LatentLayout
from flowstudio.models.config import checked_setting, setting
from flowstudio.transflow.posterior import DiagGaussian, _as_f64

LEVELS = ("deepest", "all")
"""Which latent entries a rule reads: the layout's deepest part, or the whole latent."""


class _Rule:
    """Checks its fields against their ``setting`` bounds, like the models' typed configs."""

    name: ClassVar[str] = ""
    needs_pixels: ClassVar[bool] = False
    levels: str

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, checked_setting(self.name, f, getattr(self, f.name)))

    def latents(self, layout: LatentLayout, eps: torch.Tensor) -> torch.Tensor:
        """The entries of ``eps [..., D]`` this rule reads (float64)."""
        return _as_f64(eps if self.levels == "all" else layout.take(eps, layout.deepest.name))


@dataclass(frozen=True)
class FullCovariance(_Rule):
    """Transflow with ``Sigma = lambda C``, ``C`` the pooled Ledoit-Wolf within-class covariance (eq. 1 above)."""

    name: ClassVar[str] = "full-covariance"
    lam: float = setting(0.1, low=1e-12, high=1e6, help="absolute lambda of Sigma = lambda C")
    levels: str = setting("deepest", choices=LEVELS, help="the latent entries used: the deepest level, or all")


@dataclass(frozen=True)
class PooledDiagonal(_Rule):
    """Transflow with ``Sigma = lambda diag(s)``, ``s`` the pooled per-dimension variance (eq. 2 above)."""

    name: ClassVar[str] = "pooled-diagonal"
    lam: float = setting(3.0, low=1e-12, high=1e6, help="absolute lambda of Sigma = lambda diag(s)")
    nu0: float = setting(100.0, low=0.0, high=1e9, help="pseudo-observations of variance 1 in s, finer levels")
    nu0_deepest: float = setting(10.0, low=0.0, high=1e9, help="pseudo-observations of variance 1 in s, deepest level")
    levels: str = setting("all", choices=LEVELS, help="the latent entries used: the deepest level, or all")

    def pseudo_counts(self, layout: LatentLayout) -> torch.Tensor:
        """``nu0_d`` of eq. 2 for each entry this rule reads."""
        counts = torch.full((layout.dim,), self.nu0, dtype=torch.float64)
        counts[layout.deepest.slice] = self.nu0_deepest
        return self.latents(layout, counts)


@dataclass(frozen=True)
class Fusion(_Rule):
    """Sum of the pixels' and the latents' shrinkage-LDA discriminants (eq. 3 above; not Bayesian)."""

    name: ClassVar[str] = "fusion"
    needs_pixels: ClassVar[bool] = True
    levels: str = setting("deepest", choices=LEVELS, help="the latent entries used: the deepest level, or all")


def pooled_lw_covariance(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """scikit-learn's shrinkage-LDA ``covariance_`` of rows ``x [N, d]`` with class indices ``y [N]``.

    Computed by scikit-learn itself (``LinearDiscriminantAnalysis(solver="lsqr",
    shrinkage="auto")``) so that the ``lambda -> 0`` limit *is* its LDA; the
    identity while some class has a single row.
    """
    from sklearn.discriminant_analysis import LinearDiscriminantAnalysis

    if int(torch.bincount(y).min()) < 2:
        return torch.eye(x.shape[1], dtype=torch.float64)
    lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(x.numpy(), y.numpy())
    return torch.from_numpy(np.asarray(lda.covariance_, dtype=np.float64))


def pooled_variance(x: torch.Tensor, y: torch.Tensor, nu0: torch.Tensor) -> torch.Tensor:
    """``s_d`` of eq. 2: pooled within-class variance per dimension with ``nu0 [d]`` pseudo-observations of 1."""
    means = class_means(x, y)
    within = ((x - means[y]) ** 2).sum(0)
    dof = nu0 + x.shape[0] - means.shape[0]
    return torch.where(dof > 0, (nu0 + within) / dof.clamp_min(1e-300), 1.0)  # no spread, no prior: s = 1


def class_means(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``zeta_bar_k``: the mean row of each class ``0..K-1``, ``[K, d]``."""
    k = int(y.max()) + 1
    sums = torch.zeros(k, x.shape[1], dtype=x.dtype).index_add_(0, y, x)
    return sums / torch.bincount(y, minlength=k).to(x.dtype)[:, None]


def shared_covariance_scores(x: torch.Tensor, y: torch.Tensor, query: torch.Tensor, lam: float,
                             basis: torch.Tensor | None, spectrum: torch.Tensor) -> torch.Tensor:
    """Posterior predictive log densities ``[B, K]`` under ``Sigma = lambda U diag(e) U^T`` (eq. 1).

    ``basis`` is ``U`` (``None``: the identity, a diagonal ``C``), ``spectrum``
    is ``e``.  In the rotated coordinates ``U^T z`` the prior stays ``N(0, I)``
    and every class's predictive is diagonal, so each score is a
    :class:`DiagGaussian` log density (its log-determinant included: it
    differs between classes only through their example counts).
    """
    counts = torch.bincount(y).to(torch.float64)
    means = class_means(x, y)
    rotated_query = query if basis is None else query @ basis
    rotated_means = means if basis is None else means @ basis
    lam_e = lam * spectrum
    columns = []
    for mean, m in zip(rotated_means, counts):
        predictive = DiagGaussian(mean * m / (m + lam_e), lam_e / (lam_e + m) + lam_e)
        columns.append(predictive.log_prob(rotated_query))
    return torch.stack(columns, dim=1)


def lda_discriminants(x: torch.Tensor, y: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
    """Shrinkage-LDA discriminants ``delta_k(query)`` (eq. 3), ``[B, K]``, with scikit-learn's ``C``.

    Written out instead of ``decision_function``, which for two classes
    returns one column (``delta_1 - delta_0``) where every class needs its own.
    """
    means = class_means(x, y)
    weights = torch.linalg.lstsq(pooled_lw_covariance(x, y), means.T).solution  # C^-1 mu_k, [d, K]
    priors = torch.bincount(y).to(torch.float64) / y.numel()
    return query @ weights - 0.5 * (means * weights.T).sum(1) + torch.log(priors)


def rule_scores(rule: Any, layout: LatentLayout, latents: torch.Tensor, y: torch.Tensor,
                query: torch.Tensor, pixels: torch.Tensor | None = None,
                query_pixels: torch.Tensor | None = None) -> torch.Tensor:
    """Scores ``[B, K]`` of ``query`` latents under ``rule`` from labelled examples (``y`` in ``0..K-1``).

    ``pixels`` / ``query_pixels`` (``[N, P]`` / ``[B, P]``, 0..255) are read by
    :class:`Fusion` only.
    """
    x, q = rule.latents(layout, latents), rule.latents(layout, query)
    y = torch.as_tensor(y, dtype=torch.long)
    if isinstance(rule, FullCovariance):
        spectrum, basis = torch.linalg.eigh(pooled_lw_covariance(x, y))
        return shared_covariance_scores(x, y, q, rule.lam, basis, spectrum.clamp_min(1e-12))
    if isinstance(rule, PooledDiagonal):
        return shared_covariance_scores(x, y, q, rule.lam, None, pooled_variance(x, y, rule.pseudo_counts(layout)))
    if isinstance(rule, Fusion):
        if pixels is None or query_pixels is None:
            raise ValueError("fusion needs the pixels of the examples and of the queries")
        px, qx = (_as_f64(p).flatten(1) / 255.0 for p in (pixels, query_pixels))
        return lda_discriminants(px, y, qx) + lda_discriminants(x, y, q)
    raise TypeError(f"not a pooled rule: {rule!r}")
