"""Training data: image folders with bad, odd and mixed files; built-in sets; the time estimates."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from PIL import Image

from flowstudio.checkpoint import load_checkpoint
from flowstudio.cli.main import main
from flowstudio.training import DataError, load_training_data
from tests.training_utils import events_of

STEPS = ["--arch", "levels=2", "--arch", "steps=1", "--arch", "hidden=8", "--steps", "2", "--batch-size", "8",
         "--sample-every", "0"]


def write_png(path, array) -> None:
    Image.fromarray(array).save(path)


@pytest.fixture
def messy_folder(tmp_path):
    """24 usable images (12 grey 8x8, 8 RGB 10x12 in a subfolder, 4 RGBA 16x16) and 3 bad files."""
    rng = np.random.default_rng(0)
    folder = tmp_path / "messy"
    (folder / "sub").mkdir(parents=True)
    for i in range(12):
        write_png(folder / f"grey{i:02d}.png", rng.integers(0, 256, (8, 8), dtype=np.uint8))
    for i in range(8):
        write_png(folder / "sub" / f"rgb{i}.png", rng.integers(0, 256, (12, 10, 3), dtype=np.uint8))
    for i in range(4):
        write_png(folder / f"rgba{i}.png", rng.integers(0, 256, (16, 16, 4), dtype=np.uint8))
    (folder / "notes.png").write_text("not an image")
    (folder / "empty.jpg").write_bytes(b"")
    buf = io.BytesIO()
    Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(buf, format="PNG")
    (folder / "truncated.png").write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    return folder


def test_bad_files_are_skipped_and_conversions_reported(messy_folder, tmp_path, capsys):
    run = tmp_path / "run"
    assert main(["train", "--data", str(messy_folder), "--image-size", "8", "--channels", "1", *STEPS,
                 "--run-dir", str(run)]) == 0
    warnings = [e["message"] for e in events_of(run, "warning")]
    skipped = next(w for w in warnings if w.startswith("skipped"))
    assert skipped.startswith("skipped 3 files")
    for name, reason in (("notes.png", "not a recognised image"), ("empty.jpg", "empty"),
                         ("truncated.png", "truncated")):
        assert name in skipped and reason in skipped
    assert any(w.startswith("resized 12 of 24 images to 8x8") and "10x12 (8)" in w for w in warnings)
    assert "converted 12 of 24 colour images to grey" in warnings
    err = capsys.readouterr().err
    assert "warning: skipped 3 files" in err
    assert load_checkpoint(run / "model.safetensors").card.image_shape == (1, 8, 8)


def test_grey_images_are_converted_for_a_colour_model(messy_folder):
    data = load_training_data(str(messy_folder), image_size=8, channels=3)
    assert data.sample_shape == [3, 8, 8] and len(data.train) + len(data.test) == 24
    assert "converted 12 of 24 grey images to colour (RGB)" in data.warnings


def test_too_few_images_is_one_clear_error(tmp_path, capsys):
    for i in range(5):
        write_png(tmp_path / f"{i}.png", np.full((8, 8), 40 * i, np.uint8))
    (tmp_path / "notes.png").write_bytes(b"not an image")
    assert main(["train", "--data", str(tmp_path), *STEPS]) == 2
    err = capsys.readouterr().err
    assert "only 5 usable images" in err and "at least 20" in err and "Traceback" not in err
    assert "skipped 1 file that could not be used: notes.png: " in err  # the reason, not only a count
    with pytest.raises(DataError, match="--channels"):
        load_training_data("digits", channels=3)


def test_procedural_portraits_train(tmp_path, capsys):
    pytest.importorskip("flowstudio.data.portraits")
    run = tmp_path / "run"
    assert main(["train", "--data", "portraits", "--max-images", "40", *STEPS, "--run-dir", str(run)]) == 0
    card = load_checkpoint(run / "model.safetensors").card
    assert card.image_shape == (3, 32, 32) and "portraits" in card.training_data
    assert events_of(run, "start")[0]["n_train"] == 36


def test_estimate_measures_every_preset_and_exits(capsys):
    assert main(["train", "--data", "digits", "--estimate", "--json"]) == 0
    rows = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["preset"] for r in rows] == ["small", "medium", "large"]
    assert all(r["event"] == "estimate" and r["epoch_s"] > 0 and r["parameters"] > 0 for r in rows)
    assert rows[0]["parameters"] < rows[1]["parameters"] < rows[2]["parameters"]
    assert main(["train", "--data", "digits", "--preset", "medium", "--arch", "hidden=8", "--estimate"]) == 0
    out = capsys.readouterr().out
    assert "> yours" in out and "hidden=8" in out and "  medium" in out
