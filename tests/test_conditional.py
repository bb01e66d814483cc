"""The conditional flow [x, x0] <-> [z, c] (flowstudio.models.conditional): eq. 6 by hand, label inference on a
separable toy, the labelled latent (exact one-way round trip, the same style under another label), the card's
labels through a save/load, and the image variant built from a GLF."""

from __future__ import annotations

import math

import pytest
import torch

from flowstudio.checkpoint import default_card, load_checkpoint, save_checkpoint
from flowstudio.errors import UserInputError
from flowstudio.models import build_model
from flowstudio.models.conditional import encode_codes, fit_flow_on_codes, from_glf
from flowstudio.registry import get_family
from tests.conftest import randomized

CENTRES = torch.tensor([[-3.0, 0.0], [3.0, 0.0], [0.0, 3.0]])


def blobs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Three well-separated Gaussian blobs (sigma 0.3) and their labels."""
    gen = torch.Generator().manual_seed(seed)
    labels = torch.randint(3, (n,), generator=gen)
    return CENTRES[labels] + 0.3 * torch.randn(n, 2, generator=gen), labels


@pytest.fixture(scope="module")
def trained():
    """A small conditional flow trained on the blobs by its own loss, forward(batch, noise, labels)."""
    torch.manual_seed(0)
    model = build_model({"family": "conditional", "dim": 2, "classes": 3, "blocks": 6, "hidden": 64, "depth": 2})
    x, y = blobs(2000, 0)
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(1500):
        idx = torch.randint(len(x), (256,))
        loss = model(x[idx], None, y[idx]).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model.eval()


def tiny_points(**settings):
    entry = get_family("conditional")
    return randomized(build_model({"family": "conditional", "dim": 2, "classes": 3,
                                   **entry.point_tiny, **settings}))


def eq6_by_hand(model, x, labels, x0):
    """log N(z; 0, I) + log N(c; y, eps^2 I) + log|det| with the autograd Jacobian of the whole padded map."""
    core = model.core
    padded = torch.cat([x, x0], 1).double()
    flow = core.flow.double()
    out = []
    for row, label in zip(padded, labels):
        jac = torch.autograd.functional.jacobian(lambda v: flow(v[None])[0][0], row)
        value = flow(row[None])[0][0]
        z, c = value[:core.style], value[core.style:]
        y = torch.nn.functional.one_hot(label, core.classes).double()
        eps = core.label_sigma
        log_z = (-0.5 * (z ** 2 + math.log(2 * math.pi))).sum()
        log_c = (-0.5 * ((c - y) / eps) ** 2 - math.log(eps) - 0.5 * math.log(2 * math.pi)).sum()
        out.append(log_z + log_c + torch.linalg.slogdet(jac)[1])
    flow.float()
    return torch.stack(out)


def test_the_loss_is_eq6_computed_by_hand():
    model = tiny_points()
    x, labels = blobs(5, 1)
    assert model.core.pad == 3 and model.core.style == 2  # padding defaults to K: z has the data's 2 dims
    expected = eq6_by_hand(model, x, labels, torch.zeros(5, 3))
    assert torch.allclose(-model.heldout_score(x, labels).double(), expected, atol=1e-4)
    torch.manual_seed(3)  # the training loss pads with sigma0 * N(0, 1) from the global RNG
    loss = model(x, None, labels)
    torch.manual_seed(3)
    x0 = model.config.pad_sigma * torch.randn(5, 3)
    assert torch.allclose(-loss.double(), eq6_by_hand(model, x, labels, x0), atol=1e-4)
    assert not torch.allclose(loss, model.heldout_score(x, labels))  # the noise is really there


def test_label_inference_on_a_separable_toy_is_right(trained):
    x, y = blobs(600, 7)
    with torch.no_grad():
        log_probs = trained.class_log_probs(x)
    assert torch.allclose(log_probs.exp().sum(1), torch.ones(600), atol=1e-5)
    assert float((log_probs.argmax(1) == y).float().mean()) > 0.97


def test_decode_inverts_encode_for_points_given_the_label(trained):
    x, y = blobs(50, 8)
    with torch.no_grad():
        eps, _ = trained.encode(x, context=y)
        assert torch.allclose(trained.decode(eps, context=y), x, atol=1e-4)
    with pytest.raises(UserInputError, match="label-conditioned"):
        trained.encode(x)


def test_the_same_style_under_another_label_changes_the_class(trained):
    x, y = blobs(200, 9)
    other = (y + 1) % 3
    with torch.no_grad():
        eps, _ = trained.encode(x, context=y)
        moved = trained.decode(eps, context=other)
        agreed = (trained.class_log_probs(moved).argmax(1) == other).float().mean()
        near = ((moved - CENTRES[other]).norm(dim=1) < 1.5).float().mean()
    assert float(agreed) > 0.9 and float(near) > 0.9


def test_generated_points_by_label_land_on_their_blob(trained):
    with torch.no_grad():
        drawn = trained.sample(300, 1.0, seed=0, context=torch.arange(300) % 3)
    assert float(((drawn - CENTRES[torch.arange(300) % 3]).norm(dim=1) < 1.5).float().mean()) > 0.9


def test_the_card_labels_survive_a_save_and_load(trained, tmp_path):
    names = ["left", "right", "top"]
    path = save_checkpoint(trained, tmp_path / "c.safetensors", default_card(trained, name="c", labels=names))
    loaded = load_checkpoint(path)
    assert loaded.card.labels == tuple(names)
    x, _ = blobs(20, 10)
    with torch.no_grad():
        assert torch.equal(loaded.model.class_log_probs(x), trained.class_log_probs(x))


def test_an_image_model_from_a_glf_keeps_its_autoencoder_and_learns_the_labels():
    glf = randomized(build_model({"family": "glf", "image_shape": [1, 8, 8], **get_family("glf").tiny}))
    glf.eval()
    model = from_glf(glf, 2, flow_hidden=16)
    assert model.latent_dim == glf.config.latent + 2
    gen = torch.Generator().manual_seed(0)
    images = torch.zeros(64, 1, 8, 8, dtype=torch.uint8)
    labels = torch.arange(64) % 2
    images[labels == 1, :, :, :4] = 255  # class 1: left half white
    images = (images.int() + torch.randint(0, 40, images.shape, generator=gen)).clamp(0, 255).to(torch.uint8)
    with torch.no_grad():
        assert torch.equal(model.reconstruction_error(images), glf.reconstruction_error(images))
        mse, nll = model.loss_terms(images, labels, noisy=False)
        assert torch.allclose(model.heldout_score(images, labels), model.config.beta * mse + nll)
    codes = encode_codes(model, images)
    before = model.heldout_score(images, labels).mean()
    fit_flow_on_codes(model, codes, labels, steps=750, batch=64, lr=3e-3)
    assert model.heldout_score(images, labels).mean() < before
    with torch.no_grad():
        assert float((model.class_log_probs(images).argmax(1) == labels).float().mean()) > 0.9


def test_the_bundled_fashion_model_classifies_as_its_card_says():
    from flowstudio.data import load_fashion_mnist
    from flowstudio.resources import bundled_models

    path = next(p for p in bundled_models() if p.name == "fashion_conditional.safetensors")
    loaded = load_checkpoint(path)
    assert loaded.card.labels[0] == "T-shirt/top" and len(loaded.card.labels) == 10
    images, labels = (torch.from_numpy(a) for a in load_fashion_mnist("test", limit=1000))
    with torch.no_grad():
        error = float((loaded.model.class_log_probs(images).argmax(1) != labels).float().mean())
    assert error == pytest.approx(loaded.card.provenance["test_error"], abs=0.03)  # 1,000 of its 10,000
