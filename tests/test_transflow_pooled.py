"""The classifier rules beyond the paper against brute-force computations on small synthetic latents."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from sklearn.covariance import ledoit_wolf
from sklearn.discriminant_analysis import LinearDiscriminantAnalysis
from sklearn.preprocessing import StandardScaler

from flowstudio.errors import ConfigError
from flowstudio.layout import LatentLayout
from flowstudio.transflow.classify import FewShotClassifier, LikelihoodSpec, method_rule
from flowstudio.transflow.pooled import FullCovariance, Fusion, PooledDiagonal
from flowstudio.transflow.posterior import posterior_full

K, M, QUERIES = 4, 6, 30
LAYOUT = LatentLayout.of([("level0", (2, 3)), ("top", (5,))])  # 6 + 5 = 11 entries, the deepest last
DEEP = slice(6, 11)


def episode(seed: int = 0, m: int = M, scale: float = 1.0):
    """Labelled examples ``[K*m, 11]`` with correlated spread, queries ``[K*QUERIES, 11]``, pixels of both."""
    gen = torch.Generator().manual_seed(seed)
    mix = torch.randn(11, 11, generator=gen) * 0.4 + torch.eye(11)
    centres = torch.randn(K, 11, generator=gen) * scale

    def draw(n):
        z = centres.repeat_interleave(n, 0) + torch.randn(K * n, 11, generator=gen) @ mix
        return z.double(), torch.arange(K).repeat_interleave(n)

    (x, y), (q, qy) = draw(m), draw(QUERIES)
    pixels = torch.randint(0, 256, (K * m, 1, 3, 3), generator=gen) // 2 + 60 * y[:, None, None, None]
    query_pixels = torch.randint(0, 256, (K * QUERIES, 1, 3, 3), generator=gen) // 2 + 60 * qy[:, None, None, None]
    return x, y, q, qy, pixels, query_pixels


def fitted(rule, x, y, pixels=None) -> FewShotClassifier:
    clf = FewShotClassifier(rule, LAYOUT)
    for k in range(K):
        clf.add(f"c{k}", x[y == k], None if pixels is None else pixels[y == k])
    return clf


def shrunk_class_cov(z: np.ndarray) -> np.ndarray:
    """One class's Ledoit-Wolf covariance as scikit-learn's LDA forms it (standardize, shrink, scale back)."""
    scaler = StandardScaler().fit(z)
    shrunk = ledoit_wolf(scaler.transform(z))[0]
    return scaler.scale_[:, None] * shrunk * scaler.scale_[None, :]


def brute_predictive(examples: torch.Tensor, sigma: torch.Tensor, query: torch.Tensor) -> torch.Tensor:
    """``log N(q; mu_p, Sigma_p + Sigma)`` with eq. 3-4 in full matrices and torch's multivariate normal."""
    mu, sigma_p = posterior_full(examples, sigma)
    return torch.distributions.MultivariateNormal(mu, sigma_p + sigma).log_prob(query)


def test_full_covariance_equals_eq_3_4_with_pooled_ledoit_wolf():
    x, y, q, *_ = episode()
    rule = FullCovariance(lam=0.2)
    scores = fitted(rule, x, y).scores(q)
    deep = x[:, DEEP].numpy()
    pooled = sum(shrunk_class_cov(deep[y.numpy() == k]) for k in range(K)) / K  # equal class frequencies
    sigma = 0.2 * torch.from_numpy(pooled)
    for k in range(K):
        torch.testing.assert_close(scores[:, k], brute_predictive(x[y == k][:, DEEP], sigma, q[:, DEEP]))


def test_full_covariance_with_one_example_per_class_is_isotropic():
    x, y, q, *_ = episode(1, m=1)
    scores = fitted(FullCovariance(lam=0.3), x, y).scores(q)
    for k in range(K):
        torch.testing.assert_close(scores[:, k],
                                   brute_predictive(x[y == k][:, DEEP], 0.3 * torch.eye(5, dtype=torch.float64),
                                                    q[:, DEEP]))


def test_full_covariance_at_small_lambda_predicts_as_shrinkage_lda():
    x, y, q, *_ = episode(2, scale=0.6)  # overlapping classes: many queries near a boundary
    deep = x[:, DEEP].numpy()
    lda = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(deep, y.numpy())
    expected = lda.predict(q[:, DEEP].numpy())
    labels, _ = fitted(FullCovariance(lam=1e-9), x, y).predict(q)
    assert [int(label[1:]) for label in labels] == expected.tolist()
    assert 0.3 < (expected == np.arange(K).repeat(QUERIES)).mean() < 1.0  # not a trivially separable case


def test_pooled_diagonal_equals_its_formula_computed_by_loops():
    x, y, q, *_ = episode(3)
    lam = 3.0
    scores = fitted(PooledDiagonal(lam=lam, nu0=5.0, nu0_deepest=2.0), x, y).scores(q)
    s = []
    for d in range(11):
        nu0 = 2.0 if d >= 6 else 5.0  # the layout's top part holds entries 6..10
        within = sum(float(((x[y == k, d] - x[y == k, d].mean()) ** 2).sum()) for k in range(K))
        s.append((nu0 + within) / (nu0 + K * M - K))
    sigma = lam * torch.diag(torch.tensor(s, dtype=torch.float64))
    for k in range(K):
        torch.testing.assert_close(scores[:, k], brute_predictive(x[y == k], sigma, q))


def test_pooled_diagonal_on_the_deepest_level_reads_only_it():
    x, y, q, *_ = episode(4)
    rule = PooledDiagonal(lam=3.0, nu0=1e6, nu0_deepest=10.0, levels="deepest")
    scores = fitted(rule, x, y).scores(q)
    shuffled = x.clone()
    shuffled[:, :6] = torch.randn(len(x), 6, dtype=torch.float64)  # the other level changes nothing
    torch.testing.assert_close(fitted(rule, shuffled, y).scores(q), scores)


def test_fusion_is_the_sum_of_sklearns_discriminants():
    x, y, q, _, pixels, query_pixels = episode(5)
    scores = fitted(Fusion(), x, y, pixels).scores(q, query_pixels)
    pix = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(pixels.flatten(1).numpy() / 255.0, y)
    lat = LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto").fit(x[:, DEEP].numpy(), y)
    expected = (pix.decision_function(query_pixels.flatten(1).numpy() / 255.0)
                + lat.decision_function(q[:, DEEP].numpy()))
    np.testing.assert_allclose(scores.numpy(), expected, rtol=1e-7, atol=1e-7)


def test_fusion_needs_pixels():
    x, y, q, *_ = episode(6)
    with pytest.raises(ValueError, match="pixels"):
        fitted(Fusion(), x, y)
    clf = fitted(Fusion(), x, y, torch.zeros(len(x), 1, 3, 3))
    with pytest.raises(ValueError, match="pixels"):
        clf.scores(q)


def test_isotropic_with_equal_m_is_the_nearest_shrunk_mean():
    x, y, q, *_ = episode(7, scale=0.6)
    lam = 0.5 * M
    labels, _ = fitted(method_rule("isotropic", LikelihoodSpec(0.5)), x, y).predict(q)
    shrunk = torch.stack([x[y == k].mean(0) for k in range(K)]) * M / (M + lam)
    assert [int(label[1:]) for label in labels] == torch.cdist(q, shrunk).argmin(1).tolist()


def test_rules_refuse_out_of_range_settings():
    with pytest.raises(ConfigError, match="lam"):
        FullCovariance(lam=-1.0)
    with pytest.raises(ConfigError, match="levels"):
        PooledDiagonal(levels="middle")
    with pytest.raises(ValueError, match="method"):
        method_rule("nearest")


def test_the_flows_log_determinant_changes_no_ranking(tiny_glow_images):
    """Image log-likelihoods per class, N(f^-1(x); mu_k, S_k) |det df^-1/dx|, rank as the latent scores do."""
    model, images = tiny_glow_images
    from flowstudio.transflow.encode import encode_images

    eps, log_px = next(encode_images(model, images, batch_size=len(images)))
    layout = model.layout
    y = torch.arange(2).repeat_interleave(len(images) // 2)
    clf = FewShotClassifier(FullCovariance(lam=0.1, levels="all"), layout)
    for k in range(2):
        clf.add(k, eps[y == k])
    latent_scores = clf.scores(eps)
    log_det = log_px.double() - torch.distributions.Normal(0.0, 1.0).log_prob(eps.double()).sum(1)
    image_scores = latent_scores + log_det[:, None]
    assert torch.equal(image_scores.argmax(1), latent_scores.argmax(1))
    torch.testing.assert_close(torch.softmax(image_scores, 1), torch.softmax(latent_scores, 1))
    assert log_det.std() > 0.1  # a real, image-dependent Jacobian term
    assert math.isfinite(float(latent_scores.sum()))


@pytest.fixture
def tiny_glow_images():
    from tests.conftest import TINY_CONFIGS, randomized

    from flowstudio.models import build_model

    model = randomized(build_model(TINY_CONFIGS["glow-affine-gray"]))
    gen = torch.Generator().manual_seed(0)
    return model, torch.randint(0, 256, (16, 1, 8, 8), generator=gen, dtype=torch.uint8)
