"""Evidence far outside the model (the Transflow paper's Sec. 5.1 case), on the real bundled models and images:
decoding never yields non-finite pixels, the core says when a set is far out, and ``flowstudio sample`` warns."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowstudio.checkpoint import load_checkpoint
from flowstudio.cli.main import main
from flowstudio.data import load_images
from flowstudio.resources import example_sets, resources_dir
from flowstudio.transflow import (BpdReference, EvidenceStats, LikelihoodSpec, assess_evidence, check_latents, class_probabilities,
                                  decode_checked, encode_images, posterior, seeded_noise)

PORTRAITS = resources_dir() / "models" / "portraits_glow.safetensors"
RED_HAIR = resources_dir() / "evidence" / "portraits" / "red-hair"


@pytest.fixture(scope="module")
def portraits():
    return load_checkpoint(PORTRAITS)


def _bag():
    return sorted(example_sets()["bags"].iterdir())[0]


def _advice(loaded, paths, lam=0.5):
    model = loaded.model
    c, h, w = model.image_shape
    images = load_images(paths, c, (h, w))
    eps, log_prob = next(encode_images(model, images.images))
    checks = check_latents(eps, model.log_prob_to_bits_per_dim(log_prob), BpdReference.from_card(loaded.card))
    post = posterior(EvidenceStats.from_latents(eps), LikelihoodSpec(lam=lam))
    return assess_evidence([p.name for p in images.paths], checks, post), post


@pytest.mark.parametrize("scale", [3.0, 30.0, 1e4])
def test_decoding_extreme_latents_never_gives_non_finite_or_black_nan_pixels(portraits, scale):
    model = portraits.model
    eps = seeded_noise(range(8), model.latent_dim) * scale
    with torch.no_grad():
        raw = model.decode(eps)
    decoded = decode_checked(model, eps)
    assert decoded.images.dtype == torch.uint8 and decoded.images.shape == (8, *model.image_shape)
    bad = ~torch.isfinite(raw).flatten(1).all(1)
    assert torch.equal(decoded.nonfinite, bad)
    if bad.any():  # a NaN decode is middle grey, never the black a uint8 cast of NaN gives
        assert (decoded.images[bad].float().mean((1, 2, 3)) > 100).all()
    assert not (decoded.images[decoded.broken] == 0).flatten(1).all(1).any()


def test_postprocess_maps_nan_to_grey_and_infinities_to_the_edges(portraits):
    model = portraits.model
    x = torch.zeros(1, *model.image_shape)
    x[0, 0, 0, :3] = torch.tensor([float("nan"), float("inf"), float("-inf")])
    out = model.postprocess(x)[0, 0, 0, :3].tolist()
    assert out[0] not in (0, 255) and out[1] == 255 and out[2] == 0


def test_in_domain_samples_are_all_fine(portraits):
    model = portraits.model
    decoded = decode_checked(model, seeded_noise(range(16), model.latent_dim) * 0.7)
    assert not decoded.broken.any()


def test_a_bag_under_the_portraits_model_is_far_outside_and_named(portraits):
    advice, post = _advice(portraits, [_bag()])
    assert advice is not None and advice.far and advice.flagged == (_bag().name,)
    assert advice.mean_ratio > 1 and "raise λ" in advice.advice() and _bag().name in advice.advice()
    decoded = decode_checked(portraits.model, post.sample(range(16), 0.7))
    assert decoded.broken.any()  # what the grid marks: the case the issue saw as black cells
    higher, post = _advice(portraits, [_bag()], lam=20)  # raising λ is the advice: it pulls the mean in
    assert higher.mean_ratio < advice.mean_ratio


def test_red_hair_portraits_get_no_advice(portraits):
    advice, _ = _advice(portraits, sorted(RED_HAIR.iterdir()))
    assert advice is None


def test_flowstudio_sample_warns_on_stderr_for_far_out_evidence_only(tmp_path, capsys):
    assert main(["sample", str(_bag()), "-m", str(PORTRAITS), "-n", "16", "-o", str(tmp_path / "bag.png")]) == 0
    err = capsys.readouterr().err
    assert "warning: Your examples are far outside what this model knows" in err and _bag().name in err
    assert "raise --lam" in err and "samples could not be drawn (seeds" in err
    assert main(["sample", str(RED_HAIR), "-m", str(PORTRAITS), "-n", "4", "-o", str(tmp_path / "red.png")]) == 0
    assert "warning" not in capsys.readouterr().err


def test_class_probabilities_are_a_stable_softmax_that_sums_to_one():
    p = class_probabilities(torch.tensor([[-5279.0, -5278.5], [-1e6, 0.0]]))
    assert torch.isfinite(p).all() and torch.allclose(p.sum(1), torch.ones(2, dtype=torch.float64))
    assert p[0].tolist() == pytest.approx([1 / (1 + np.exp(0.5)), 1 / (1 + np.exp(-0.5))])
    assert p[1].tolist() == [0.0, 1.0]
