"""Is an evidence image far outside what the model knows?

Transflow conditions on whatever latents the evidence encodes to; an image the
model finds very unlikely (the paper's noisy/occluded evidence case) yields
an atypical latent and drags the posterior off the model's manifold.  Each
image gets its score, ``||eps||^2 / D`` and a flag, by one of two rules.  The
score is the bits/dim for a model with an exact image likelihood; a model
without one (GLF, arXiv:1905.10485, whose density is that of its latent)
gets its **latent NLL** ``-log p_f(E(x))`` in nats, and its **reconstruction
error** (mean squared, pixels in ``[0, 1]``) beside it (:func:`judge_encoded`);
for those only the typicality and within-set rules apply, never a bits/dim one.

* **card rule** (when a :class:`BpdReference` is known, e.g. from the model
  card): flag if ``bpd > mean + k * std``, with ``mean``/``std`` the bits/dim
  of the model's test images (their spread over images, not the error of the
  mean).  One-sided: lower bits/dim than usual is not a problem for Transflow.
* **typicality rule** (model-free fallback): under the prior ``eps ~ N(0, I)``,
  ``||eps||^2 ~ chi^2_D`` with mean ``D`` and variance ``2D``, so
  ``||eps||^2 / D`` has mean 1 and standard deviation ``sqrt(2 / D)``; flag if
  ``||eps||^2 / D - 1 > k * sqrt(2 / D)``.  One-sided: a large norm means a
  low density, i.e. an unlikely image.  Real in-distribution images usually
  encode *inside* the typical shell (higher density than samples), and
  flagging those would tell artists their best evidence is bad.

``k`` defaults to 4: were the statistic Gaussian, a false alarm rate of order
1e-4 per image.

Whatever the rule, a **negative bits/dim** is flagged: no image can truly
score below 0 (a bin's probability is at most 1), but bin-centre scoring
treats the density as constant over the bin, and at flat or constant images
(e.g. all black under the Fashion-MNIST Glow: -0.475) the learned density is
so sharply peaked that the product exceeds one bin's mass.  Such an image is
atypical for the model (its latent sits far inside the typical shell), not
its best example.

A model's test bits/dim can spread widely (Fashion-MNIST classes differ by
several bits/dim), so an image can be ordinary for the model yet far less
likely than the rest of its own evidence set, e.g. one noise-occluded photo
among clean ones.  :func:`flag_set_outliers` (beyond the paper) adds that
robust within-set rule: flag if ``(bpd - median) / (1.4826 MAD) > k_set``
over a set of at least ``SET_MIN_SIZE`` images.

What the artist is told about a whole set (:func:`assess_evidence`): the
set is **far outside the model** (the paper's Sec. 5.1 case) when the
posterior mean lies outside the prior's typical shell,
``||mu_p||^2 > FAR_MEAN_RATIO * D``.  In-domain sets of the bundled models
give 0.02-0.09; a set of bags under the portraits Glow gives 3.5, and there
decoding breaks (see :mod:`.encode`).  Short of that, images flagged by the
rules above are named, since they still pull the samples off the model's
manifold.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch

from flowstudio.card import ModelCard
from flowstudio.models.base import ImageFlow
from flowstudio.registry import FAMILIES
from flowstudio.scores import BITS_PER_DIM, LATENT_NLL
from flowstudio.transflow.encode import Images, encode_images, iter_batches, reconstruction_errors
from flowstudio.transflow.posterior import DiagGaussian

DEFAULT_K = 4.0
SET_K = 3.5
SET_MIN_SIZE = 5
FAR_MEAN_RATIO = 1.0
"""The set is far outside the model when ``||mu_p||^2 / D`` exceeds this (the prior's typical ``||eps||^2 / D``)."""
NAMED = 3
"""Flagged images named in a message; the rest are counted."""
MAD_FLOOR = 0.05  # bits/dim: a set of near-identical images must not make tiny differences "outliers"


@dataclass(frozen=True)
class BpdReference:
    """Typical bits/dim of the model: mean and standard deviation over its test images."""

    mean: float
    std: float

    @classmethod
    def from_card(cls, card: ModelCard) -> BpdReference | None:
        """From a model card's test bits/dim mean and std; ``None`` if either is missing or not exact."""
        mean, std = card.test_bits_per_dim, card.test_bits_per_dim_std
        if not card.has_exact_likelihood or mean is None or std is None:
            return None
        return cls(mean, std)


@dataclass(frozen=True)
class EvidenceCheck:
    """Verdict on one evidence image: its score (in ``unit``), ``||eps||^2 / D``, the flag and why.

    ``reconstruction`` is the mean squared reconstruction error of a model
    whose decode only reconstructs (``None`` for bijective flows).
    """

    score: float
    eps_norm_ratio: float
    unlikely: bool
    reason: str
    unit: str = BITS_PER_DIM
    reconstruction: float | None = None


def judge(bpd: float, eps_norm_ratio: float, dim: int, reference: BpdReference | None = None,
          k: float = DEFAULT_K, unit: str = BITS_PER_DIM) -> EvidenceCheck:
    """Apply the card rule if ``reference`` is given, else the typicality rule (see module doc).

    ``bpd`` is the score in ``unit``; the rules about bits/dim (below 0, the
    card's) apply only when the unit is bits/dim.
    """
    if unit != BITS_PER_DIM:
        reference = None
    elif bpd < 0:
        return EvidenceCheck(score=float(bpd), eps_norm_ratio=float(eps_norm_ratio), unlikely=True,
                             reason=f"bits/dim {bpd:.3f} is below 0, which no image can truly score: the model's "
                                    "density is sharply peaked at flat or constant images, so this one is atypical "
                                    "for it")
    if reference is not None:
        limit = reference.mean + k * reference.std
        unlikely = bpd > limit
        reason = (f"bits/dim {bpd:.3f} {'>' if unlikely else '<='} {limit:.3f} "
                  f"(model's test mean {reference.mean:.3f} + {k:g} x std {reference.std:.3f})")
    else:
        z = (eps_norm_ratio - 1.0) / math.sqrt(2.0 / dim)
        unlikely = z > k
        reason = f"||eps||^2/D = {eps_norm_ratio:.3f} is {z:+.1f} std from 1 under N(0, I) (limit {k:g})"
    return EvidenceCheck(score=float(bpd), eps_norm_ratio=float(eps_norm_ratio), unlikely=bool(unlikely),
                         reason=reason, unit=unit)


def check_latents(eps: torch.Tensor, scores: torch.Tensor, reference: BpdReference | None = None,
                  k: float = DEFAULT_K, unit: str = BITS_PER_DIM,
                  reconstruction: torch.Tensor | None = None) -> list[EvidenceCheck]:
    """Verdicts for latents ``[B, D]`` with their scores ``[B]`` in ``unit`` (and reconstruction errors)."""
    eps = torch.as_tensor(eps, dtype=torch.float64)
    ratios = (eps * eps).mean(dim=1)
    checks = [judge(b, r, eps.shape[1], reference, k, unit)
              for b, r in zip(torch.as_tensor(scores).tolist(), ratios.tolist())]
    if reconstruction is None:
        return checks
    return [replace(c, reconstruction=float(e)) for c, e in zip(checks, torch.as_tensor(reconstruction).tolist())]


def judge_encoded(model: ImageFlow, images: torch.Tensor, eps: torch.Tensor, log_prob: torch.Tensor,
                  reference: BpdReference | None = None, k: float = DEFAULT_K) -> list[EvidenceCheck]:
    """Verdicts on uint8 ``images`` that encoded to ``(eps, log_prob)``, in the score the model has.

    Bits/dim for a family with an exact density; otherwise the latent NLL
    ``-log_prob`` and the reconstruction error of each image (see module doc).
    """
    if FAMILIES[model.family].capabilities.exact_density:
        return check_latents(eps, model.log_prob_to_bits_per_dim(log_prob), reference, k)
    return check_latents(eps, -log_prob, None, k, LATENT_NLL, reconstruction_errors(model, images))


def check_evidence(model: ImageFlow, images: Images, reference: BpdReference | None = None,
                   k: float = DEFAULT_K, batch_size: int = 256) -> list[EvidenceCheck]:
    """Encode uint8 evidence images (streamed, see :mod:`.encode`) and judge each one."""
    checks: list[EvidenceCheck] = []
    for batch in iter_batches(images, batch_size):
        for eps, log_prob in encode_images(model, batch, batch_size):
            checks += judge_encoded(model, batch, eps, log_prob, reference, k)
    return checks


def flag_set_outliers(checks: list[EvidenceCheck], k: float = SET_K) -> list[EvidenceCheck]:
    """Also flag images whose score is a robust outlier within their set (see module doc)."""
    if len(checks) < SET_MIN_SIZE:
        return list(checks)
    bpd = torch.tensor([c.score for c in checks], dtype=torch.float64)
    # torch.median returns the lower middle value of an even count; quantile(0.5) is the true median.
    median = torch.quantile(bpd, 0.5).item()
    spread = max(1.4826 * torch.quantile((bpd - median).abs(), 0.5).item(), MAD_FLOOR)
    out = []
    for c in checks:
        z = (c.score - median) / spread
        if z > k:
            c = replace(c, unlikely=True, reason=f"{c.reason}; and {z:.1f} robust std above the set's median "
                                                   f"{median:.3f} {c.unit} (limit {k:g})")
        out.append(c)
    return out


@dataclass(frozen=True)
class EvidenceAdvice:
    """What to tell the artist about a set: far outside the model, and which images are unlikely.

    ``mean_ratio`` is ``||mu_p||^2 / D`` of the posterior the samples come
    from; ``flagged`` names the images the checks flag (in set order).
    """

    far: bool
    flagged: tuple[str, ...]
    mean_ratio: float

    @property
    def headline(self) -> str:
        if self.far:
            return "Your examples are far outside what this model knows"
        n = len(self.flagged)
        return f"{n} of your examples {'looks' if n == 1 else 'look'} unlikely to this model"

    def flagged_text(self) -> str:
        """``"a.png, b.png and 3 more"``."""
        shown = ", ".join(self.flagged[:NAMED])
        more = len(self.flagged) - NAMED
        return f"{shown} and {more} more" if more > 0 else shown

    def advice(self, raise_lambda: str = "raise λ") -> str:
        """What to try, in plain words; ``raise_lambda`` names the front end's control."""
        effect = ("The samples may come out broken, black or noisy. " if self.far
                  else "They pull the samples away from what the model draws well. ")
        tries = [f"{raise_lambda}, so the samples lean on the model more"]
        if self.flagged:
            tries.append(f"remove the flagged {'image' if len(self.flagged) == 1 else 'images'} "
                         f"({self.flagged_text()})")
        if self.far:
            tries.append("use a model trained on images like these")
        return effect + "Try: " + "; ".join(tries) + "."


def assess_evidence(names: Sequence[str], checks: Sequence[EvidenceCheck], dist: DiagGaussian) -> EvidenceAdvice | None:
    """Advice on a set whose images ``names`` got ``checks`` and whose posterior is ``dist``; ``None`` when all is well.

    The within-set rule (:func:`flag_set_outliers`) is applied to ``checks`` here.
    """
    verdicts = flag_set_outliers(list(checks))
    flagged = tuple(name for name, check in zip(names, verdicts) if check.unlikely)
    ratio = float((dist.mean * dist.mean).sum() / dist.dim)
    far = ratio > FAR_MEAN_RATIO
    return EvidenceAdvice(far, flagged, ratio) if far or flagged else None
