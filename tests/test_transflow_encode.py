"""Streaming encode/decode with a tiny real model, and the evidence diagnostics."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from flowstudio.card import ModelCard
from flowstudio.layout import LatentLayout
from flowstudio.models import build_model
from flowstudio.transflow import (
    BpdReference,
    EvidenceStats,
    bits_per_dim,
    check_evidence,
    check_latents,
    decode_latents,
    encode_images,
    evidence_stats,
    flag_set_outliers,
)

CONFIG = {"family": "glow", "image_shape": [1, 8, 8], "n_bits": 5, "levels": 2, "steps": 2, "hidden": 16,
          "coupling": "affine"}


@pytest.fixture(scope="module")
def model():
    return build_model(CONFIG)


@pytest.fixture(scope="module")
def images():
    return torch.randint(0, 256, (120, 1, 8, 8), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))


def batch_generator(images, size, pulled):
    """Yield numpy batches lazily, recording how many were taken."""
    for start in range(0, len(images), size):
        pulled.append(start)
        yield images[start:start + size].numpy()


def test_streaming_encode_equals_one_batch_and_is_lazy(model, images):
    with torch.no_grad():
        eps_all, lp_all = model.encode(model.preprocess(images))
    pulled: list[int] = []
    stream = encode_images(model, batch_generator(images, 3, pulled), batch_size=2)
    first_eps, _ = next(stream)
    assert len(pulled) == 1 and first_eps.shape == (2, 64)  # one source batch of 3 read so far
    parts = [(first_eps, _)] + list(stream)
    assert len(pulled) == 40 and len(parts) == 80
    torch.testing.assert_close(torch.cat([e for e, _ in parts]), eps_all, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(torch.cat([lp for _, lp in parts]), lp_all, atol=1e-4, rtol=1e-5)


def test_stats_bpd_and_decode(model, images):
    with torch.no_grad():
        eps_all, _ = model.encode(model.preprocess(images))
        bpd_all = model.bits_per_dim(images)
    stats = evidence_stats(model, batch_generator(images, 7, []), batch_size=5)
    one_shot = EvidenceStats.from_latents(eps_all)
    assert stats.count == 120
    torch.testing.assert_close(stats.mean, one_shot.mean, atol=1e-6, rtol=1e-6)
    torch.testing.assert_close(stats.variance, one_shot.variance, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(bits_per_dim(model, images.numpy(), batch_size=16), bpd_all, atol=1e-5, rtol=1e-6)
    with torch.no_grad():
        expected = model.postprocess(model.decode(eps_all[:10]))
    torch.testing.assert_close(decode_latents(model, eps_all[:10], batch_size=3), expected, atol=0, rtol=0)


def test_encoding_leaves_model_mode_and_actnorm_alone():
    fresh = build_model(CONFIG).train()
    before = {k: v.clone() for k, v in fresh.state_dict().items()}
    list(encode_images(fresh, torch.zeros(4, 1, 8, 8, dtype=torch.uint8)))
    assert fresh.training
    after = fresh.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before)


def test_wrong_image_shape_raises(model):
    with pytest.raises(ValueError):
        next(encode_images(model, torch.zeros(2, 3, 8, 8, dtype=torch.uint8)))


def test_typicality_rule_on_synthetic_latents():
    gen = torch.Generator().manual_seed(1)
    eps = torch.randn(20, 1024, generator=gen)
    bpd = torch.zeros(20)
    assert not any(c.unlikely for c in check_latents(eps, bpd))
    far = check_latents(eps * 2.0, bpd)  # far outside the typical shell: low density
    assert all(c.unlikely for c in far)
    assert far[0].eps_norm_ratio == pytest.approx(4.0, rel=0.1)
    # close to the mode is high density: typical of real in-distribution images, never flagged
    assert not any(c.unlikely for c in check_latents(eps * 0.3, bpd))
    # threshold k * sqrt(2 / D): with D = 1024 and k = 4 the limit is 0.177
    edge = torch.ones(2, 1024) * torch.tensor([[1.17**0.5], [1.19**0.5]])
    assert [c.unlikely for c in check_latents(edge, torch.zeros(2))] == [False, True]


def test_card_rule_on_synthetic_bpd():
    card = ModelCard(family="glow", image_shape=(1, 4, 4), n_bits=8, latent=LatentLayout.of([("z", (16,))]),
                     test_bits_per_dim=3.0, test_bits_per_dim_std=0.25)
    ref = BpdReference.from_card(card)
    assert ref == BpdReference(3.0, 0.25)
    assert BpdReference.from_card(dataclasses.replace(card, likelihood="none")) is None  # no exact likelihood
    eps = torch.zeros(3, 16)  # atypical latents: ignored when the card's range is known
    checks = check_latents(eps, torch.tensor([2.0, 3.9, 4.1]), reference=ref)
    assert [c.unlikely for c in checks] == [False, False, True]
    assert "4.100 > 4.000" in checks[2].reason
    assert [c.unlikely for c in check_latents(eps, torch.tensor([3.5]), reference=ref, k=1.0)] == [True]
    assert BpdReference.from_card(dataclasses.replace(card, test_bits_per_dim_std=None)) is None


def test_check_evidence_smoke(model, images):
    noise = images[:4]
    checks = check_evidence(model, noise)
    expected = bits_per_dim(model, noise)
    assert len(checks) == 4
    assert [c.score for c in checks] == pytest.approx(expected.tolist())
    assert all(np.isfinite(c.eps_norm_ratio) and c.reason for c in checks)
    typical = BpdReference(mean=float(expected.mean()), std=1.0)
    assert not any(c.unlikely for c in check_evidence(model, noise, reference=typical))
    assert all(c.unlikely for c in check_evidence(model, noise, reference=BpdReference(mean=1.0, std=0.1)))


def test_set_rule_flags_an_image_much_less_likely_than_the_rest_of_its_set():
    bpd = torch.tensor([2.9, 3.0, 3.1, 3.0, 2.95, 3.05, 4.5])
    checks = flag_set_outliers(check_latents(torch.zeros(7, 4), bpd, BpdReference(mean=3.5, std=0.9)))
    assert [c.unlikely for c in checks] == [False] * 6 + [True]
    assert "above the set's median" in checks[-1].reason
    small = check_latents(torch.zeros(4, 4), bpd[-4:], BpdReference(mean=3.5, std=0.9))
    assert flag_set_outliers(small) == small  # too few images to tell an outlier from the set
    same = check_latents(torch.zeros(6, 4), torch.tensor([3.0] * 5 + [3.1]), BpdReference(mean=3.5, std=0.9))
    assert not any(c.unlikely for c in flag_set_outliers(same))  # MAD floor: tiny differences are not outliers


def test_a_negative_bits_per_dim_is_flagged_whatever_the_rule():
    """A constant black image scores -0.475 bits/dim under the bundled Fashion Glow: atypical, not ideal."""
    from flowstudio.checkpoint import load_checkpoint
    from flowstudio.resources import default_model_path

    loaded = load_checkpoint(default_model_path())
    black = np.zeros((1, 1, 28, 28), np.uint8)
    for reference in (BpdReference.from_card(loaded.card), None):
        (check,) = check_evidence(loaded.model, black, reference)
        assert check.score < 0 and check.unlikely and "below 0" in check.reason
