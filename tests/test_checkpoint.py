"""Native checkpoints: round trip, model card, atomic writes, clear refusals."""

from __future__ import annotations

import pytest
import torch
from safetensors.torch import save_file

import json
from pathlib import Path

from flowstudio.checkpoint import (CheckpointError, default_card, load_checkpoint, read_metadata,
                                   save_checkpoint)
from flowstudio.errors import WriteError
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
    card = loaded.card
    assert card.test_bits_per_dim == 4.2 and card.family == "glow" and card.likelihood == "exact"
    assert card.image_shape == (1, 8, 8) and card.training_data == "unit test" and card.steps == 7
    assert card.latent.names == ("level0", "top") and card.labels is None
    assert all(bool(m.initialized) for m in loaded.model.modules() if hasattr(m, "initialized"))
    assert not loaded.model.training
    assert loaded.model_id.startswith("m@") and len(loaded.sha256) == 64
    config, card2 = read_metadata(path)
    assert config == model.config.to_json() and card2 == loaded.card.to_json()
    assert card2["card_version"] == 2
    assert card2["latent"] == [{"name": "level0", "shape": [2, 4, 4]}, {"name": "top", "shape": [8, 2, 2]}]


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
    (tmp_path / "run.safetensors").mkdir()
    with pytest.raises(CheckpointError, match="is a folder, not a checkpoint file"):
        load_checkpoint(tmp_path / "run.safetensors")
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
    from safetensors.torch import load_file, save_file as raw_save

    tensors = load_file(str(path))
    raw_save(tensors, str(path), metadata={"flowstudio.format": "2",
                                           "flowstudio.config": json.dumps(model.config.to_json()),
                                           "flowstudio.card": json.dumps(default_card(model).to_json())})
    with pytest.raises(CheckpointError, match="do not match"):
        load_checkpoint(path)


def test_failed_write_leaves_previous_checkpoint_intact(tmp_path, monkeypatch):
    model = build_model(TINY_CONFIGS["glow-affine-gray"])
    path = save_checkpoint(model, tmp_path / "m.safetensors")
    before = path.read_bytes()

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.fsync", full_disk)
    with pytest.raises(WriteError, match="no space left on device") as info:
        save_checkpoint(randomized(model), path)
    assert str(info.value) == f"cannot write {path}: no space left on device (the previous file is intact)"
    assert isinstance(info.value.__cause__, OSError) and info.value.__cause__.errno == 28
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


V1 = Path(__file__).parent / "data" / "v1"


@pytest.mark.parametrize("name", ["glow-affine-gray", "realnvp-gray", "nice-odd"])
def test_format_1_files_read_through_the_migration_with_the_same_outputs(name):
    """Checkpoints written by the code before the shared flow blocks (tests/data/v1/make_v1.py)."""
    reference = json.loads((V1 / "reference.json").read_text())[name]
    loaded = load_checkpoint(V1 / f"{name}.safetensors")
    model = loaded.model
    images = torch.tensor(reference["images"], dtype=torch.uint8)
    with torch.no_grad():
        eps, log_prob = model.encode(model.preprocess(images))
        samples = model.sample(2, 0.7, seed=3)
    assert torch.allclose(log_prob, torch.tensor(reference["log_prob"]), rtol=1e-6, atol=1e-4)
    assert torch.allclose(eps[:, :5], torch.tensor(reference["eps_first"]), atol=1e-5)
    assert torch.allclose(samples.double().sum((1, 2, 3)), torch.tensor(reference["sample_sum"], dtype=torch.float64),
                          atol=1e-3)
    card = loaded.card
    assert card.name == name and card.training_data == "random (test fixture)" and card.test_bits_per_dim == 1.5
    assert card.latent == model.layout and card.likelihood == "exact"


def test_the_bundled_models_keep_their_cards_in_either_card_version():
    from flowstudio.resources import default_model_path, resources_dir

    loaded = load_checkpoint(default_model_path())  # trained with card version 2
    assert read_metadata(default_model_path())[1].get("card_version") == 2
    assert loaded.card.test_bits_per_dim == pytest.approx(2.96278654435277, abs=1e-12)
    assert loaded.card.provenance["recipe"].startswith("flowstudio train --data fashion-mnist")
    assert loaded.card.provenance["wall_time_s"] == 6226.8
    portraits = resources_dir() / "models" / "portraits_glow.safetensors"  # stored as version 1
    assert read_metadata(portraits)[1].get("card_version") is None
    assert load_checkpoint(portraits).card.test_bits_per_dim == pytest.approx(0.3086854203393062, abs=1e-12)


def _rewrite(path, **metadata):
    from safetensors import safe_open
    from safetensors.torch import load_file, save_file as raw_save

    with safe_open(str(path), "pt") as fh:
        meta = dict(fh.metadata())
    raw_save(load_file(str(path)), str(path), metadata={**meta, **metadata})


def test_a_newer_format_or_a_damaged_card_is_refused_with_a_clear_message(tmp_path):
    model = build_model(TINY_CONFIGS["glow-affine-gray"])
    path = save_checkpoint(model, tmp_path / "m.safetensors")
    _rewrite(path, **{"flowstudio.format": "3"})
    with pytest.raises(CheckpointError, match="newer Flow Studio .* reads formats 1 to 2"):
        load_checkpoint(path)
    good = default_card(model).to_json()
    for damage, message in [([], "must be a JSON object"),
                            ({**good, "likelihood": {"kind": "exact", "test_bits_per_dim": []}}, "must be a number from -64 to 64"),
                            ({**good, "card_version": 9}, "card version 9 is newer"),
                            ({**good, "latent": [{"name": "top", "shape": [64]}]}, "different model")]:
        _rewrite(path, **{"flowstudio.format": "2", "flowstudio.card": json.dumps(damage)})
        with pytest.raises(CheckpointError, match=message):
            load_checkpoint(path)
    _rewrite(path, **{"flowstudio.card": json.dumps(good), "flowstudio.config": json.dumps({"family": "glow"})})
    with pytest.raises(CheckpointError, match="invalid model config .*image_shape"):
        load_checkpoint(path)


def test_a_header_asking_for_another_model_is_refused_before_the_model_is_built(tmp_path, monkeypatch):
    """A hostile config (in bounds, but far larger than the tensors) never gets a real model built."""
    import flowstudio.checkpoint as checkpoint

    model = build_model(TINY_CONFIGS["glow-affine-gray"])
    path = save_checkpoint(model, tmp_path / "m.safetensors")
    built = []  # the device each build_model call made its tensors on
    monkeypatch.setattr(checkpoint, "build_model",
                        lambda config: built.append(torch.empty(0).device.type) or build_model(config))
    huge = {**model.config.to_json(), "hidden": 2048}
    _rewrite(path, **{"flowstudio.config": json.dumps(huge)})
    with pytest.raises(CheckpointError, match=r"weights do not match .*config needs F32 \[2048, 2, 3, 3\]"):
        load_checkpoint(path)
    assert built == ["meta"]  # only the storage-free skeleton
    from safetensors.torch import load_file, save_file as raw_save

    double = {k: v.double() if v.is_floating_point() else v for k, v in load_file(str(path)).items()}
    raw_save(double, str(path), metadata={"flowstudio.format": "2",
                                          "flowstudio.config": json.dumps(model.config.to_json()),
                                          "flowstudio.card": json.dumps(default_card(model).to_json())})
    with pytest.raises(CheckpointError, match="is F64 .* in the file, the config needs F32"):
        load_checkpoint(path)
