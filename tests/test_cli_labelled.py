"""The command line with label-conditioned models: train a tiny semi-conditional flow (scnf) on digits and on
moons with a few labels, draw by label and in the same style under every label, classify with the model's
own p(y | x) in percent, and refuse in words what does not apply."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
import torch
from PIL import Image

from flowstudio.checkpoint import load_checkpoint
from flowstudio.cli.main import main
from flowstudio.data import load_digits
from flowstudio.data.toy2d import load_points_csv
from flowstudio.imaging import read_png_params

TINY = ["--arch", "levels=2", "--arch", "steps=1", "--arch", "hidden=8", "--arch", "deep_channels=2",
        "--batch-size", "64", "--sample-every", "0"]


def train(tmp_path, data, steps, extra=()):
    out = tmp_path / "scnf.safetensors"
    assert main(["train", "--family", "scnf", "--data", data, "--steps", str(steps), "--eval-every", str(steps),
                 *extra, "--run-dir", str(tmp_path / "run"), "-o", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory):
    return train(tmp_path_factory.mktemp("scnf"), "digits", 40, [*TINY, "--labelled", "100"])


def cells(png, side):
    """The cells of a grid PNG ``[rows, cols, side, side]`` (grey, padding 2, as make_grid draws it)."""
    a = np.asarray(Image.open(png).convert("L"))
    step = side + 2
    rows, cols = (a.shape[0] - 2) // step, (a.shape[1] - 2) // step
    return np.stack([[a[2 + r * step:2 + r * step + side, 2 + c * step:2 + c * step + side] for c in range(cols)]
                     for r in range(rows)])


def test_sample_by_label_names_labels_and_seeds_and_every_cell_is_reproduced_alone(digits_model, tmp_path, capsys):
    grid, cells_dir = tmp_path / "three.png", tmp_path / "cells"
    assert main(["sample", "-m", str(digits_model), "-o", str(grid), "--label", "3", "-n", "4", "--seed", "5",
                 "--scale", "1", "--cells", str(cells_dir)]) == 0
    params = read_png_params(grid)
    assert params["kind"] == "by_label_samples" and params["labels"] == ["3"] and params["seeds"] == [[5, 6, 7, 8]]
    alone = tmp_path / "alone.png"
    assert main(["sample", "-m", str(digits_model), "-o", str(alone), "--label", "3", "-n", "1", "--seed", "7",
                 "--scale", "1"]) == 0
    assert cells(grid, 8).shape[:2] == (2, 2)  # one label: a square-ish grid, in reading order
    assert np.array_equal(cells(grid, 8)[1, 0], cells(alone, 8)[0, 0])
    cell = np.asarray(Image.open(cells_dir / "three_label3_seed7.png").convert("L"))
    assert np.array_equal(cell, cells(alone, 8)[0, 0])
    assert "4 samples of each of 3" in capsys.readouterr().out


def test_same_style_shares_seeds_down_each_column_and_matches_the_by_label_cells(digits_model, tmp_path):
    same, two = tmp_path / "same.png", tmp_path / "two.png"
    assert main(["sample", "-m", str(digits_model), "-o", str(same), "--same-style", "-n", "3", "--scale", "1"]) == 0
    params = read_png_params(same)
    assert params["kind"] == "same_style_samples" and params["labels"] == list("0123456789")
    assert params["seeds"] == [[0, 1, 2]] * 10
    grid = cells(same, 8)
    assert grid.shape[:2] == (10, 3)
    assert not np.array_equal(grid[0], grid[1])  # the label changes the image, the style stays
    assert main(["sample", "-m", str(digits_model), "-o", str(two), "--label", "1", "-n", "3", "--nrow", "3", "--scale",
                 "1"]) == 0
    assert np.array_equal(cells(two, 8)[0], grid[1])  # label 1 with seeds 0..2, drawn either way


def test_classify_prints_the_models_p_y_given_x_in_percent(digits_model, tmp_path, capsys):
    images, labels = load_digits()
    folder = tmp_path / "queries"
    folder.mkdir()
    for i in range(6):
        Image.fromarray(images[i, 0]).save(folder / f"q{i}.png")
    assert main(["classify", "-m", str(digits_model), str(folder)]) == 0
    out = capsys.readouterr().out
    table = list(csv.DictReader(io.StringIO(out.split("classified")[0])))
    assert [r["file"] for r in table] == [str(folder / f"q{i}.png") for i in range(6)]
    columns = [f"{d} %" for d in "0123456789"]
    percent = np.array([[float(r[c]) for c in columns] for r in table])
    assert np.allclose(percent.sum(1), 100, atol=0.01) and (percent >= 0).all()
    assert [r["predicted"] for r in table] == [str(k) for k in percent.argmax(1)]
    model = load_checkpoint(digits_model).model
    with torch.no_grad():
        exact = 100 * model.class_log_probs(torch.from_numpy(images[:6])).exp().numpy()
    assert np.allclose(percent, exact, atol=2e-3)  # the files' pixels reach the model unchanged
    assert "classified 6 images" in out


def test_labelled_commands_refuse_in_words(digits_model, tmp_path, capsys):
    out = str(tmp_path / "x.png")
    assert main(["sample", "-m", str(digits_model), "-o", out, "--label", "cat"]) != 0
    err = capsys.readouterr().err
    assert "unknown label 'cat'" in err and "0=0, 1=1, 2=2" in err
    assert main(["sample", "-m", str(digits_model), "-o", out, str(tmp_path)]) != 0
    assert "draw for a label, not from example images" in capsys.readouterr().err
    assert main(["sample", "-o", out, "--label", "3"]) != 0  # the bundled Glow takes no label
    assert "take no label" in capsys.readouterr().err
    assert main(["classify", "-m", str(digits_model), str(tmp_path), "--class", f"a={tmp_path}"]) != 0
    assert "leave out --class" in capsys.readouterr().err


def test_a_points_model_draws_the_cloud_of_one_label(tmp_path):
    model = train(tmp_path, "moons", 300, ["--max-images", "2000", "--labelled", "200", "--batch-size", "128",
                                           "--lr", "3e-3", "--sample-every", "0"])
    upper, lower = tmp_path / "upper.csv", tmp_path / "lower.csv"
    assert main(["sample", "-m", str(model), "-o", str(upper), "--label", "0", "-n", "500"]) == 0
    assert main(["sample", "-m", str(model), "-o", str(lower), "--label", "1", "-n", "500"]) == 0
    assert load_points_csv(upper)[:, 1].mean() > load_points_csv(lower)[:, 1].mean()  # label 0 is the upper moon
