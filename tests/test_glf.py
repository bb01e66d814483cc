"""Generative Latent Flow and its VAE baselines: the stop-gradient, the latent flow, the ELBO, the card,
and Transflow in GLF's latent (tiny real models, real checkpoints)."""

from __future__ import annotations

import math

import pytest
import torch

from flowstudio.card import ModelCard
from flowstudio.checkpoint import default_card, load_checkpoint, save_checkpoint
from flowstudio.errors import UserInputError
from flowstudio.models import build_model
from flowstudio.registry import FAMILIES
from flowstudio.scores import LATENT_NLL
from flowstudio.studio.engine.session import Engine
from flowstudio.studio.requests import SampleRequest
from flowstudio.studio.state import PosteriorParams
from flowstudio.transflow import LikelihoodSpec, check_evidence
from tests.conftest import randomized

TINY = {"image_shape": [1, 8, 8], **FAMILIES["glf"].tiny}


def tiny(family: str = "glf", **settings):
    return randomized(build_model({"family": family, **TINY, **settings}))


def images(n: int, seed: int = 0, shape=(1, 8, 8)) -> torch.Tensor:
    return torch.randint(0, 256, (n, *shape), generator=torch.Generator().manual_seed(seed), dtype=torch.uint8)


def encoder_grads(model) -> list[torch.Tensor]:
    return [torch.zeros_like(p) if p.grad is None else p.grad for p in model.encoder.parameters()]


@pytest.mark.parametrize("stop_gradient", [True, False])
def test_the_nll_gradient_stops_at_the_latent(stop_gradient):
    """Eq. 2's sg[E(x)]: the NLL term alone gives the encoder an exactly zero gradient (regularized GLF: not)."""
    model = tiny(stop_gradient=stop_gradient).train()
    _, nll = model.loss_terms(images(16))
    nll.sum().backward()
    grads = encoder_grads(model)
    assert any(p.grad is not None and p.grad.abs().sum() > 0 for p in model.flow.parameters())
    if stop_gradient:
        assert all(torch.equal(g, torch.zeros_like(g)) for g in grads)
    else:
        assert sum(g.abs().sum() for g in grads) > 0
    model.zero_grad()
    mse, _ = model.loss_terms(images(16))
    mse.sum().backward()  # the reconstruction trains the encoder either way
    assert sum(g.abs().sum() for g in encoder_grads(model)) > 0


def test_the_latent_flow_is_a_bijection_with_the_autograd_log_determinant():
    model = tiny().double()
    z = torch.randn(1, model.config.latent, dtype=torch.float64)
    eps, log_p = model.standardize(z)
    jac = torch.autograd.functional.jacobian(lambda v: model.flow(v.view(1, -1))[0].flatten(), z.flatten())
    expected = (-0.5 * (eps**2 + math.log(2 * math.pi))).sum() + torch.linalg.slogdet(jac)[1]
    assert log_p.item() == pytest.approx(expected.item(), rel=1e-9, abs=1e-9)
    assert torch.allclose(model.flow.inverse(eps), z, atol=1e-10)


def test_the_flow_weight_decay_has_adams_weight_decay_gradient():
    """(wd/2)||theta_f||^2 in the loss gives the gradient wd * theta_f that Adam's weight_decay adds."""
    model = tiny()
    model.flow_penalty().backward()
    wd = model.config.flow_weight_decay
    for p in model.flow.parameters():
        assert torch.allclose(p.grad, wd * p.detach())
    assert all(p.grad is None for p in model.encoder.parameters())


@pytest.mark.parametrize("flow_prior", [False, True])
def test_the_vae_elbo_is_finite_and_falls_in_a_few_steps(flow_prior):
    torch.manual_seed(0)
    model = tiny("vae", flow_prior=flow_prior).train()
    batch = images(32)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    losses = []
    for _ in range(15):
        loss = model(batch, torch.rand(batch.shape)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert all(math.isfinite(v) for v in losses) and losses[-1] < losses[0]
    mse, kl = model.eval().loss_terms(batch)
    if not flow_prior:
        assert bool((kl >= 0).all())  # the closed-form KL to N(0, I)
    assert torch.equal(model.heldout_score(batch), model.heldout_score(batch))  # seeded noise: deterministic


def test_glf_has_no_bits_per_dim_and_its_card_says_so(tmp_path):
    model = tiny()
    with pytest.raises(UserInputError, match="no exact image likelihood"):
        model.bits_per_dim(images(2))
    card = default_card(model, name="g", test_bits_per_dim=30.5, test_bits_per_dim_std=2.0, steps=1)
    assert card.likelihood == "none" and card.score_unit == "loss"
    assert card.test_bits_per_dim == 30.5 and card.test_bits_per_dim_std == 2.0  # the held-out loss, in its unit
    assert card.to_json()["likelihood"] == {"kind": "none", "unit": "loss", "test_score": 30.5, "test_score_std": 2.0}
    assert dict(card.rows())["Likelihood"] == ("none (this kind of model has no exact image likelihood); "
                                               "held-out loss 30.500")
    loaded = load_checkpoint(save_checkpoint(model, tmp_path / "g.safetensors", card))
    assert loaded.card == card


def test_a_card_that_kept_the_held_out_loss_in_its_provenance_reads_into_the_score():
    """Cards of GLF and VAE models written before the loss had its place in ``likelihood`` (the bundled GLFs)."""
    old = default_card(tiny(), name="g", steps=1).to_json()
    old["likelihood"] = {"kind": "none", "test_bits_per_dim": None, "test_bits_per_dim_std": None}
    old["provenance"] = {"test_score": 12.5, "test_score_std": 1.5, "score_unit": "loss", "recipe": "r.sh"}
    card = ModelCard.from_json(old)
    assert (card.test_bits_per_dim, card.test_bits_per_dim_std, card.score_unit) == (12.5, 1.5, "loss")
    assert card.provenance == {"recipe": "r.sh"}


def test_glf_evidence_is_judged_by_latent_nll_and_reconstruction_never_bits_per_dim():
    model = tiny()
    batch = images(6)
    checks = check_evidence(model, batch, batch_size=4)  # two chunks
    x = model.unit_pixels(batch)
    with torch.no_grad():
        _, log_p = model.standardize(model.encoder(x))
        mse = model.squared_error(model.decoder(model.encoder(x)), x)
    assert [c.unit for c in checks] == [LATENT_NLL] * 6
    assert [c.score for c in checks] == pytest.approx((-log_p).tolist(), rel=1e-5)
    assert [c.reconstruction for c in checks] == pytest.approx(mse.tolist(), rel=1e-5)
    assert not any("bits/dim" in c.reason for c in checks)


def test_transflow_in_the_glf_latent_is_the_closed_form_of_f_of_e_of_x(tmp_path):
    """The studio engine's posterior over eps equals eq. 7-8 computed by hand from zeta_i = f(E(x_i))."""
    from PIL import Image

    model = tiny()
    path = save_checkpoint(model, tmp_path / "g.safetensors", default_card(model, name="g"))
    batch = images(5, seed=3)
    files = []
    for i, image in enumerate(batch):
        files.append(tmp_path / f"e{i}.png")
        Image.fromarray(image[0].numpy()).save(files[-1])
    engine = Engine(load_checkpoint(path))
    encoded = [i for step in engine.encode(files) for i in step.images]
    r = 0.5
    request = SampleRequest(tuple((i.path, i.sha256) for i in encoded),
                            PosteriorParams(likelihood=LikelihoodSpec(lam=r, relative=True), count=3))
    result = engine.sample(request)
    with torch.no_grad():
        zeta = model.flow(model.encoder(model.unit_pixels(batch)))[0].double()
    ratio = 1.0 / r  # m / lambda with lambda = r * m
    assert torch.allclose(result.posterior.mean, ratio * zeta.mean(0) / (ratio + 1), atol=1e-6)
    assert torch.allclose(result.posterior.var, torch.full((model.latent_dim,), 1 / (ratio + 1), dtype=torch.float64))
    expected = model.postprocess(model.decode(result.posterior.sample(list(range(3)), 0.7))).numpy()
    assert (result.images == expected).all()  # samples are G(f^-1(eps))


def test_the_command_line_trains_a_glf_and_samples_interpolates_and_classifies_with_it(tmp_path, capsys):
    import numpy as np
    from PIL import Image

    from flowstudio.cli.main import main
    from flowstudio.data import load_digits

    out = tmp_path / "glf.safetensors"
    arch = [a for key, value in FAMILIES["glf"].tiny.items() for a in ("--arch", f"{key}={value}")]
    assert main(["train", "--data", "digits", "--family", "glf", *arch, "--steps", "6", "--batch-size", "32",
                 "--eval-every", "6", "--run-dir", str(tmp_path / "run"), "-o", str(out)]) == 0
    card = load_checkpoint(out).card
    assert card.family == "glf" and card.likelihood == "none" and card.steps == 6
    assert math.isfinite(card.test_bits_per_dim) and card.score_unit == "loss"
    digits, labels = load_digits()
    folders = {}
    for digit in (0, 1):
        folders[digit] = tmp_path / str(digit)
        folders[digit].mkdir()
        for i in np.flatnonzero(labels == digit)[:4]:
            Image.fromarray(digits[i, 0]).save(folders[digit] / f"{i}.png")
    model = ["-m", str(out)]
    assert main(["sample", str(folders[0]), *model, "-n", "4", "-o", str(tmp_path / "s.png")]) == 0
    assert Image.open(tmp_path / "s.png").size[0] > 8
    assert main(["interpolate", *model, "--from", str(folders[0]), "--to", str(folders[1]), "--steps", "3",
                 "-o", str(tmp_path / "i.png")]) == 0
    assert main(["classify", *model, "--class", f"zero={folders[0]}", "--class", f"one={folders[1]}",
                 str(folders[0]), "-o", str(tmp_path / "c.csv")]) == 0
    assert len((tmp_path / "c.csv").read_text().splitlines()) == 5
    capsys.readouterr()
    assert main(["score", *model, str(folders[0])]) == 2
    assert "GLF models cannot be used for scoring images by bits/dim" in capsys.readouterr().err
