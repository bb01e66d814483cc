"""The shared flow blocks on their own: priors, masks and rules, the layout."""

from __future__ import annotations

import pytest
import torch

from flowstudio.errors import UserInputError
from flowstudio.flows import (AdditiveRule, BinaryMask, ChannelHalves, ClassConditionalPrior, Coupling, ExpAffineRule,
                              Interleaved, SigmoidAffineRule, checkerboard)
from flowstudio.layout import LatentLayout


def test_class_conditional_prior_standardizes_by_the_labels_gaussian():
    torch.manual_seed(0)
    prior = ClassConditionalPrior(classes=3, dim=5)
    with torch.no_grad():
        prior.mean.normal_()
        prior.logs.normal_(0, 0.3)
    labels = torch.nn.functional.one_hot(torch.tensor([0, 2, 1, 2]), 3).float()
    z = torch.randn(4, 5)
    eps, logp = prior.standardize(z, labels)
    mean, std = prior.mean[[0, 2, 1, 2]], prior.logs[[0, 2, 1, 2]].exp()
    expected = torch.distributions.Normal(mean, std).log_prob(z).sum(1)
    assert torch.allclose(logp, expected, atol=1e-5)
    assert torch.allclose(prior.unstandardize(eps, labels), z, atol=1e-6)


@pytest.mark.parametrize("mask, shape", [(ChannelHalves(), (2, 6, 4, 4)), (Interleaved(1), (2, 9)),
                                         (BinaryMask(checkerboard(4, 4, 0)), (2, 3, 4, 4))])
@pytest.mark.parametrize("rule", [AdditiveRule(), SigmoidAffineRule()])
def test_every_mask_and_rule_make_an_invertible_coupling_with_the_right_log_det(mask, shape, rule):
    torch.manual_seed(1)
    x = torch.randn(*shape, dtype=torch.float64)
    a_shape, b_shape = (t.shape for t in mask.split(x))
    width = b_shape[1] * (2 if isinstance(rule, SigmoidAffineRule) else 1)
    conv = len(shape) == 4
    net = (torch.nn.Conv2d(a_shape[1], width, 3, padding=1) if conv else torch.nn.Linear(a_shape[1], width)).double()
    coupling = Coupling(mask, net, rule)
    y, logdet = coupling(x)
    assert torch.allclose(coupling.inverse(y), x, atol=1e-10)
    jac = torch.autograd.functional.jacobian(lambda v: coupling(v.view(1, *shape[1:]))[0].flatten(), x[:1].flatten())
    assert logdet[0].item() == pytest.approx(torch.linalg.slogdet(jac)[1].item(), abs=1e-8)
    kept, _ = mask.split(x)
    assert torch.equal(mask.split(y)[0], kept)  # the conditioning part passes unchanged


def test_exp_affine_rule_leaves_the_masked_entries_alone():
    mask = BinaryMask(checkerboard(2, 2, 1))
    x = torch.randn(1, 1, 2, 2)
    s, t = torch.full_like(x, 0.5), torch.full_like(x, 2.0)
    y, logdet = ExpAffineRule()(x, (s, t), mask)
    keep = mask.mask.bool()
    assert torch.equal(y[keep], x[keep]) and torch.allclose(y[~keep], x[~keep] * torch.exp(torch.tensor(0.5)) + 2)
    assert logdet.item() == pytest.approx(0.5 * 2)


def test_a_latent_layout_names_its_parts():
    layout = LatentLayout.of([("level0", (2, 4, 4)), ("top", (8, 2, 2))])
    assert layout.dim == 64 and layout.names == ("level0", "top") and layout.deepest.name == "top"
    assert layout.slice("top") == slice(32, 64)
    assert LatentLayout.from_json(layout.to_json()) == layout
    with pytest.raises(UserInputError, match="no part 'middle'; its parts are level0, top"):
        layout.part("middle")
    with pytest.raises(ValueError, match="unique"):
        LatentLayout.of([("z", (2,)), ("z", (3,))])
