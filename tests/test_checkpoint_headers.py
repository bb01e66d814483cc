"""Hostile and damaged checkpoint headers: a generated corpus of mutations, and property tests of the validator.

Every mutated file either loads (the mutation was harmless, e.g. another
seed) and then works, or is refused with :class:`CheckpointError`; no other
exception, and the file itself is never changed.  Headers are checked
before a model is built, so none of these allocates more than the file.
"""

from __future__ import annotations

import json
import math

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from flowstudio.checkpoint import CheckpointError, default_card, load_checkpoint, save_checkpoint
from flowstudio.errors import ConfigError
from flowstudio.models import build_model, config_from_json
from flowstudio.registry import FAMILIES
from tests.conftest import TINY_CONFIGS, randomized

BAD_VALUES = [None, [], {}, "x", True, -1, 0, 0.5, 1e308, math.inf, -math.inf, -2**63, 2**63, 20000, 10**6]


@pytest.fixture(scope="module")
def original(tmp_path_factory):
    model = randomized(build_model(TINY_CONFIGS["glow-affine-gray"]))
    path = save_checkpoint(model, tmp_path_factory.mktemp("ck") / "m.safetensors",
                           default_card(model, name="m", test_bits_per_dim=2.0, test_bits_per_dim_std=0.5))
    with safe_open(str(path), "pt") as fh:
        meta = dict(fh.metadata())
    return load_file(str(path)), meta


def _mutations():
    config = {**TINY_CONFIGS["glow-affine-gray"], "n_bits": 5, "pixel_offset": -0.5, "seed": 0, "coupling": "affine",
              "pad_value": 0.0}
    for key in config:
        for value in BAD_VALUES:
            yield f"config.{key}={value!r}", {"config": {**config, key: value}}
    yield "config.image_shape huge", {"config": {**config, "image_shape": [1, 1e6, 1e6]}}
    yield "config.bogus", {"config": {**config, "bogus": 1}}
    for whole in ([], "text", 3, None):
        yield f"config={whole!r}", {"config": whole}
        yield f"card={whole!r}", {"card": whole}
    for field in ("name", "family", "licence", "steps"):
        for value in BAD_VALUES:
            yield f"card.{field}={value!r}", {"card_field": (field, value)}
    for part, key in (("likelihood", "test_bits_per_dim"), ("likelihood", "kind"), ("data", "n_bits"),
                      ("data", "shape"), ("data", "kind"), ("conditioning", "labels")):
        for value in BAD_VALUES:
            yield f"card.{part}.{key}={value!r}", {"card_nested": (part, key, value)}
    for value in BAD_VALUES:
        yield f"card.latent={value!r}", {"card_field": ("latent", value)}
        yield f"card.card_version={value!r}", {"card_field": ("card_version", value)}
    for fmt in ("0", "x", "", "99", "-1", "2.0"):
        yield f"format={fmt!r}", {"format": fmt}


MUTATIONS = dict(_mutations())


def _write(path, tensors, meta, mutation):
    meta = dict(meta)
    card = json.loads(meta["flowstudio.card"])
    if "config" in mutation:
        meta["flowstudio.config"] = json.dumps(mutation["config"])
    if "card" in mutation:
        meta["flowstudio.card"] = json.dumps(mutation["card"])
    if "card_field" in mutation:
        key, value = mutation["card_field"]
        meta["flowstudio.card"] = json.dumps({**card, key: value})
    if "card_nested" in mutation:
        part, key, value = mutation["card_nested"]
        meta["flowstudio.card"] = json.dumps({**card, part: {**card[part], key: value}})
    if "format" in mutation:
        meta["flowstudio.format"] = mutation["format"]
    save_file(tensors, str(path), metadata=meta)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_a_mutated_header_loads_and_works_or_is_refused_with_a_checkpoint_error(name, original, tmp_path):
    tensors, meta = original
    path = tmp_path / "mutated.safetensors"
    _write(path, tensors, meta, MUTATIONS[name])
    before = path.read_bytes()
    try:
        loaded = load_checkpoint(path)
    except CheckpointError as exc:
        assert str(exc).startswith("mutated.safetensors: ") and "\n" not in str(exc)
    else:  # a harmless change: the model and its card must then work end to end
        images = torch.randint(0, 256, (2, *loaded.model.image_shape), dtype=torch.uint8)
        with torch.no_grad():
            assert torch.isfinite(loaded.model.bits_per_dim(images)).all()
            loaded.model.sample(1, 0.7, seed=0)
        assert loaded.card.rows() and loaded.model_id
    assert path.read_bytes() == before


SETTING = st.one_of(st.none(), st.booleans(), st.integers(-2**64, 2**64), st.floats(allow_nan=True),
                    st.text(max_size=8), st.lists(st.integers(-5, 2000), max_size=4))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(family=st.sampled_from(sorted(FAMILIES)), shape=st.lists(st.integers(-3, 2000), min_size=3, max_size=3),
       changes=st.dictionaries(st.sampled_from(["levels", "steps", "hidden", "coupling", "pad_value", "scales",
                                                "blocks", "couplings", "depth", "n_bits", "pixel_offset", "seed",
                                                "nonsense"]), SETTING, max_size=4))
def test_the_config_validator_accepts_only_configs_within_their_declared_bounds(family, shape, changes):
    data = {"family": family, "image_shape": shape, **changes}
    try:
        config = config_from_json(data)
    except ConfigError as exc:
        assert str(exc) and "\n" not in str(exc)
        return
    assert config_from_json(config.to_json()) == config  # what is accepted round-trips
    for f in config.__dataclass_fields__.values():
        low, high = f.metadata.get("low"), f.metadata.get("high")
        value = getattr(config, f.name)
        if low is not None:
            assert low <= value <= high and math.isfinite(value)
        if f.metadata.get("choices"):
            assert value in f.metadata["choices"]
    c, h, w = config.image_shape
    assert 1 <= c <= 4 and 1 <= h <= 1024 and 1 <= w <= 1024
