"""Transflow posterior maths against brute-force Bayesian updates, and interpolation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowstudio.transflow import (
    DiagGaussian,
    EvidenceStats,
    LikelihoodSpec,
    interpolate_posteriors,
    lerp_latents,
    posterior,
    posterior_full,
    posterior_strip,
    seeded_noise,
)


def gauss_logpdf(x: np.ndarray, mean: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Full-covariance Gaussian log density of rows ``x [..., D]``."""
    diff = x - mean
    prec = np.linalg.inv(cov)
    _, logdet = np.linalg.slogdet(2 * np.pi * cov)
    return -0.5 * (np.einsum("...i,ij,...j->...", diff, prec, diff) + logdet)


def grid_posterior(zetas: np.ndarray, sigma: np.ndarray, half_width: float = 7.0, n: int = 561):
    """Prior N(0, I) times prod_i N(zeta_i; eps, sigma) on a dense grid (D = 1 or 2), normalised."""
    d = zetas.shape[1]
    axis = np.linspace(-half_width, half_width, n)
    points = np.stack(np.meshgrid(*[axis] * d, indexing="ij"), -1).reshape(-1, d)
    log_w = gauss_logpdf(points, np.zeros(d), np.eye(d))
    for zeta in zetas:
        log_w = log_w + gauss_logpdf(points, zeta, sigma)  # symmetric in (zeta, eps)
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    mean = w @ points
    cov = (points - mean).T @ ((points - mean) * w[:, None])
    return points, w, mean, cov


def grid_predictive(points, w, sigma, x: np.ndarray) -> np.ndarray:
    """log of int N(x; eps, sigma) p(eps | evidence) d eps, by the same grid."""
    return np.array([np.log(w @ np.exp(gauss_logpdf(points, xi, sigma))) for xi in x])


def test_isotropic_1d_matches_grid_update_and_predictive():
    zetas = np.array([[0.3], [1.2], [0.8]])
    lam = 0.7
    points, w, mean, cov = grid_posterior(zetas, np.array([[lam]]), n=20001)
    post = posterior(EvidenceStats.from_latents(torch.tensor(zetas)), LikelihoodSpec(lam=lam, relative=False))
    assert post.mean.numpy() == pytest.approx(mean, abs=1e-8)
    assert post.var.numpy() == pytest.approx(np.diag(cov), abs=1e-8)
    # eq. 7-8 in closed form
    a = 3 / lam
    assert post.mean.item() == pytest.approx(a * zetas.mean() / (a + 1))
    assert post.var.item() == pytest.approx(1 / (a + 1))
    x = np.array([[-1.0], [0.5], [2.5]])
    expected = grid_predictive(points, w, np.array([[lam]]), x)
    assert post.log_predictive(torch.tensor(x)).numpy() == pytest.approx(expected, abs=1e-8)


def test_full_sigma_2d_matches_grid_update_and_predictive():
    rng = np.random.default_rng(0)
    zetas = rng.normal(0.5, 1.0, size=(4, 2))
    sigma = np.array([[0.8, 0.3], [0.3, 0.5]])
    points, w, mean, cov = grid_posterior(zetas, sigma)
    mu_p, sigma_p = posterior_full(torch.tensor(zetas), torch.tensor(sigma))
    assert mu_p.numpy() == pytest.approx(mean, abs=1e-6)
    assert sigma_p.numpy() == pytest.approx(cov, abs=1e-6)
    x = np.array([[0.0, 0.0], [1.5, -0.5]])
    expected = grid_predictive(points, w, sigma, x)
    assert gauss_logpdf(x, mu_p.numpy(), (sigma_p + torch.tensor(sigma)).numpy()) == pytest.approx(expected, abs=1e-6)


def test_diagonal_2d_matches_grid_update_and_predictive():
    rng = np.random.default_rng(1)
    zetas = rng.normal([0.5, -1.0], [0.3, 1.5], size=(5, 2))
    spec = LikelihoodSpec(lam=0.6, relative=False, covariance="diagonal")
    post = posterior(EvidenceStats.from_latents(torch.tensor(zetas)), spec)
    assert post.lik_var.numpy() == pytest.approx(0.6 * zetas.var(axis=0, ddof=1))
    sigma = np.diag(post.lik_var.numpy())
    points, w, mean, cov = grid_posterior(zetas, sigma)
    assert post.mean.numpy() == pytest.approx(mean, abs=1e-6)
    assert np.diag(post.var.numpy()) == pytest.approx(cov, abs=1e-6)
    x = np.array([[0.2, 0.1], [1.0, -3.0]])
    assert post.log_predictive(torch.tensor(x)).numpy() == pytest.approx(grid_predictive(points, w, sigma, x), abs=1e-6)


@pytest.mark.parametrize("covariance", ["isotropic", "diagonal"])
def test_closed_forms_equal_general_eq_3_4(covariance):
    z = torch.randn(4, 5, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    post = posterior(EvidenceStats.from_latents(z), LikelihoodSpec(lam=1.3, relative=False, covariance=covariance))
    mu_p, sigma_p = posterior_full(z, torch.diag(post.lik_var))
    torch.testing.assert_close(post.mean, mu_p)
    torch.testing.assert_close(torch.diag(post.var), sigma_p)
    if covariance == "isotropic":
        assert torch.all(post.lik_var == 1.3)


def test_predictive_log_density_is_the_full_gaussian():
    z = torch.randn(6, 3, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    post = posterior(EvidenceStats.from_latents(z), LikelihoodSpec(lam=0.4, relative=True))
    x = torch.randn(5, 3, generator=torch.Generator().manual_seed(4), dtype=torch.float64)
    cov = np.diag(post.predictive_var().numpy())
    assert post.log_predictive(x).numpy() == pytest.approx(gauss_logpdf(x.numpy(), post.mean.numpy(), cov))
    torch.testing.assert_close(post.predictive_var(), post.var + 0.4 * 6)


def test_relative_lambda_equals_absolute_r_times_m():
    z = torch.randn(8, 4, generator=torch.Generator().manual_seed(5), dtype=torch.float64)
    stats = EvidenceStats.from_latents(z)
    rel = posterior(stats, LikelihoodSpec(lam=0.5, relative=True))
    ab = posterior(stats, LikelihoodSpec(lam=4.0, relative=False))
    assert rel.lam_abs == ab.lam_abs == 4.0
    for a, b in [(rel.mean, ab.mean), (rel.var, ab.var), (rel.predictive_var(), ab.predictive_var())]:
        torch.testing.assert_close(a, b)
    # m / lambda = 1 / r: the posterior depends on the evidence only through zeta_bar
    torch.testing.assert_close(rel.mean, z.mean(0) / 1.5)
    torch.testing.assert_close(rel.var, torch.full((4,), 1 / 3, dtype=torch.float64))


def test_diagonal_reduces_to_isotropic_for_equal_variances_and_single_evidence():
    column = torch.tensor([0.0, 1.0, 3.0, -2.0], dtype=torch.float64)
    column = column / column.var().sqrt()  # unbiased variance 1 in every dimension
    z = torch.stack([column.roll(k) for k in range(6)], dim=1)
    for evidence in (z, z[:1]):
        stats = EvidenceStats.from_latents(evidence)
        iso = posterior(stats, LikelihoodSpec(lam=0.8, relative=False))
        diag = posterior(stats, LikelihoodSpec(lam=0.8, relative=False, covariance="diagonal"))
        torch.testing.assert_close(iso.mean, diag.mean)
        torch.testing.assert_close(iso.var, diag.var)
        torch.testing.assert_close(iso.lik_var, diag.lik_var)


def test_diagonal_floor_applies_where_evidence_agrees():
    z = torch.tensor([[1.0, 0.0], [1.0, 2.0], [1.0, 4.0]])
    post = posterior(EvidenceStats.from_latents(z), LikelihoodSpec(lam=2.0, relative=False, covariance="diagonal",
                                                                    floor=0.05))
    torch.testing.assert_close(post.lik_var, torch.tensor([0.1, 8.0], dtype=torch.float64))


def test_streaming_stats_equal_one_shot():
    gen = torch.Generator().manual_seed(6)
    batches = [torch.randn(int(n), 7, generator=gen) * 3 + 1 for n in torch.randint(0, 6, (40,), generator=gen)]
    streamed = EvidenceStats(7)
    for batch in batches:
        streamed.update(batch)
    one_shot = EvidenceStats.from_latents(torch.cat(batches))
    assert streamed.count == one_shot.count == sum(len(b) for b in batches)
    for a, b in [(streamed.sum, one_shot.sum), (streamed.sum_sq, one_shot.sum_sq),
                 (streamed.mean, one_shot.mean), (streamed.variance, one_shot.variance)]:
        torch.testing.assert_close(a, b)
    torch.testing.assert_close(one_shot.variance, torch.cat(batches).double().var(0))


def test_invalid_inputs_raise():
    with pytest.raises(ValueError):
        posterior(EvidenceStats(3))
    with pytest.raises(ValueError):
        EvidenceStats(3).update(torch.zeros(2, 4))
    with pytest.raises(ValueError):
        LikelihoodSpec(lam=0.0)
    with pytest.raises(ValueError):
        LikelihoodSpec(covariance="full")


def make_posterior(seed: int, dim: int = 6):
    z = torch.randn(5, dim, generator=torch.Generator().manual_seed(seed)) + seed
    return posterior(EvidenceStats.from_latents(z), LikelihoodSpec(lam=0.5, covariance="diagonal"))


def test_sampling_is_per_seed():
    post = make_posterior(0)
    many = post.sample([3, 7, 11], temperature=0.7)
    torch.testing.assert_close(many[1], post.sample([7], temperature=0.7)[0], rtol=0, atol=0)
    torch.testing.assert_close(many[1], post.sample(12, temperature=0.7)[7], rtol=0, atol=0)
    torch.testing.assert_close(seeded_noise([11, 3], 6), seeded_noise([3, 11], 6).flip(0), rtol=0, atol=0)
    noise = seeded_noise([3, 7, 11], 6).double()
    expected = post.mean + post.var.sqrt() * 0.7 * noise
    torch.testing.assert_close(many, expected.float())
    assert many.dtype == torch.float32 and many.shape == (3, 6)
    torch.testing.assert_close(post.sample(4, temperature=0.0), post.mean.float().expand(4, 6))


def test_sample_moments():
    post = make_posterior(1, dim=3)
    draws = post.sample(range(4000)).double()
    torch.testing.assert_close(draws.mean(0), post.mean, atol=0.05, rtol=0)
    torch.testing.assert_close(draws.var(0), post.var, atol=0, rtol=0.1)


def test_posterior_interpolation_endpoints_midpoint_and_strip():
    a, b = make_posterior(0), make_posterior(3)
    for t, ref in [(0.0, a), (1.0, b)]:
        g = interpolate_posteriors(a, b, t)
        torch.testing.assert_close(g.mean, ref.mean)
        torch.testing.assert_close(g.var, ref.var)
    mid = interpolate_posteriors(a, b, 0.5)
    torch.testing.assert_close(mid.mean, (a.mean + b.mean) / 2)
    torch.testing.assert_close(mid.var, (a.var + b.var) / 2)

    seeds = [5, 9]
    strip = posterior_strip(a, b, [0.0, 0.25, 1.0], seeds, temperature=0.8)
    assert strip.shape == (3, 2, 6)
    torch.testing.assert_close(strip[0], a.sample(seeds, 0.8))
    torch.testing.assert_close(strip[2], b.sample(seeds, 0.8))
    quarter = DiagGaussian(0.75 * a.mean + 0.25 * b.mean, 0.75 * a.var + 0.25 * b.var)
    torch.testing.assert_close(strip[1], quarter.sample(seeds, 0.8))


def test_lerp_latents():
    z_a, z_b = torch.zeros(4), torch.arange(4.0)
    path = lerp_latents(z_a, z_b, torch.linspace(0, 1, 5))
    assert path.shape == (5, 4)
    torch.testing.assert_close(path[0], z_a)
    torch.testing.assert_close(path[-1], z_b)
    torch.testing.assert_close(path[2], (z_a + z_b) / 2)


def test_merged_statistics_equal_statistics_of_the_union():
    gen = torch.Generator().manual_seed(3)
    a, b = torch.randn(4, 6, generator=gen), torch.randn(7, 6, generator=gen)
    merged = EvidenceStats.from_latents(a).merge(EvidenceStats.from_latents(b))
    union = EvidenceStats.from_latents(torch.cat([a, b]))
    assert merged.count == 11
    assert torch.allclose(merged.mean, union.mean) and torch.allclose(merged.variance, union.variance)
    with pytest.raises(ValueError, match="dimension"):
        merged.merge(EvidenceStats(5))
