"""Every flow family: exact invertibility, log-density = change of variables, sampling, pixels."""

from __future__ import annotations

import math

import pytest
import torch

from flowstudio.models import build_model
from tests.conftest import TINY_CONFIGS, randomized


def test_decode_inverts_encode(tiny_model):
    x = torch.rand(5, *tiny_model.image_shape) - 0.5
    with torch.no_grad():
        eps, _ = tiny_model.encode(x)
        assert eps.shape == (5, tiny_model.latent_dim)
        assert torch.allclose(tiny_model.decode(eps), x, atol=1e-5)
        assert torch.allclose(tiny_model.encode(tiny_model.decode(eps))[0], eps, atol=1e-4)


def test_log_prob_equals_change_of_variables_with_autograd_jacobian(tiny_model):
    """log p(x) = log N(eps; 0, I) + log |det d eps / d x| (eps is the standardized latent)."""
    model = tiny_model.double()
    x = (torch.rand(1, *model.image_shape, dtype=torch.float64) - 0.5)

    def f(v):
        return model.encode(v.view(1, *model.image_shape))[0].flatten()

    jac = torch.autograd.functional.jacobian(f, x.flatten())
    eps = f(x.flatten())
    expected = (-0.5 * (eps**2 + math.log(2 * math.pi))).sum() + torch.linalg.slogdet(jac)[1]
    assert model.log_prob(x).item() == pytest.approx(expected.item(), rel=1e-9, abs=1e-9)


def test_sample_is_reproducible_from_seed_and_temperature_scales_latent(tiny_model):
    with torch.no_grad():
        a = tiny_model.sample(3, temperature=0.7, seed=42)
        b = tiny_model.sample(3, temperature=0.7, seed=42)
        c = tiny_model.sample(3, temperature=0.7, seed=43)
        assert torch.equal(a, b) and not torch.equal(a, c)
        eps_hot = tiny_model.encode(tiny_model.sample(2, temperature=1.0, seed=1))[0]
        eps_cold = tiny_model.encode(tiny_model.sample(2, temperature=0.5, seed=1))[0]
    assert torch.allclose(eps_cold, 0.5 * eps_hot, atol=1e-4)


def test_pixels_round_trip_and_bits_per_dim_convention():
    model = randomized(build_model({**TINY_CONFIGS["glow-affine-gray"], "n_bits": 5}))
    images = torch.randint(0, 256, (4, 1, 8, 8), dtype=torch.uint8)
    quantized = torch.round((images.long() // 8) * 255 / 31)  # 5-bit data shown in 8 bits
    assert torch.equal(model.postprocess(model.preprocess(images)), quantized.to(torch.uint8))
    with torch.no_grad():
        x = model.preprocess(images)
        expected = -(model.log_prob(x) - 64 * 5 * math.log(2)) / (64 * math.log(2))
        assert torch.allclose(model.bits_per_dim(images), expected)


def test_build_model_is_deterministic_and_leaves_global_rng_alone():
    torch.manual_seed(123)
    before = torch.rand(1)
    torch.manual_seed(123)
    a = build_model(TINY_CONFIGS["realnvp-gray"])
    after = torch.rand(1)
    b = build_model(TINY_CONFIGS["realnvp-gray"])
    assert torch.equal(before, after)
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


def test_actnorm_initializes_from_data_once():
    model = build_model(TINY_CONFIGS["glow-affine-gray"])
    x = torch.rand(64, 1, 8, 8) * 0.3 + 0.1
    model.train()
    with torch.no_grad():
        model(x)
    first = model.levels[0].steps[0].actnorm
    assert bool(first.initialized)
    out, _ = first(_squeezed(x))
    assert torch.allclose(out.mean(dim=(0, 2, 3)), torch.zeros(4), atol=1e-4)
    assert torch.allclose(out.std(dim=(0, 2, 3), unbiased=False), torch.ones(4), atol=1e-3)
    saved = first.bias.detach().clone()
    with torch.no_grad():
        model(torch.rand(64, 1, 8, 8))
    assert torch.equal(first.bias, saved)


def _squeezed(x):
    from flowstudio.models.layers import squeeze2d

    return squeeze2d(x)


def test_invconv_inverse_cache_follows_parameter_updates():
    model = randomized(build_model(TINY_CONFIGS["glow-affine-gray"]))
    conv = model.levels[0].steps[0].invconv
    y = torch.randn(2, 4, 4, 4)
    with torch.no_grad():
        first = conv.inverse(y)
        assert "inverse" in conv._cache
        conv.log_s.add_(0.3)
        x = conv.inverse(y)
        assert not torch.allclose(x, first)
        assert torch.allclose(conv(x)[0], y, atol=1e-5)


def test_bad_configs_are_refused_with_reasons():
    with pytest.raises(ValueError, match="divisible"):
        build_model({"family": "glow", "image_shape": [1, 28, 28], "levels": 3})
    with pytest.raises(ValueError, match="unknown model family"):
        build_model({"family": "maf", "image_shape": [1, 8, 8]})
    with pytest.raises(ValueError, match="coupling"):
        build_model({"family": "glow", "image_shape": [1, 8, 8], "levels": 1, "coupling": "spline"})
