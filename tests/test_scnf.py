"""Semi-conditional flows (arXiv:1905.00505): the joint, the marginal and the posterior are what the maths says,
the unconditional flow runs once per batch whatever the number of classes, EM-SGD's E-step is the exact
posterior, and a real tiny model learns to label a separable toy from four labels."""

from __future__ import annotations

import math
import re

import pytest
import torch

from flowstudio.checkpoint import default_card, load_checkpoint, save_checkpoint
from flowstudio.cli.main import main
from flowstudio.errors import ConfigError, UserInputError
from flowstudio.models import build_model
from flowstudio.registry import get_family
from tests.conftest import randomized

K = 3
IMAGES = {"family": "scnf", "image_shape": [1, 8, 8], "classes": K, **get_family("scnf").tiny}
POINTS = {"family": "scnf", "dim": 2, "classes": K, **get_family("scnf").point_tiny}


@pytest.fixture(params=["images", "points", "points-gmm"])
def model(request):
    config = {"images": IMAGES, "points": POINTS, "points-gmm": {**POINTS, "conditional_part": "gmm"}}[request.param]
    return randomized(build_model(config), scale=0.2)


def data_batch(model, n: int, seed: int = 0) -> torch.Tensor:
    return model.example_batch(n, torch.Generator().manual_seed(seed))


def model_space(model, batch: torch.Tensor) -> torch.Tensor:
    return model.preprocess(batch) if batch.dtype == torch.uint8 else batch


def joint_by_classes(model, batch: torch.Tensor) -> torch.Tensor:
    """``log p(x, y) = log p(x | y) + log(1 / K)`` by encoding the batch once per class (the slow way)."""
    x = model_space(model, batch)
    return torch.stack([model.encode(x, context=torch.full((len(x),), y))[1] for y in range(K)], 1) - math.log(K)


def test_the_marginal_is_the_logsumexp_of_the_joint_and_the_posterior_is_bayes(model):
    batch = data_batch(model, 5)
    with torch.no_grad():
        joint = joint_by_classes(model, batch)
        x = model_space(model, batch)
        # float32 log-densities of random images reach -3e4: compare them relatively, the posteriors absolutely
        assert torch.allclose(model.joint_log_probs(x), joint, rtol=1e-5, atol=1e-4)
        assert torch.allclose(model.log_prob(x), torch.logsumexp(joint, 1), rtol=1e-5, atol=1e-4)
        assert torch.allclose(model.class_log_probs(batch), joint - torch.logsumexp(joint, 1, keepdim=True),
                              atol=2e-3)
        assert not torch.allclose(joint[:, 0], joint[:, 1], atol=1e-3)  # the classes really differ
        unlabelled, labelled = (model(batch, torch.full(batch.shape, 0.5), torch.full((5,), y)) for y in (-1, 1))
    if model.score_unit == "nats":
        assert torch.allclose(unlabelled, -torch.logsumexp(joint, 1), atol=1e-4)
        assert torch.allclose(labelled, -joint[:, 1], atol=1e-4)
    else:  # the noise 0.5 puts every pixel at its bin centre, so the loss is the held-out bits/dim
        assert torch.allclose(unlabelled, model.log_prob_to_bits_per_dim(torch.logsumexp(joint, 1)), atol=1e-4)
        assert torch.allclose(labelled, model.heldout_score(batch, torch.full((5,), 1)), atol=1e-4)


def test_the_unconditional_flow_runs_once_per_batch_not_once_per_class(model):
    calls = {"trunk": 0, "conditional": []}
    model.trunk.register_forward_hook(lambda *_: calls.__setitem__("trunk", calls["trunk"] + 1))
    model.conditional.register_forward_hook(lambda m, args, out: calls["conditional"].append(len(args[0])))
    batch = data_batch(model, 4)
    model(batch, torch.rand(batch.shape), torch.tensor([0, -1, 2, -1]))
    assert calls["trunk"] == 1 and calls["conditional"] == [4 * K]  # h_phi once, on the batch repeated K times
    with torch.no_grad():
        model.class_log_probs(batch)
    assert calls["trunk"] == 2


def test_the_em_step_is_the_exact_posterior_and_em_sgd_has_the_marginal_gradient(model):
    batch = data_batch(model, 4)
    with torch.no_grad():
        joint = joint_by_classes(model, batch)
    assert torch.allclose(model.e_step(batch), torch.softmax(joint, 1), atol=1e-3)
    em = build_model({**model.config.to_json(), "objective": "em"})
    em.load_state_dict(model.state_dict())
    em.train(model.training)
    noise, labels = torch.rand(batch.shape), torch.tensor([-1, -1, 1, -1])
    grads = []
    for m in (model, em):
        m.zero_grad()
        loss = m(batch, noise, labels)
        loss.sum().backward()
        grads.append((loss.detach(), [p.grad.clone() for p in m.parameters() if p.grad is not None]))
    (marginal, g_marginal), (bound, g_em) = grads
    assert torch.allclose(marginal, bound, atol=1e-4)  # the bound is tight at the exact E-step (appendix B)
    assert len(g_marginal) == len(g_em)
    # float32 gradients of random images' huge losses (~1e4 nats): compare each tensor's difference with its norm
    assert all(float((a - b).norm()) <= 2e-3 * float(a.norm()) + 1e-5 for a, b in zip(g_marginal, g_em))


def test_decode_inverts_encode_given_the_label_and_another_label_gives_another_sample(model):
    batch = data_batch(model, 3)
    x = model_space(model, batch)
    y = torch.tensor([0, 1, 2])
    with torch.no_grad():
        eps, _ = model.encode(x, context=y)
        assert torch.allclose(model.decode(eps, context=y), x, atol=1e-4)
        other = model.decode(eps, context=(y + 1) % K)
    assert not torch.allclose(other, x, atol=1e-3)


def test_labels_are_checked_in_words(model):
    batch = data_batch(model, 2)
    with pytest.raises(UserInputError, match="give the class of each example"):
        model.encode(model_space(model, batch))
    with pytest.raises(UserInputError, match=re.escape(f"labels must be 2 class indices from -1 to {K - 1}")):
        model(batch, torch.rand(batch.shape), torch.tensor([0, K]))


def test_deep_channels_give_the_papers_z_f_sizes_for_28x28():
    """Table 3's ablation: z_f of 49, 98, 196, 392 (two levels) and 784 (one level)."""
    sizes = {}
    for levels, deep in ((2, 1), (2, 2), (2, 4), (2, 8), (1, 4)):
        model = build_model({"family": "scnf", "image_shape": [1, 28, 28], "levels": levels, "steps": 1, "hidden": 4,
                             "deep_channels": deep, "flow_layers": 1, "flow_hidden": 4, "flow_depth": 1})
        assert model.latent_dim == 784 and model.layout.deepest.name == "z_h"
        sizes[levels, deep] = model.layout.deepest.size
    assert sizes == {(2, 1): 49, (2, 2): 98, (2, 4): 196, (2, 8): 392, (1, 4): 784}
    with pytest.raises(ConfigError, match="deep_channels 9 is more than the 8 channels"):
        build_model({"family": "scnf", "image_shape": [1, 28, 28], "levels": 2, "deep_channels": 9})


def two_blobs(n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % 2
    return torch.randn(n, 2, generator=gen) * 0.5 + torch.stack([6.0 * y - 3.0, torch.zeros(n)], 1), y


@pytest.mark.parametrize("part", ["flow", "gmm"])
def test_label_inference_on_a_separable_toy_is_right_from_four_labels(part, tmp_path):
    x, y = two_blobs(400, 0)
    labels = torch.full((400,), -1)
    labels[:4] = y[:4]
    model = build_model({**POINTS, "classes": 2, "conditional_part": part})
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    known = labels >= 0
    for _ in range(300):
        opt.zero_grad()
        loss = model(x, None, labels)
        (loss[known].mean() + loss[~known].mean()).backward()  # eq. 4, each sum normalised by its size
        opt.step()
    test_x, test_y = two_blobs(1000, 1)
    model.eval()
    with torch.no_grad():
        error = (model.class_log_probs(test_x).argmax(1) != test_y).float().mean().item()
    assert error < 0.02
    path = save_checkpoint(model, tmp_path / "m.safetensors", default_card(model, name="m", steps=300))
    loaded = load_checkpoint(path).model
    with torch.no_grad():
        assert torch.equal(loaded.class_log_probs(test_x), model.class_log_probs(test_x))
    assert loaded.config.conditional_part == part


def test_flowstudio_train_on_moons_with_ten_labels_prints_the_test_error(tmp_path, capsys):
    assert main(["train", "--family", "scnf", "--data", "moons", "--labelled", "10", "--steps", "40",
                 "--eval-every", "40", "--sample-every", "0", "--max-images", "1000", "--arch", "transforms=2",
                 "--run-dir", str(tmp_path / "run"), "-o", str(tmp_path / "m.safetensors")]) == 0
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "10 of 900 training labels kept" in out and re.search(r"test error \d+\.\d%", out)
    card = load_checkpoint(tmp_path / "m.safetensors").card
    assert card.family == "scnf" and card.data_kind == "points"
