"""Few-shot episodes as the Transflow paper measures them: the same draws for every method, kNN's k rule.

Gambardella, Baydin & Torr (2019, arXiv:1911.13270, Sec. 5 and Table 1)
classify 10 classes from ``m = 1, 5, 10, 20, 30`` examples each and compare
Transflow with k-nearest neighbours in pixel space and in latent space,
``k = 3`` where ``m >= 3``, else ``k = 1`` (:func:`knn_k`).  An episode
(:func:`draw_episodes`) draws ``m`` support and ``queries`` query images per
class without overlap; drawing the episodes once and giving every method the
same ones removes the draw's noise from the comparison.  Accuracy is reported
as mean ± standard deviation over episodes (:func:`mean_std`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class Episode:
    """Indices into a labelled set: ``m`` support and some query examples of every class."""

    m: int
    support: torch.Tensor
    query: torch.Tensor


Method = Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]
"""``method(support indices, support labels, query indices) -> predicted labels`` of the queries."""


def draw_episodes(labels: np.ndarray, m: int, episodes: int, queries: int, seed: int) -> list[Episode]:
    """``episodes`` draws of ``m`` support and ``queries`` query indices per class (all classes of ``labels``)."""
    rng = np.random.default_rng([seed, m])
    drawn = []
    for _ in range(episodes):
        support, query = [], []
        for c in np.unique(labels):
            idx = rng.permutation(np.flatnonzero(labels == c))
            if len(idx) < m + queries:
                raise ValueError(f"class {c} has {len(idx)} examples; an episode needs {m + queries}")
            support += idx[:m].tolist()
            query += idx[m:m + queries].tolist()
        drawn.append(Episode(m, torch.tensor(support), torch.tensor(query)))
    return drawn


def knn_k(m: int) -> int:
    """The paper's ``k``: 3 neighbours where every class has at least 3 examples, else 1."""
    return 3 if m >= 3 else 1


def knn_predict(support: torch.Tensor, support_labels: torch.Tensor, query: torch.Tensor, k: int) -> torch.Tensor:
    """Majority label of the ``k`` Euclidean nearest support rows (scikit-learn's ``KNeighborsClassifier``)."""
    from sklearn.neighbors import KNeighborsClassifier

    knn = KNeighborsClassifier(n_neighbors=k).fit(support.double().numpy(), support_labels.numpy())
    return torch.from_numpy(knn.predict(query.double().numpy()))


def accuracies(method: Method, labels: torch.Tensor, episodes: Sequence[Episode]) -> list[float]:
    """The accuracy of ``method`` on each episode."""
    return [float((method(e.support, labels[e.support], e.query) == labels[e.query]).double().mean())
            for e in episodes]


def mean_std(values: Sequence[float]) -> str:
    """``"0.712 ± 0.015"``: the mean and (population) standard deviation."""
    return f"{np.mean(values):.3f} ± {np.std(values):.3f}"
