"""The command line with flows on points: train MAF/IAF on toy densities, CSV files and pictures; info; sample;
and the image commands refusing points models in words."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from flowstudio.checkpoint import load_checkpoint
from flowstudio.cli.main import main
from flowstudio.data.toy2d import load_points_csv, sample_toy
from flowstudio.imaging import read_png_params
from flowstudio.training import DataError, load_training_data

TINY = ["--arch", "transforms=2", "--arch", "hidden=16", "--batch-size", "64", "--warmup", "5", "--lr", "3e-3",
        "--max-images", "2000", "--sample-every", "0"]


def train(tmp_path, family, data, steps=60, extra=()):
    out = tmp_path / f"{family}.safetensors"
    assert main(["train", "--family", family, "--data", str(data), "--steps", str(steps), "--eval-every",
                 str(steps), *TINY, *extra, "--run-dir", str(tmp_path / f"run-{family}"), "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def maf_model(tmp_path_factory):
    return train(tmp_path_factory.mktemp("maf"), "maf", "8gaussians", steps=150)


def test_maf_learns_a_toy_density_and_its_card_says_points_and_nats(maf_model):
    loaded = load_checkpoint(maf_model)
    card = loaded.card
    assert card.family == "maf" and card.data_kind == "points" and card.image_shape == (2,) and card.n_bits is None
    assert card.score_unit == "nats" and "8gaussians" in card.training_data
    untrained = -torch.distributions.Normal(0, 1).log_prob(torch.from_numpy(sample_toy("8gaussians", 2000, 5))).sum(1)
    assert card.test_bits_per_dim < untrained.mean().item() - 1  # better than the standard normal it starts as


def test_info_shows_the_points_card(maf_model, capsys):
    assert main(["info", "-m", str(maf_model)]) == 0
    out = capsys.readouterr().out
    assert "Family: MAF" in out and "Points: 2-dimensional" in out and "Test NLL (nats):" in out
    assert main(["info", "-m", str(maf_model), "--json"]) == 0
    card = json.loads(capsys.readouterr().out)
    assert card["data"] == {"kind": "points", "shape": [2], "n_bits": None, "description": card["data"]["description"]}
    assert card["likelihood"]["unit"] == "nats" and "test_score" in card["likelihood"]


def test_sample_draws_a_density_picture_with_its_parameters_or_a_csv(maf_model, tmp_path, capsys):
    png, csv = tmp_path / "s.png", tmp_path / "s.csv"
    assert main(["sample", "-m", str(maf_model), "-o", str(png), "--seed", "4"]) == 0
    params = read_png_params(png)
    assert params["kind"] == "prior_points" and params["seed"] == 4 and params["count"] == 2048
    with Image.open(png) as im:
        picture = np.asarray(im)
    assert picture.shape == (256, 516, 3)  # the learned density beside the samples
    assert main(["sample", "-m", str(maf_model), "-o", str(csv), "-n", "50", "--seed", "4"]) == 0
    points = load_points_csv(csv)
    model = load_checkpoint(maf_model).model
    with torch.no_grad():
        assert np.allclose(points, model.sample(50, 1.0, seed=4).numpy(), atol=1e-5)
    assert "wrote" in capsys.readouterr().out


@pytest.mark.parametrize("command", [
    ["score", "IMG"], ["interpolate", "--from", "IMG", "--to", "IMG"], ["classify", "IMG", "--class", "a=IMG"],
    ["sample", "IMG"]])
def test_image_commands_refuse_a_points_model_in_words(maf_model, tmp_path, capsys, command):
    picture = tmp_path / "p.png"
    Image.fromarray(np.zeros((8, 8), np.uint8)).save(picture)
    args = [str(picture) if a == "IMG" else a.replace("IMG", str(picture)) for a in command]
    assert main([*args, "-m", str(maf_model), *(["-o", str(tmp_path / "o.png")] if command[0] != "score" else [])]) != 0
    err = capsys.readouterr().err
    assert "MAF models learn from points" in err and "Traceback" not in err


def test_iaf_trains_on_a_csv_and_an_image_family_refuses_points(tmp_path, capsys):
    csv = tmp_path / "p.csv"
    points = np.random.default_rng(0).normal(size=(300, 3)) * [1.0, 2.0, 0.5]
    csv.write_text("a,b,c\n" + "\n".join(",".join(f"{v:.5f}" for v in row) for row in points))
    loaded = load_checkpoint(train(tmp_path, "iaf", csv, steps=20))
    assert loaded.card.image_shape == (3,) and loaded.model.dim == 3
    assert main(["train", "--family", "glow", "--data", "moons", "--steps", "2"]) != 0
    err = capsys.readouterr().err
    assert "Glow learns from images, and moons holds points" in err and "maf, iaf" in err


def test_a_picture_is_training_data_of_points_and_bad_sources_are_refused(tmp_path):
    picture = np.full((16, 32), 255, np.uint8)
    picture[0:8, 2:10] = 0  # the long side (32 px) spans [-4, 4]: x in [-3.5, -1.5], y in [0, 2]
    Image.fromarray(picture).save(tmp_path / "drawing.png")
    data = load_training_data(str(tmp_path / "drawing.png"), max_images=500, seed=1)
    assert data.kind == "points" and data.train.shape == (450, 2) and data.test.shape == (50, 2)
    assert data.train.dtype == torch.float32 and "drawing.png as a 2-D density" in data.description
    x, y = data.train[:, 0], data.train[:, 1]
    assert ((x >= -3.5) & (x <= -1.5) & (y >= 0) & (y <= 2)).all() and x.std() > 0.4 and y.std() > 0.4
    again = load_training_data(str(tmp_path / "drawing.png"), max_images=500, seed=1)
    assert torch.equal(again.train, data.train) and again.digest() == data.digest()
    with pytest.raises(DataError, match="--image-size and --channels are for images; moons gives points"):
        load_training_data("moons", image_size=8)
    with pytest.raises(DataError, match="only 5 usable points"):
        (tmp_path / "few.csv").write_text("1,2\n" * 5)
        load_training_data(str(tmp_path / "few.csv"))
    with pytest.raises(DataError, match="no such file"):
        load_training_data(str(tmp_path / "missing.csv"))


def test_a_resumed_points_run_reproduces_the_uninterrupted_one(tmp_path):
    from safetensors.torch import load_file

    common = ["train", "--family", "maf", "--data", "circles", *TINY, "--max-images", "1000", "--eval-every", "40"]
    assert main([*common, "--steps", "40", "--run-dir", str(tmp_path / "straight")]) == 0
    assert main([*common, "--steps", "20", "--run-dir", str(tmp_path / "stopped")]) == 0
    assert main(["train", "--resume", str(tmp_path / "stopped"), "--steps", "40"]) == 0
    straight, resumed = (load_file(str(tmp_path / run / "model.safetensors")) for run in ("straight", "stopped"))
    assert straight.keys() == resumed.keys() and all(torch.equal(straight[k], resumed[k]) for k in straight)
