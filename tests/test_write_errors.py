"""A full disk or a read-only file system: one clear line (exit status 2), nothing lost, the previous file intact.

Every command writes through :mod:`flowstudio.files`; these tests run the
real commands against real folders that refuse writes (a tmpfs remounted
read-only or filled to the last page, see :mod:`tests.write_failures`).
"""

from __future__ import annotations

import csv
import errno
import json
import os
import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from flowstudio.checkpoint import load_checkpoint, read_extra_metadata, save_checkpoint
from flowstudio.cli.main import main
from flowstudio.data import load_digits
from flowstudio.errors import FlowStudioError, WriteError
from flowstudio.files import atomic_write_bytes, copy_file, make_folder
from flowstudio.imaging import read_png_params
from flowstudio.models import build_model
from flowstudio.training import RunDir, TrainJob, TrainSettings, load_training_data, train
from tests.conftest import TINY_CONFIGS, randomized
from tests.training_utils import TINY, events_of
from tests.write_failures import full, full_disk, read_only, refusing, ro  # noqa: F401  (fixtures)

PREVIOUS = b"the file that was there before\n"


@pytest.fixture(scope="module")
def model(tmp_path_factory) -> Path:
    """A tiny Glow for 8 x 8 grey images (untrained: these tests are about files, not about images)."""
    return save_checkpoint(randomized(build_model(TINY_CONFIGS["glow-affine-gray"])),
                           tmp_path_factory.mktemp("model") / "tiny.safetensors")


@pytest.fixture(scope="module")
def digits(tmp_path_factory) -> dict[str, Path]:
    images, labels = load_digits()
    root = tmp_path_factory.mktemp("digits")
    folders = {}
    for digit, name in ((0, "zero"), (1, "one")):
        folders[name] = root / name
        folders[name].mkdir()
        for i in np.flatnonzero(labels == digit)[:4]:
            Image.fromarray(images[i, 0]).save(folders[name] / f"{i}.png")
    return folders


def error_line(capsys, command: str) -> str:
    """The one error line of ``command`` on stderr (asserted to be the only one, and the last line)."""
    err = capsys.readouterr().err
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error" in line]
    assert len(errors) == 1 and err.strip().splitlines()[-1] == errors[0], err
    prefix = f"flowstudio {command}: error: "
    assert errors[0].startswith(prefix), errors[0]
    return errors[0][len(prefix):]


def keep(path: Path, data: bytes = PREVIOUS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# -- the shared writers ---------------------------------------------------------------------
def test_the_writers_raise_one_write_error_naming_the_file_and_the_reason(refusing):
    old = keep(refusing / "old.png")
    refusing.refuse()
    before = refusing.listing()
    with pytest.raises(WriteError) as info:
        atomic_write_bytes(old, b"new bytes" * 1000)
    assert str(info.value) == f"cannot write {old}: {refusing.reason} (the previous file is intact)"
    assert isinstance(info.value, FlowStudioError) and info.value.reason == refusing.reason
    assert isinstance(info.value.__cause__, OSError)
    with pytest.raises(WriteError, match=re.escape(f"cannot write {refusing / 'new.png'}: {refusing.reason} "
                                                   "(nothing was written)")):
        atomic_write_bytes(refusing / "new.png", b"new bytes" * 1000)
    with pytest.raises(WriteError, match=re.escape(f"cannot write {old}: {refusing.reason} (the previous")):
        copy_file(Path(__file__), old)
    assert refusing.listing() == before  # no temporary file left behind either


def test_a_folder_that_cannot_be_made_is_named(ro):
    ro.lock()
    with pytest.raises(WriteError) as info:
        make_folder(ro / "a" / "b")
    assert str(info.value) == f"cannot create the folder {ro / 'a'}: {ro.reason}"
    assert info.value.__cause__.errno in (errno.EROFS, errno.EACCES)


# -- sample, score, classify, interpolate -------------------------------------------------------
def test_sample_grid_and_cells(model, digits, refusing, tmp_path, capsys):
    out, cell = keep(refusing / "grid.png"), keep(refusing / "cells" / "grid_seed0.png")
    refusing.refuse()
    before = refusing.listing()
    common = ["sample", str(digits["zero"]), "-m", str(model), "-n", "4"]
    assert main([*common, "-o", str(out)]) == 2
    assert error_line(capsys, "sample") == f"cannot write {out}: {refusing.reason} (the previous file is intact)"

    grid = tmp_path / "grid.png"
    assert main([*common, "-o", str(grid), "--cells", str(refusing / "cells")]) == 2
    assert error_line(capsys, "sample") == (f"cannot write {cell}: {refusing.reason} (the previous file is intact); "
                                            f"the grid {grid} was written, and 0 of 4 cells before this")
    assert read_png_params(grid)["seeds"] == [0, 1, 2, 3]
    assert refusing.listing() == before


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_score_table(model, digits, refusing, suffix, capsys):
    out = keep(refusing / f"scores{suffix}")
    refusing.refuse()
    before = refusing.listing()
    assert main(["score", "-m", str(model), str(digits["zero"]), "-o", str(out)]) == 2
    assert error_line(capsys, "score") == f"cannot write {out}: {refusing.reason} (the previous file is intact)"
    assert refusing.listing() == before


def test_classify_table_and_copy_to(model, digits, refusing, tmp_path, capsys):
    first = sorted(digits["zero"].iterdir())[0]
    out = keep(refusing / "classes.json")
    for name in ("zero", "one"):  # wherever the first query goes, a file of its name is already there
        keep(refusing / "sorted" / name / first.name)
    refusing.refuse()
    before = refusing.listing()
    common = ["classify", "-m", str(model), "--class", f"zero={digits['zero']}", "--class", f"one={digits['one']}",
              str(digits["zero"]), str(digits["one"])]
    assert main([*common, "-o", str(out)]) == 2
    assert error_line(capsys, "classify") == f"cannot write {out}: {refusing.reason} (the previous file is intact)"

    table = tmp_path / "classes.csv"
    assert main([*common, "-o", str(table), "--copy-to", str(refusing / "sorted")]) == 2
    rows = list(csv.DictReader(table.open()))
    assert len(rows) == 8 and rows[0]["file"] == str(first)
    target = refusing / "sorted" / rows[0]["predicted"] / first.name
    assert error_line(capsys, "classify") == (
        f"cannot write {target}: {refusing.reason} (the previous file is intact); the table {table} was written, "
        f"and 0 of 8 files were copied into {refusing / 'sorted'} before this")
    assert refusing.listing() == before


@pytest.mark.parametrize("failing", ["strip", "animation", "frames"])
def test_interpolate_strip_animation_and_frames(model, digits, refusing, tmp_path, failing, capsys):
    strip, gif = tmp_path / "strip.png", tmp_path / "strip.gif"
    frames = tmp_path / "frames"
    if failing == "strip":
        strip = keep(refusing / "strip.png")
    elif failing == "animation":
        gif = keep(refusing / "strip.gif")
    else:
        frames = refusing / "frames"
        keep(frames / "strip_000.png")
    refusing.refuse()
    before = refusing.listing()
    assert main(["interpolate", "-m", str(model), "--from", str(digits["zero"]), "--to", str(digits["one"]),
                 "--steps", "3", "-o", str(strip), "--gif", str(gif), "--frames-dir", str(frames)]) == 2
    failed = {"strip": strip, "animation": gif, "frames": frames / "strip_000.png"}[failing]
    written = {"strip": "", "animation": f"; written before this: {strip}",
               "frames": f"; written before this: {strip}, {gif}"}[failing]
    assert error_line(capsys, "interpolate") == (f"cannot write {failed}: {refusing.reason} "
                                                 f"(the previous file is intact){written}")
    assert refusing.listing() == before
    if failing != "strip":
        assert read_png_params(strip)["kind"] == "posterior_interpolation"


# -- train: the run folder and -o -------------------------------------------------------------
def test_train_on_a_full_disk_stops_before_training_and_leaves_no_empty_run_folder(full, capsys):
    full.fill()
    run = full / "run"
    assert main(["train", *TINY, "--steps", "2", "--run-dir", str(run)]) == 2
    assert error_line(capsys, "train") == (
        f"cannot write {run / 'run.json'}: no space left on device (nothing was written); "
        "free some space there, or choose a run folder on another disk with --run-dir DIR")
    assert not run.exists()


def test_resuming_on_a_full_disk_keeps_the_runs_files(tmp_path, capsys):
    with full_disk(tmp_path / "disk", "1m") as disk:
        run = disk / "run"
        assert main(["train", *TINY, "--steps", "2", "--run-dir", str(run)]) == 0
        disk.fill()
        capsys.readouterr()
        before = disk.listing()
        assert main(["train", "--resume", str(run), "--steps", "4"]) == 2
        assert error_line(capsys, "train") == (
            f"cannot write {run / 'run.json'}: no space left on device (the previous file is intact); "
            "the run is unchanged: free some space there and resume again")
        assert disk.listing() == before


def test_train_into_a_read_only_run_folder_says_which_and_how_to_choose_another(ro, capsys):
    keep(ro / "kept.txt")
    ro.lock()
    before = ro.listing()
    assert main(["train", *TINY, "--steps", "2", "--run-dir", str(ro / "run")]) == 2
    assert error_line(capsys, "train") == (f"cannot create the folder {ro / 'run'}: {ro.reason}; "
                                           "choose a run folder you can write with --run-dir DIR")
    assert ro.listing() == before and not (ro / "run").exists()


def test_train_into_the_default_runs_folder_of_a_read_only_folder(ro, monkeypatch, capsys):
    keep(ro / "kept.txt")
    ro.lock()
    monkeypatch.chdir(ro.path)
    assert main(["train", *TINY, "--steps", "2"]) == 2
    assert error_line(capsys, "train") == (f"cannot create the folder runs: {ro.reason}; runs go into runs/ in the "
                                           "current folder by default: choose a run folder you can write with "
                                           "--run-dir DIR")
    assert ro.listing() == {"kept.txt": PREVIOUS}


def test_train_out_that_cannot_be_written_keeps_the_trained_model_in_the_run(refusing, tmp_path, capsys):
    out = keep(refusing / "digits.safetensors")
    refusing.refuse()
    run = tmp_path / "run"
    assert main(["train", *TINY, "--steps", "3", "--run-dir", str(run), "-o", str(out)]) == 2
    model = run / "model.safetensors"
    assert error_line(capsys, "train") == (f"cannot write {out}: {refusing.reason} (the previous file is intact); "
                                           f"the trained model is safe in {model}: copy it from there")
    assert out.read_bytes() == PREVIOUS
    assert load_checkpoint(model).card.steps == 3 and events_of(run)[-1]["event"] == "done"


def test_the_training_loop_stops_with_one_error_when_the_disk_fills_up(tmp_path):
    """The engine's own handling (``WriteFailed``): the last checkpoint stays, the reason is in the same words."""
    config = {"family": "glow", "image_shape": [1, 8, 8], "levels": 2, "steps": 1, "hidden": 8}
    settings = TrainSettings(steps=12, batch_size=32, warmup_steps=2, checkpoint_every=4, sample_every=0)
    job = TrainJob(config, load_training_data("digits"), settings, name="tiny")
    with full_disk(tmp_path / "disk", "1m") as disk:
        run = RunDir(disk / "run")
        run.prepare()
        events = []
        for event in train(job, run):
            events.append(event)
            if event["event"] == "checkpoint" and event["step"] == 4:
                disk.fill()
        last = events[-1]
        assert last["event"] == "error"
        assert re.fullmatch(r"could not write the (checkpoint|event log) \(no space left on device\); training "
                            rf"stopped at step \d+: the last checkpoint \(step 4\) is intact; continue with "
                            rf"flowstudio train --resume {re.escape(str(run.path))}", last["message"]), last
        assert read_extra_metadata(run.checkpoint)["progress"]["step"] == 4
        assert not list(run.path.glob(".*.tmp")) and not run.model.exists()


# -- file names that are not UTF-8 ----------------------------------------------------------
def test_non_utf8_file_names_are_written_escaped_and_said_once(model, digits, tmp_path, capsys):
    folder = tmp_path / "odd"
    folder.mkdir()
    odd = folder / os.fsdecode(b"caf\xe9.png")
    try:
        odd.write_bytes((sorted(digits["one"].iterdir())[0]).read_bytes())
    except (OSError, UnicodeError) as exc:
        pytest.skip(f"this file system refuses names that are not UTF-8: {exc}")
    shown = str(folder) + "/caf\\xe9.png"

    scores = tmp_path / "scores.csv"
    assert main(["score", "-m", str(model), str(folder), str(digits["zero"]), "-o", str(scores)]) == 0
    err = capsys.readouterr().err
    note = "1 name is not valid UTF-8: their other bytes are written as \\xNN (as in caf\\xe9.png)"
    assert err.count("not valid UTF-8") == 1 and f"flowstudio score: note: {note}" in err
    rows = list(csv.DictReader(scores.open(encoding="utf-8")))
    assert [r["file"] for r in rows][0] == shown and len(rows) == 5

    table = tmp_path / "classes.json"
    assert main(["classify", "-m", str(model), "--class", f"zero={digits['zero']}", "--class",
                 f"one={digits['one']}", str(folder), "-o", str(table), "--copy-to", str(tmp_path / "sorted")]) == 0
    err = capsys.readouterr().err
    assert err.count("not valid UTF-8") == 1 and f"flowstudio classify: note: {note}" in err
    rows = json.loads(table.read_bytes().decode("utf-8"))
    assert [r["file"] for r in rows] == [shown]
    assert (tmp_path / "sorted" / rows[0]["predicted"] / odd.name).read_bytes() == odd.read_bytes()


# -- the studio's engine (the window shows these messages: tests/test_studio_write_errors.py) -----------
def test_the_studios_copy_into_class_folders_says_how_far_it_got(digits, refusing):
    from flowstudio.studio.engine.classify import Classified, copy_into_folders

    files = sorted(digits["zero"].iterdir())[:2]
    rows = [Classified(str(f), "zero", (0.0,), np.zeros((1, 8, 8), np.uint8)) for f in files]
    keep(refusing / "zero" / files[0].name)
    refusing.refuse()
    before = refusing.listing()
    progress = []
    with pytest.raises(WriteError) as info:
        progress.extend(copy_into_folders(rows, refusing.path))
    assert str(info.value) == (f"cannot write {refusing / 'zero' / files[0].name}: {refusing.reason} (the previous "
                               f"file is intact); 0 of 2 files were copied into {refusing.path} before this")
    assert progress == [] and refusing.listing() == before
