"""Family-specific behaviour: pixels and bits/dim, deterministic building, ActNorm, the 1x1-conv cache,
configs; the contract every family keeps is tests/test_family_contract.py."""

from __future__ import annotations

import math

import pytest
import torch

from flowstudio.errors import ConfigError
from flowstudio.models import build_model
from tests.conftest import TINY_CONFIGS, randomized


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
        model.log_prob(x)
    first = model.levels[0].steps[0].actnorm
    assert bool(first.initialized)
    out, _ = first(_squeezed(x))
    assert torch.allclose(out.mean(dim=(0, 2, 3)), torch.zeros(4), atol=1e-4)
    assert torch.allclose(out.std(dim=(0, 2, 3), unbiased=False), torch.ones(4), atol=1e-3)
    saved = first.bias.detach().clone()
    with torch.no_grad():
        model.log_prob(torch.rand(64, 1, 8, 8))
    assert torch.equal(first.bias, saved)


def _squeezed(x):
    from flowstudio.flows import squeeze2d

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


@pytest.mark.parametrize("config, message", [
    ({"family": "glow", "image_shape": [1, 28, 28], "levels": 3}, "divisible"),
    ({"family": "nosuch", "image_shape": [1, 8, 8]}, "unknown model family 'nosuch'; known: glow, realnvp, nice"),
    ({"family": "glow", "image_shape": [1, 8, 8], "levels": 1, "coupling": "spline"}, "coupling must be one of"),
    ({"family": "glow", "image_shape": [1, 8, 8], "hidden": -1}, "hidden must be between 1 and 2048"),
    ({"family": "glow", "image_shape": [1, 8, 8], "hidden": float("inf")}, "hidden must be a whole number"),
    ({"family": "glow", "image_shape": [1, 8, 8], "steps": 1e9}, "steps must be between"),
    ({"family": "glow", "image_shape": [1, 8, 8], "levels": 2.5}, "levels must be a whole number"),
    ({"family": "glow", "image_shape": [1, 8, 8], "bogus": 1}, "unknown glow setting bogus; known: n_bits"),
    ({"family": "realnvp", "image_shape": [1, 8, 8], "n_bits": 0}, "n_bits must be between 1 and 8"),
    ({"family": "nice", "image_shape": [1, 1e6, 1e6]}, "image_shape .* is outside"),
    ({"family": "nice", "image_shape": [1, 8]}, r"image_shape must be \[C, H, W\]"),
    ([], "must be a JSON object, not list"),
])
def test_bad_configs_are_refused_with_reasons_before_anything_is_built(config, message):
    with pytest.raises(ConfigError, match=message):
        build_model(config)
