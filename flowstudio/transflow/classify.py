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
"""

from __future__ import annotations

from collections.abc import Hashable

import torch

from flowstudio.transflow.posterior import EvidenceStats, LikelihoodSpec, Posterior, posterior


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
        scores = self.scores(latents)
        classes = self.classes
        return [classes[i] for i in scores.argmax(dim=1).tolist()], scores


def class_probabilities(scores: torch.Tensor) -> torch.Tensor:
    """Probabilities over the classes ``[B, K]`` (rows sum to 1) from log scores ``[B, K]`` (see module doc)."""
    scores = torch.as_tensor(scores, dtype=torch.float64)
    return torch.softmax(scores, dim=-1)  # subtracts each row's maximum before exp: no overflow, no 0/0
