"""Glow's inference path (ActNorm folded into the cached 1x1 convolution, channels-last) against the reference.

The reference is the same model run block by block: training mode or autograd
on takes :class:`~flowstudio.models.glow.FlowStep`'s unfused path, which
computes every weight afresh.  Models are real-sized (1x28x28, L=2) with every
parameter moved off its initialisation, so the zero-initialised convolutions
and the identity ActNorm do not hide a wrong fold.
"""

from __future__ import annotations

import pytest
import torch

from flowstudio.models import build_model
from flowstudio.models.glow import FlowStep, GlowConfig


def perturbed_glow(coupling: str = "affine", pad_value: float = 0.0, seed: int = 0):
    torch.manual_seed(seed)
    model = build_model(GlowConfig(image_shape=(1, 28, 28), levels=2, steps=2, hidden=32, coupling=coupling,
                                   pad_value=pad_value))
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return model.eval()


def images(n: int = 8, seed: int = 1) -> torch.Tensor:
    return torch.rand(n, 1, 28, 28, generator=torch.Generator().manual_seed(seed)) - 0.5


def reference_encode(model, x):
    with torch.enable_grad():
        eps, logp = model.encode(x)
    return eps.detach(), logp.detach()


def reference_decode(model, eps):
    with torch.enable_grad():
        return model.decode(eps).detach()


@pytest.mark.parametrize("coupling, pad_value", [("affine", 0.0), ("additive", 0.0), ("affine", 1.0)])
def test_the_fast_encode_decode_and_density_equal_the_reference(coupling, pad_value):
    model, x = perturbed_glow(coupling, pad_value), images()
    with torch.no_grad():
        eps, logp = model.encode(x)
        back = model.decode(eps)
    ref_eps, ref_logp = reference_encode(model, x)
    assert torch.allclose(eps, ref_eps, rtol=1e-4, atol=1e-4)
    assert torch.allclose(logp, ref_logp, rtol=1e-5, atol=1e-3)
    assert torch.allclose(back, reference_decode(model, eps), rtol=1e-4, atol=1e-5)
    assert torch.allclose(back, x, atol=1e-4)
    assert logp.std() > 0  # the density depends on the image (a constant would pass the comparisons above)


def test_a_step_folds_actnorm_into_the_convolution_exactly():
    step = perturbed_glow().levels[0].steps[0]
    assert isinstance(step, FlowStep)
    h = torch.randn(8, 4, 14, 14)
    with torch.no_grad():
        y, logdet = step(h)
        a, ld_actnorm = step.actnorm(h)
        b, ld_invconv = step.invconv(a)
        ref_y, ld_coupling = step.coupling(b)
        assert torch.allclose(y, ref_y, atol=1e-5)
        assert torch.allclose(logdet, ld_actnorm + ld_invconv + ld_coupling, atol=1e-4)
        assert torch.allclose(step.inverse(y), h, atol=1e-5)


def test_the_caches_follow_an_optimizer_step_and_a_loaded_state():
    model, x = perturbed_glow(), images()
    with torch.no_grad():
        before = model.encode(x)[1]
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=1e-2)
    (-model.log_prob(x).mean()).backward()
    opt.step()
    model.eval()
    with torch.no_grad():
        after = model.encode(x)[1]
    assert not torch.allclose(after, before, atol=1e-2)
    assert torch.allclose(after, reference_encode(model, x)[1], rtol=1e-5, atol=1e-3)

    other = perturbed_glow(seed=5)
    with torch.no_grad():
        other_eps = other.encode(x)[0]
        model.load_state_dict(other.state_dict())
        assert torch.allclose(model.encode(x)[0], other_eps, atol=1e-5)
        assert torch.allclose(model.decode(other_eps), other.decode(other_eps), atol=1e-5)


def test_training_mode_keeps_autograd_through_every_block():
    model, x = perturbed_glow(), images()
    model.train()
    (-model.log_prob(x).mean()).backward()
    step = model.levels[0].steps[1]
    for p in (step.actnorm.bias, step.actnorm.logs, step.invconv.lower, step.invconv.log_s,
              step.coupling.net.conv1.weight, step.coupling.net.out.conv.weight):
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0
    # eval mode with autograd on (e.g. a gradient with respect to the input) runs the reference path
    model.eval()
    x = x.clone().requires_grad_()
    model.log_prob(x).sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0
