"""Few-shot Transflow classifier on synthetic latent clusters."""

from __future__ import annotations

import pytest
import torch

from flowstudio.transflow import EvidenceStats, LikelihoodSpec, TransflowClassifier, posterior

K, D, M, QUERIES = 5, 64, 5, 40


def clusters(seed: int = 0):
    """K Gaussian clusters in eps space with per-class, per-dimension spreads."""
    gen = torch.Generator().manual_seed(seed)
    centres = torch.randn(K, D, generator=gen)
    spreads = 0.3 + 0.6 * torch.rand(K, D, generator=gen)

    def draw(n):
        return centres[:, None] + spreads[:, None] * torch.randn(K, n, D, generator=gen)

    return draw(M), draw(QUERIES)


@pytest.mark.parametrize("spec", [
    LikelihoodSpec(lam=0.5, relative=True),
    LikelihoodSpec(lam=0.3, relative=False),
    LikelihoodSpec(lam=0.5, relative=True, covariance="diagonal"),
    LikelihoodSpec(lam=1.0, relative=False, covariance="diagonal"),
])
def test_recovers_synthetic_classes(spec):
    support, queries = clusters()
    names = [f"class{k}" for k in range(K)]
    clf = TransflowClassifier(spec)
    for k in range(K):
        clf.add(names[k], support[k, :2]).add(names[k], support[k, 2:])  # streamed in two batches
    assert clf.classes == names
    labels, scores = clf.predict(queries.reshape(-1, D))
    assert scores.shape == (K * QUERIES, K)
    truth = [names[k] for k in range(K) for _ in range(QUERIES)]
    accuracy = sum(p == t for p, t in zip(labels, truth)) / len(truth)
    assert accuracy > 0.9


def test_scores_are_class_log_predictives():
    support, queries = clusters(1)
    spec = LikelihoodSpec(lam=0.5, covariance="diagonal")
    clf = TransflowClassifier(spec)
    for k in range(K):
        clf.add(k, support[k])
    labels, scores = clf.predict(queries[0])
    for k in range(K):
        expected = posterior(EvidenceStats.from_latents(support[k]), spec).log_predictive(queries[0])
        torch.testing.assert_close(scores[:, k], expected)
    assert labels == scores.argmax(1).tolist()


def test_empty_classifier_raises():
    with pytest.raises(ValueError):
        TransflowClassifier().predict(torch.zeros(1, D))
