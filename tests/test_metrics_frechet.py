"""FD-FashionCNN and precision/recall: against closed forms and brute-force numpy/scipy on tiny features."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg
import torch

from flowstudio.errors import UserInputError
from flowstudio.metrics.frechet import frechet_distance, precision_recall


def gaussian(n: int, d: int, seed: int, scale: float = 1.0) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    mix = torch.randn(d, d, generator=gen) * scale
    return torch.randn(n, d, generator=gen, dtype=torch.float64) @ mix.double()


def brute_force_fd(a: np.ndarray, b: np.ndarray) -> float:
    mu_a, mu_b = a.mean(0), b.mean(0)
    s_a, s_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(s_a @ s_b).real
    return float(((mu_a - mu_b) ** 2).sum() + np.trace(s_a + s_b - 2 * root))


def brute_force_pr(real: np.ndarray, fake: np.ndarray, k: int) -> tuple[float, float]:
    def radii(x):
        d = np.linalg.norm(x[:, None] - x[None], axis=-1)
        return np.sort(d, axis=1)[:, k]  # column 0 is the point itself

    def covered(points, centres):
        d, r = np.linalg.norm(points[:, None] - centres[None], axis=-1), radii(centres)
        return float(np.mean([any(d[i, j] <= r[j] for j in range(len(centres))) for i in range(len(points))]))

    return covered(fake, real), covered(real, fake)


def test_fd_of_a_set_with_itself_is_zero():
    x = gaussian(400, 6, 0)
    assert frechet_distance(x, x) == pytest.approx(0.0, abs=1e-8)


def test_fd_of_a_shifted_set_is_the_squared_shift():
    x = gaussian(400, 6, 0)
    shift = torch.tensor([0.5, -1.0, 0.0, 2.0, 0.0, 0.25], dtype=torch.float64)
    assert frechet_distance(x, x + shift) == pytest.approx(float(shift.square().sum()), rel=1e-6)
    assert frechet_distance(x, 2 * x) > 0.1  # same mean, other covariance


def test_fd_matches_scipy_sqrtm_on_tiny_features():
    a, b = gaussian(300, 5, 1), gaussian(200, 5, 2, scale=1.5) + 0.3
    assert frechet_distance(a, b) == pytest.approx(brute_force_fd(a.numpy(), b.numpy()), rel=1e-6)


def test_precision_recall_match_brute_force_on_tiny_features():
    real, fake = gaussian(60, 3, 3), gaussian(45, 3, 4, scale=1.4) + 0.5
    precision, recall = precision_recall(real, fake, k=3)
    assert (precision, recall) == pytest.approx(brute_force_pr(real.numpy(), fake.numpy(), 3))
    assert 0 < precision < 1 and 0 < recall < 1


def test_precision_recall_of_identical_and_of_far_apart_sets():
    x = gaussian(80, 4, 5)
    assert precision_recall(x, x) == (1.0, 1.0)
    assert precision_recall(x, x + 1000.0) == (0.0, 0.0)


def test_bad_feature_sets_are_refused():
    with pytest.raises(UserInputError, match="one D"):
        frechet_distance(gaussian(10, 3, 0), gaussian(10, 4, 0))
    with pytest.raises(UserInputError, match="k = 3"):
        precision_recall(gaussian(3, 2, 0), gaussian(10, 2, 0))
