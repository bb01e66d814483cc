"""The contract every registered family keeps, run over each registry entry's tiny config.

A new family gets these checks by being registered: invertibility, the
log-density as the change of variables with the autograd Jacobian, a
bit-identical save/load round trip, reproducible seeds, a typed config that
round-trips through JSON, and a clear refusal of wrongly shaped input.
Image families run on grey and colour 8 x 8 images, families of points
(vector flows) on 2- and 5-dimensional points; the zuko-backed ones must
also give zuko's own densities and samples.
"""

from __future__ import annotations

import math
import re

import pytest
import torch
import zuko

from flowstudio.checkpoint import default_card, load_checkpoint, save_checkpoint
from flowstudio.errors import UserInputError
from flowstudio.models import build_model, config_from_json
from flowstudio.registry import FAMILIES
from flowstudio.models.vector import VectorFlow
from tests.conftest import TINY_CONFIGS, model_inputs, model_labels, randomized

SHAPES = {"images": {"grey": [1, 8, 8], "colour": [3, 8, 8]}, "points": {"2d": [2], "5d": [5]}}
CLASSES = ("a", "b", "c")
"""The classes a labelled family's tiny models are built for."""
CASES = {f"{name}-{shape}": {"family": name, **entry.config_class(kind).data_fields(data_shape),
                             **entry.config_class(kind).label_fields(CLASSES), **entry.tiny_for(kind)}
         for name, entry in FAMILIES.items() for kind in entry.data_kinds
         for shape, data_shape in SHAPES[kind].items()}
CASES.update(TINY_CONFIGS)  # variants: additive coupling, rosinality padding, rectangular and odd sizes
CASES["maf-1d"] = {"family": "maf", "dim": 1, **FAMILIES["maf"].tiny}  # zuko's one-dimensional special case
ZUKO = {"maf": lambda c: zuko.flows.MAF(c.dim, transforms=c.transforms, hidden_features=[c.hidden] * c.depth),
        "iaf": lambda c: zuko.flows.Flow(zuko.flows.MAF(c.dim, transforms=c.transforms,
                                                        hidden_features=[c.hidden] * c.depth).transform.inv,
                                         zuko.flows.MAF(c.dim).base)}
"""The raw zuko flows our MAF and IAF must equal, built from zuko's documented recipes (not from our code)."""


@pytest.fixture(params=sorted(CASES))
def model(request):
    return randomized(build_model(CASES[request.param]))


def capabilities(model):
    return FAMILIES[model.family].capabilities


def is_points(model) -> bool:
    return isinstance(model, VectorFlow)


def test_decode_inverts_encode(model):
    """Exactly for bijections; a family that says it only reconstructs gives images in the pixel range."""
    x, y = model_inputs(model, 4), model_labels(model, 4)
    with torch.no_grad():
        eps, logp = model.encode(x, context=y)
        assert eps.shape == (4, model.latent_dim) and logp.shape == (4,)
        back = model.decode(eps, context=y)
        if capabilities(model).exact_reconstruction:
            assert torch.allclose(back, x, atol=1e-5)
            assert torch.allclose(model.encode(back, context=y)[0], eps, atol=1e-4)
        elif is_points(model):  # a padded flow (conditional): x -> eps keeps x, eps -> x drops the padding
            assert torch.allclose(back, x, atol=1e-5)
            assert not torch.allclose(model.encode(model.decode(eps + 1, context=y), context=y)[0], eps + 1,
                                      atol=1e-3)
        else:
            low = model.pixel_offset
            assert back.shape == x.shape and bool(((back >= low) & (back <= low + 1)).all())
            assert not torch.allclose(back, x, atol=1e-3)  # the capability is not understated


def test_log_density_is_the_change_of_variables_with_the_autograd_jacobian(model):
    """log p(x) = log N(eps; 0, I) + log |det d eps / d x| for the standardized eps (given the label, for a
    labelled family: log p(x | y))."""
    if not capabilities(model).exact_density:
        pytest.skip(f"{model.family} has no exact image density (its latent flow is tested by its own tests)")
    model = model.double()
    x, y = model_inputs(model, 1, dtype=torch.float64), model_labels(model, 1)

    def f(v):
        return model.encode(v.view(x.shape), context=y)[0].flatten()

    jac = torch.autograd.functional.jacobian(f, x.flatten())
    eps = f(x.flatten())
    expected = (-0.5 * (eps**2 + math.log(2 * math.pi))).sum() + torch.linalg.slogdet(jac)[1]
    assert model.encode(x, context=y)[1].item() == pytest.approx(expected.item(), rel=1e-9, abs=1e-9)


def test_save_and_load_give_bit_identical_outputs(model, tmp_path):
    path = save_checkpoint(model, tmp_path / "m.safetensors", default_card(model, name="m", steps=3))
    loaded = load_checkpoint(path)
    data = model.example_batch(3, torch.Generator().manual_seed(0))  # uint8 images, or points
    scored = (data,) if not model.uses_labels else (data, model_labels(model, 3))
    y = model_labels(model, 2)
    with torch.no_grad():
        assert torch.equal(loaded.model.heldout_score(*scored), model.heldout_score(*scored))
        assert torch.equal(loaded.model.sample(2, 0.7, seed=5, context=y), model.sample(2, 0.7, seed=5, context=y))
        if model.uses_labels:
            assert torch.equal(loaded.model.class_log_probs(data), model.class_log_probs(data))
    assert loaded.card.latent == model.layout and loaded.card.family == model.family
    assert loaded.model.config == model.config


def test_seeds_reproduce_and_temperature_scales_the_latent(model):
    y = model_labels(model, 2)
    with torch.no_grad():
        a, b, c = (model.sample(2, temperature=0.7, seed=s, context=y) for s in (42, 42, 43))
        assert torch.equal(a, b) and not torch.equal(a, c)
        if not capabilities(model).exact_reconstruction:
            return
        hot = model.encode(model.sample(2, temperature=1.0, seed=1, context=y), context=y)[0]
        cold = model.encode(model.sample(2, temperature=0.5, seed=1, context=y), context=y)[0]
    assert torch.allclose(cold, 0.5 * hot, atol=1e-4)


def test_the_typed_config_round_trips_through_json(model):
    data = model.config.to_json()
    assert data["family"] == model.family
    assert config_from_json(data) == model.config
    rebuilt = build_model(data)
    assert [p.shape for p in rebuilt.parameters()] == [p.shape for p in model.parameters()]


def test_the_latent_layout_names_every_entry_once(model):
    layout = model.layout
    covered = sorted(i for part in layout.parts for i in range(part.slice.start, part.slice.stop))
    assert covered == list(range(model.latent_dim))
    assert layout.deepest is layout.parts[-1]
    eps = torch.arange(model.latent_dim, dtype=torch.float32).view(1, -1)
    assert layout.take(eps, layout.deepest.name).shape == (1, layout.deepest.size)


def test_wrongly_shaped_input_is_refused_with_a_clear_error(model):
    if is_points(model):
        d = model.dim
        for bad in (torch.zeros(1, d + 1), torch.zeros(d)):
            shape = re.escape(str(list(bad.shape)))
            with pytest.raises(UserInputError, match=rf"points of shape {shape} do not fit .* {d}-dimensional"):
                model.encode(bad)
            with pytest.raises(UserInputError, match=rf"latents of shape {shape} do not fit"):
                model.decode(bad)
        if not model.uses_labels:
            with pytest.raises(UserInputError, match="takes no labels"):
                model.encode(torch.zeros(1, d), context=torch.zeros(1, 10))
        return
    c, h, w = model.image_shape
    with pytest.raises(UserInputError, match=rf"are {c}x{2 * h}x{2 * w} .* takes {c}x{h}x{w}"):
        model.encode(torch.zeros(1, c, 2 * h, 2 * w))
    with pytest.raises(UserInputError, match="takes"):
        model.bits_per_dim(torch.zeros(1, 4 - c if c != 2 else 1, h, w, dtype=torch.uint8))
    with pytest.raises(UserInputError, match="latent has"):
        model.decode(torch.zeros(1, model.latent_dim + 1))
    if not model.uses_labels:
        with pytest.raises(UserInputError, match="takes no labels"):
            model.encode(torch.zeros(1, c, h, w), context=torch.zeros(1, 10))


def test_registry_entries_are_complete():
    for entry in FAMILIES.values():
        assert entry.data_kinds and entry.label and entry.reference
        for kind in entry.data_kinds:
            config_type = entry.config_class(kind)
            assert config_type.family == entry.name
            assert set(entry.presets_for(kind)) == {"small", "medium", "large"}
            shape = (1, 32, 32) if kind == "images" else (16,)
            for preset in entry.presets_for(kind).values():
                config_type.from_json({"family": entry.name, **config_type.data_fields(shape),
                                       **config_type.label_fields(CLASSES),
                                       **config_type.fit_arch(dict(preset.arch), shape)})


@pytest.mark.parametrize("case", sorted(c for c, config in CASES.items()
                                         if FAMILIES[config["family"]].capabilities.classification))
def test_a_labelled_family_gives_normalised_class_probabilities(case):
    model = randomized(build_model(CASES[case]))
    data = model.example_batch(4, torch.Generator().manual_seed(3))
    with torch.no_grad():
        log_probs = model.class_log_probs(data)
        loss = model(data, torch.rand(data.shape), torch.tensor([0, -1, 1, 2]) if
                     FAMILIES[model.family].capabilities.semi_supervised else model_labels(model, 4))
    assert log_probs.shape == (4, len(CLASSES))
    assert torch.allclose(log_probs.exp().sum(1), torch.ones(4, dtype=log_probs.dtype), atol=1e-5)
    assert loss.shape == (4,) and bool(torch.isfinite(loss).all())


def test_a_capability_a_family_lacks_is_refused_in_words():
    from flowstudio.registry import require

    assert require("glow", "invertible_latent", "Transflow").name == "glow"
    able = [f.label for f in FAMILIES.values() if f.capabilities.semi_supervised]
    with pytest.raises(UserInputError, match="Glow models cannot be used for semi-supervised training; "
                                             f"models that can: {', '.join(able) or 'none yet'}"):
        require("glow", "semi_supervised", "semi-supervised training")


@pytest.mark.parametrize("case", ["maf-2d", "maf-5d", "iaf-2d", "iaf-5d"])
def test_maf_and_iaf_are_zukos_own_flows(case):
    """The same weights in a raw zuko flow give the same log-densities and, from the same noise, the same samples."""
    model = randomized(build_model(CASES[case]))
    raw = ZUKO[model.family](model.config)
    raw.load_state_dict(model.flow.state_dict())
    x = torch.randn(64, model.dim, generator=torch.Generator().manual_seed(1)) * 2
    with torch.no_grad():
        assert torch.equal(model.log_prob(x), raw().log_prob(x))
        torch.manual_seed(7)
        drawn = raw().sample((5,))
        torch.manual_seed(7)
        assert torch.equal(model.decode(torch.randn(5, model.dim)), drawn)
    assert torch.equal(model(x, torch.rand(x.shape)), -raw().log_prob(x))  # the training loss is zuko's NLL


@pytest.mark.parametrize("case", sorted(c for c, config in CASES.items() if "dim" in config))
def test_the_loss_of_points_stays_float32_under_bf16_autocast(case):
    """(Image flows run their convolutions in bf16 under autocast by design.)"""
    model = randomized(build_model(CASES[case]))
    x = model_inputs(model, 16, torch.Generator().manual_seed(2))
    y = () if not model.uses_labels else (model_labels(model, 16),)
    with torch.no_grad():
        torch.manual_seed(0)  # the same draws of a family's own noise (a conditional flow's padding) both times
        exact = model(x, torch.rand(x.shape), *y)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            torch.manual_seed(0)
            under_autocast = model(x, torch.rand(x.shape), *y)
    assert under_autocast.dtype == torch.float32 and torch.equal(under_autocast, exact)
