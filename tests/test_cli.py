"""The command line on real files: a tiny model trained on sklearn digits, and the bundled model."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from flowstudio.checkpoint import load_checkpoint
from flowstudio.cli.main import main
from flowstudio.data import load_digits, load_fashion_mnist
from flowstudio.imaging import read_png_params
from flowstudio.resources import default_model_path, example_sets

FASHION = Path("/usr/share/datasets/fashion-mnist")


@pytest.fixture(scope="module")
def digits_model(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "digits.safetensors"
    status = main(["train", "--data", "digits", "--run-dir", str(out.parent / "run"), "--family", "glow", "--arch", "levels=2", "--arch", "steps=2",
                   "--arch", "hidden=16", "--arch", "n_bits=5", "--steps", "30", "--warmup", "5",
                   "--eval-every", "30", "--batch-size", "32", "-o", str(out)])
    assert status == 0
    return out


@pytest.fixture(scope="module")
def digit_folders(tmp_path_factory) -> dict[int, Path]:
    images, labels = load_digits()
    root = tmp_path_factory.mktemp("digits")
    folders = {}
    for digit in (0, 1):
        folder = root / str(digit)
        folder.mkdir()
        for i in np.flatnonzero(labels == digit)[:6]:
            Image.fromarray(images[i, 0]).save(folder / f"{i}.png")
        folders[digit] = folder
    return folders


def test_train_writes_a_loadable_checkpoint_with_its_card(digits_model):
    loaded = load_checkpoint(digits_model)
    card = loaded.card
    assert card.family == "glow" and card.image_shape == (1, 8, 8) and card.steps == 30
    assert 0 < card.test_bits_per_dim < 8 and card.test_bits_per_dim_std > 0
    assert card.provenance["recipe"].startswith("flowstudio train --data digits")


def test_sample_writes_grid_with_parameters_and_cells_reproduce(digits_model, digit_folders, tmp_path, capsys):
    out = tmp_path / "grid.png"
    args = ["sample", str(digit_folders[0]), "-m", str(digits_model), "-n", "4", "--seed", "7", "--lam", "0.3",
            "-o", str(out), "--cells", str(tmp_path / "cells")]
    assert main(args) == 0
    params = read_png_params(out)
    assert params["seeds"] == [7, 8, 9, 10] and params["m"] == 6
    assert params["likelihood"] == {"lam": 0.3, "relative": True, "covariance": "isotropic", "floor": 0.01}
    assert params["kind"] == "posterior_samples" and len(params["evidence"]) == 6
    assert params["model_sha256"] == load_checkpoint(digits_model).sha256
    # A cell drawn alone with its seed equals the same cell in the grid run.
    assert main(["sample", str(digit_folders[0]), "-m", str(digits_model), "-n", "1", "--seed", "9", "--lam",
                 "0.3", "-o", str(tmp_path / "one.png"), "--cells", str(tmp_path / "alone")]) == 0
    in_grid = np.asarray(Image.open(tmp_path / "cells" / "grid_seed9.png"))
    alone = np.asarray(Image.open(tmp_path / "alone" / "one_seed9.png"))
    assert in_grid.shape == (8, 8) and np.array_equal(in_grid, alone)
    assert not np.array_equal(in_grid, np.asarray(Image.open(tmp_path / "cells" / "grid_seed8.png")))
    assert "4 samples from posterior of 6 images" in capsys.readouterr().out


def test_interpolate_writes_strip_gif_and_frames(digits_model, digit_folders, tmp_path):
    out = tmp_path / "strip.png"
    assert main(["interpolate", "-m", str(digits_model), "--from", str(digit_folders[0]), "--to",
                 str(digit_folders[1]), "--steps", "5", "--rows", "2", "--direct", "-o", str(out),
                 "--gif", str(tmp_path / "a.gif"), "--frames-dir", str(tmp_path / "frames"), "--scale", "1"]) == 0
    strip = Image.open(out)
    assert strip.size == (5 * 10 + 2, 3 * 10 + 2)  # 5 steps x (2 rows + direct row), 8 px cells, 2 px padding
    assert Image.open(tmp_path / "a.gif").n_frames == 5 + 3  # forward, then back without repeating the ends
    assert len(list((tmp_path / "frames").glob("*.png"))) == 5
    assert read_png_params(out)["direct_row"] is True


def test_classify_and_score_write_tables(digits_model, digit_folders, tmp_path, capsys):
    out = tmp_path / "c.csv"
    assert main(["classify", "-m", str(digits_model), "--class", f"zero={digit_folders[0]}", "--class",
                 f"one={digit_folders[1]}", str(digit_folders[0]), str(digit_folders[1]), "-o", str(out),
                 "--copy-to", str(tmp_path / "sorted")]) == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == 12 and set(rows[0]) == {"file", "predicted", "zero", "one"}
    copied = sum(len(list((tmp_path / "sorted" / c).glob("*.png"))) for c in ("zero", "one")
                 if (tmp_path / "sorted" / c).exists())
    assert copied == 12
    assert main(["score", "-m", str(digits_model), str(digit_folders[0]), "-o", str(tmp_path / "s.json")]) == 0
    scores = json.loads((tmp_path / "s.json").read_text())
    assert len(scores) == 6 and all(0 < s["bits_per_dim"] < 10 for s in scores)


@pytest.mark.parametrize("argv, message", [
    (["sample", "{missing}", "-o", "{tmp}/x.png"], "no usable evidence images"),
    (["sample", "-o", "{tmp}/x.jpg"], "must end in .png"),
    (["sample", "{tmp}", "-o", "{tmp}/x.png", "--lam", "-1"], "--lam: must be a number above 0"),
    (["info", "-m", "{tmp}/bad.safetensors"], "not a safetensors file"),
    (["classify", "{tmp}", "--class", "a={tmp}"], "at least two classes"),
    (["train", "--data", "{tmp}", "-o", "{tmp}/m.safetensors"], "only 0 usable images"),
    (["sample", "-o", "{tmp}/x.png", "--device", "cuda"], "CUDA"),
])
def test_bad_input_gives_one_clear_line_and_status_2(argv, message, tmp_path, capsys, digits_model, monkeypatch):
    (tmp_path / "bad.safetensors").write_text("not a model")
    (tmp_path / "junk.png").write_text("text renamed .png")
    monkeypatch.setattr("torch.cuda.is_available", lambda: False)
    argv = [a.format(tmp=tmp_path, missing=tmp_path / "missing") for a in argv]
    if argv[0] != "info" and "-m" not in argv and argv[0] != "train":
        argv += ["-m", str(digits_model)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len([line for line in err.splitlines() if "error:" in line]) == 1


@pytest.mark.skipif(not FASHION.exists(), reason="needs the Debian package dataset-fashion-mnist")
def test_bundled_model_sorts_fashion_test_images(tmp_path):
    """Examples from the bundled sets; queries are other test images of those classes."""
    sets = example_sets("fashion")
    images, labels = load_fashion_mnist("test", limit=2000)
    names = {"sneakers": 7, "trousers": 1, "bags": 8}
    used = {p.name for name in names for p in sets[name].iterdir()}
    queries = tmp_path / "q"
    queries.mkdir()
    truth = {}
    for name, label in names.items():
        for i in np.flatnonzero(labels == label)[20:30]:
            fname = f"test-{i:05d}.png"
            assert fname not in used
            Image.fromarray(images[i, 0]).save(queries / fname)
            truth[fname] = name
    out = tmp_path / "c.csv"
    args = ["classify", str(queries), "-o", str(out), "-m", str(default_model_path())]
    for name in names:
        args += ["--class", f"{name}={sets[name]}"]
    assert main(args) == 0
    rows = list(csv.DictReader(out.open()))
    correct = sum(truth[Path(r["file"]).name] == r["predicted"] for r in rows)
    assert correct >= 20, f"{correct}/30 correct (chance is 10/30)"


def test_evidence_streamed_in_small_batches_gives_the_same_grid(digits_model, digit_folders, tmp_path):
    """Evidence is read and encoded batch by batch; the batch size must not change the result."""
    outs = []
    for batch in ("256", "2"):
        out = tmp_path / f"b{batch}.png"
        assert main(["sample", str(digit_folders[0]), str(digit_folders[1]), "-m", str(digits_model), "-n", "4",
                     "--batch-size", batch, "-o", str(out)]) == 0
        outs.append(out)
    assert read_png_params(outs[0])["m"] == 12
    assert np.array_equal(np.asarray(Image.open(outs[0])), np.asarray(Image.open(outs[1])))
