"""Few-shot episodes in the paper's protocol: disjoint draws, the same for every method, kNN's k rule."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowstudio.transflow.episodes import accuracies, draw_episodes, knn_k, knn_predict, mean_std

LABELS = np.repeat(np.arange(4), 20)


def test_episodes_are_disjoint_balanced_and_reproducible():
    episodes = draw_episodes(LABELS, m=3, episodes=5, queries=7, seed=1)
    assert len(episodes) == 5
    for e in episodes:
        assert np.bincount(LABELS[e.support.numpy()]).tolist() == [3] * 4
        assert np.bincount(LABELS[e.query.numpy()]).tolist() == [7] * 4
        assert not set(e.support.tolist()) & set(e.query.tolist())
    again = draw_episodes(LABELS, m=3, episodes=5, queries=7, seed=1)
    assert all(torch.equal(a.support, b.support) and torch.equal(a.query, b.query) for a, b in zip(episodes, again))
    assert not torch.equal(episodes[0].support, episodes[1].support)
    with pytest.raises(ValueError, match="needs 21"):
        draw_episodes(LABELS, m=1, episodes=1, queries=20, seed=0)


def test_knn_follows_the_papers_k_rule_and_votes():
    assert [knn_k(m) for m in (1, 2, 3, 5, 30)] == [1, 1, 3, 3, 3]
    support = torch.tensor([[0.0], [1.0], [1.2], [5.0]])
    labels = torch.tensor([0, 1, 1, 2])
    assert knn_predict(support, labels, torch.tensor([[0.1], [4.0]]), k=1).tolist() == [0, 2]
    assert knn_predict(support, labels, torch.tensor([[0.1], [4.0]]), k=3).tolist() == [1, 1]  # two of three


def test_accuracies_and_their_summary():
    episodes = draw_episodes(LABELS, m=2, episodes=3, queries=5, seed=0)
    labels = torch.from_numpy(LABELS)
    assert accuracies(lambda s, y, q: labels[q], labels, episodes) == [1.0, 1.0, 1.0]
    assert accuracies(lambda s, y, q: torch.zeros(len(q), dtype=torch.long), labels, episodes) == [0.25] * 3
    assert mean_std([0.5, 0.7]) == "0.600 ± 0.100"
