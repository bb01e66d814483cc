"""Few-shot classification with one Transflow posterior per class (the paper's few-shot experiment).

Each class ``k`` has its own evidence latents; its posterior (eq. 7-8, or the
diagonal extension) gives a posterior predictive ``N(mu_k, Sigma_p,k + Sigma_k)``
(eq. 10-11).  A query latent ``z`` is scored by ``log N(z; mu_k, Sigma_p,k + Sigma_k)``
and assigned to the class with the highest score.

Comparing in latent space is the same as comparing image likelihoods: the
predictive density of an image is the latent density times the flow's
Jacobian term ``|det d f^-1 / d x|``, which depends on the image only, not on
the class, so it shifts every class's score by the same amount and leaves the
argmax unchanged.

:func:`class_probabilities` turns the scores into probabilities over the
classes (equal class priors): ``softmax`` of the log scores, computed as
``exp(s_k - max_j s_j) / sum_j exp(s_j - max_j s_j)`` so that log scores of
``-5279.0`` and ``-5278.5`` give ``37.8 %`` and ``62.2 %`` instead of
``exp`` underflowing to ``0 / 0``.

Isotropic Transflow with the same ``m`` for every class is the nearest
*shrunk* class mean: every class then has the predictive variance
``lambda / (lambda + m) + lambda`` in every dimension, so the score is
``-||z - zeta_bar_k m / (m + lambda)||^2 / (2 v)`` plus a constant shared by
all classes (``tests/test_transflow_classify.py`` checks it).

:class:`FewShotClassifier` keeps every class's example latents and scores
queries with one of :data:`METHODS`: ``isotropic`` is the paper's rule (or the
per-class diagonal one) of a :class:`LikelihoodSpec`; ``full-covariance``,
``pooled-diagonal`` and ``fusion`` are beyond the paper
(:mod:`flowstudio.transflow.pooled`).
"""

from __future__ import annotations

from collections.abc import Hashable

import torch

from flowstudio.fewshot_methods import METHODS
from flowstudio.layout import LatentLayout
from flowstudio.transflow.pooled import FullCovariance, Fusion, PooledDiagonal, rule_scores
from flowstudio.transflow.posterior import EvidenceStats, LikelihoodSpec, Posterior, posterior

Rule = LikelihoodSpec | FullCovariance | PooledDiagonal | Fusion
"""A few-shot class rule: the paper's (a :class:`LikelihoodSpec`) or one beyond the paper."""


class TransflowClassifier:
    """Class-conditional posterior predictives built from streamed, labelled latents.

    Feed each class's latents with :meth:`add` (any number of calls, any batch
    sizes: only ``O(D)`` statistics are kept per class).  Classes are ordered
    by first appearance; that order indexes the score columns.
    """

    def __init__(self, spec: LikelihoodSpec = LikelihoodSpec()):
        self.spec = spec
        self.stats: dict[Hashable, EvidenceStats] = {}

    @property
    def classes(self) -> list[Hashable]:
        return list(self.stats)

    def add(self, label: Hashable, latents: torch.Tensor) -> TransflowClassifier:
        """Add evidence latents ``[B, D]`` of class ``label``; returns ``self``."""
        if label not in self.stats:
            self.stats[label] = EvidenceStats(latents.shape[-1])
        self.stats[label].update(latents)
        return self

    def add_stats(self, label: Hashable, stats: EvidenceStats) -> TransflowClassifier:
        """Add already accumulated evidence statistics of class ``label``; returns ``self``."""
        if label in self.stats:
            self.stats[label].merge(stats)
        else:
            self.stats[label] = stats
        return self

    def posteriors(self) -> dict[Hashable, Posterior]:
        """Each class's posterior under :attr:`spec`."""
        return {label: posterior(stats, self.spec) for label, stats in self.stats.items()}

    def scores(self, latents: torch.Tensor) -> torch.Tensor:
        """Log posterior predictive density of each latent under each class, float64 ``[B, K]``."""
        if not self.stats:
            raise ValueError("the classifier has no classes yet")
        return torch.stack([p.log_predictive(latents) for p in self.posteriors().values()], dim=1)

    def predict(self, latents: torch.Tensor) -> tuple[list[Hashable], torch.Tensor]:
        """``(labels, scores)``: the argmax class of each latent ``[B, D]`` and the ``[B, K]`` scores."""
        return best_classes(self.classes, self.scores(latents))


def best_classes(classes: list[Hashable], scores: torch.Tensor) -> tuple[list[Hashable], torch.Tensor]:
    """``(labels, scores)``: the class of each row's highest score, and the scores."""
    return [classes[i] for i in scores.argmax(dim=1).tolist()], scores


def class_probabilities(scores: torch.Tensor) -> torch.Tensor:
    """Probabilities over the classes ``[B, K]`` (rows sum to 1) from log scores ``[B, K]`` (see module doc)."""
    scores = torch.as_tensor(scores, dtype=torch.float64)
    return torch.softmax(scores, dim=-1)  # subtracts each row's maximum before exp: no overflow, no 0/0


def method_rule(method: str, spec: LikelihoodSpec = LikelihoodSpec()) -> Rule:
    """The rule of method ``method`` (a key of :data:`METHODS`); ``isotropic`` uses ``spec``, the others
    their measured defaults."""
    rules = {"isotropic": spec, "full-covariance": FullCovariance(), "pooled-diagonal": PooledDiagonal(),
             "fusion": Fusion()}
    if method not in rules:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    return rules[method]


class FewShotClassifier:
    """Classes of example latents (and pixels, for :class:`Fusion`) scored by one :data:`Rule`.

    Unlike :class:`TransflowClassifier`, which keeps ``O(D)`` statistics per
    class, this keeps the examples: the rules beyond the paper pool the
    spread of all classes.  Classes are ordered by first appearance.
    """

    def __init__(self, rule: Rule, layout: LatentLayout):
        self.rule, self.layout = rule, layout
        self._latents: dict[Hashable, list[torch.Tensor]] = {}
        self._pixels: dict[Hashable, list[torch.Tensor]] = {}

    @property
    def classes(self) -> list[Hashable]:
        return list(self._latents)

    @property
    def needs_pixels(self) -> bool:
        return getattr(self.rule, "needs_pixels", False)

    def add(self, label: Hashable, latents: torch.Tensor, pixels: torch.Tensor | None = None) -> FewShotClassifier:
        """Add examples of class ``label``: latents ``[B, D]`` and, for fusion, their pixels ``[B, ...]``."""
        if self.needs_pixels and pixels is None:
            raise ValueError("this rule needs the examples' pixels")
        self._latents.setdefault(label, []).append(torch.as_tensor(latents).detach().cpu())
        if pixels is not None:
            self._pixels.setdefault(label, []).append(torch.as_tensor(pixels).detach().cpu().flatten(1))
        return self

    def scores(self, latents: torch.Tensor, pixels: torch.Tensor | None = None) -> torch.Tensor:
        """Each query's score under each class, float64 ``[B, K]``: a log predictive density, or for fusion
        the summed discriminants (both are log probabilities up to a per-query constant)."""
        if len(self._latents) < 1:
            raise ValueError("the classifier has no classes yet")
        if isinstance(self.rule, LikelihoodSpec):
            clf = TransflowClassifier(self.rule)
            for label, parts in self._latents.items():
                clf.add(label, torch.cat(parts))
            return clf.scores(latents)
        groups = [torch.cat(parts) for parts in self._latents.values()]
        y = torch.cat([torch.full((len(g),), k, dtype=torch.long) for k, g in enumerate(groups)])
        examples = None
        if self.needs_pixels:
            if pixels is None:
                raise ValueError("this rule needs the queries' pixels")
            examples = torch.cat([torch.cat(self._pixels[label]) for label in self._latents])
            pixels = torch.as_tensor(pixels).flatten(1)
        return rule_scores(self.rule, self.layout, torch.cat(groups), y, torch.as_tensor(latents), examples, pixels)

    def predict(self, latents: torch.Tensor,
                pixels: torch.Tensor | None = None) -> tuple[list[Hashable], torch.Tensor]:
        """``(labels, scores)``: the argmax class of each query and the ``[B, K]`` scores."""
        return best_classes(self.classes, self.scores(latents, pixels))
