"""Native checkpoints: round trip, model card, atomic writes, clear refusals."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

from flowstudio.checkpoint import (CheckpointError, default_card, load_checkpoint, read_metadata,
                                   save_checkpoint)
from flowstudio.models import build_model
from tests.conftest import TINY_CONFIGS, randomized


def test_round_trip_preserves_function_card_and_actnorm_state(tmp_path):
    model = randomized(build_model(TINY_CONFIGS["glow-affine-gray"]))
    card = default_card(model, training_data="unit test", test_bits_per_dim=4.2, steps=7, licence="MIT")
    path = save_checkpoint(model, tmp_path / "m.safetensors", card)
    loaded = load_checkpoint(path)
    x = torch.rand(3, 1, 8, 8) - 0.5
    with torch.no_grad():
        assert torch.equal(loaded.model.log_prob(x), model.log_prob(x))
    assert loaded.card["test_bits_per_dim"] == 4.2 and loaded.card["family"] == "glow"
    assert loaded.card["image_shape"] == [1, 8, 8]
    assert all(bool(m.initialized) for m in loaded.model.modules() if hasattr(m, "initialized"))
    assert not loaded.model.training
    assert loaded.model_id.startswith("m@") and len(loaded.sha256) == 64
    config, card2 = read_metadata(path)
    assert config["family"] == "glow" and card2 == loaded.card


def test_loading_never_unpickles_and_refuses_other_files(tmp_path):
    pickle_file = tmp_path / "evil.safetensors"
    torch.save({"a": torch.zeros(1)}, pickle_file)
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        load_checkpoint(pickle_file)
    foreign = tmp_path / "foreign.safetensors"
    save_file({"w": torch.zeros(2)}, str(foreign))
    with pytest.raises(CheckpointError, match="not a Flow Studio model"):
        load_checkpoint(foreign)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "missing.safetensors")
    empty = tmp_path / "empty.safetensors"
    empty.write_bytes(b"")
    with pytest.raises(CheckpointError, match="not a safetensors file"):
        load_checkpoint(empty)


def test_weights_that_do_not_match_the_config_are_refused(tmp_path):
    model = build_model(TINY_CONFIGS["glow-affine-gray"])
    path = save_checkpoint(model, tmp_path / "m.safetensors")
    other = build_model({**TINY_CONFIGS["glow-affine-gray"], "hidden": 8})
    data = path.read_bytes()
    save_checkpoint(other, path)  # same name, other weights
    assert path.read_bytes() != data
    import json

    from safetensors.torch import load_file, save_file as raw_save

    tensors = load_file(str(path))
    raw_save(tensors, str(path), metadata={"flowstudio.format": "1",
                                           "flowstudio.config": json.dumps(model.config),
                                           "flowstudio.card": "{}"})
    with pytest.raises(CheckpointError, match="do not match"):
        load_checkpoint(path)


def test_failed_write_leaves_previous_checkpoint_intact(tmp_path, monkeypatch):
    model = build_model(TINY_CONFIGS["glow-affine-gray"])
    path = save_checkpoint(model, tmp_path / "m.safetensors")
    before = path.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.fsync", full_disk)
    with pytest.raises(OSError, match="No space"):
        save_checkpoint(randomized(model), path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]
