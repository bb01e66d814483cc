"""The training engine in-process: learning, events, run folder, NaN guard, full disk, control."""

from __future__ import annotations

import errno
import json
import math
import os

import pytest
import torch

from flowstudio.checkpoint import load_checkpoint, read_extra_metadata
from flowstudio.cli.main import build_parser, main
from flowstudio.cli.train_cmd import _settings as train_settings
from flowstudio.registry import get_family
from flowstudio.training import Control, RunDir, TrainJob, TrainSettings, load_training_data, train
from flowstudio.training.engine import learning_rate
from flowstudio.training.presets import preset_config
from tests.training_utils import TINY, events_of, losses

TINY_CONFIG = {"family": "glow", "image_shape": [1, 8, 8], "levels": 2, "steps": 1, "hidden": 8}


@pytest.fixture(scope="module")
def digits():
    return load_training_data("digits")


def job(digits, **settings) -> TrainJob:
    base = {"batch_size": 32, "warmup_steps": 5, "sample_every": 0, "log_every": 1}
    return TrainJob(TINY_CONFIG, digits, TrainSettings(**{**base, **settings}), name="tiny")


def test_a_few_steps_reduce_the_loss_and_fill_the_run_folder(digits, tmp_path):
    run = RunDir(tmp_path / "run")
    run.prepare()
    events = list(train(job(digits, steps=40, eval_every=20, checkpoint_every=20, sample_every=20), run))
    kinds = [e["event"] for e in events]
    assert kinds[0] == "start" and kinds[-1] == "done"
    assert all("time" in e for e in events)
    steps = losses(events)
    assert sum(steps[s] for s in range(36, 41)) / 5 < steps[1] - 0.05
    start = events[0]
    assert start["n_train"] == 1618 and start["n_test"] == 179 and start["device"] == "cpu"
    assert start["estimated_epoch_s"] > 0 and start["parameters"] == 2940
    assert [e["step"] for e in events if e["event"] == "checkpoint"] == [20, 40]
    assert [e["path"] for e in events if e["event"] == "samples"] == [str(run.sample_path(20)), str(run.sample_path(40))]
    assert run.sample_path(40).is_file()
    # The event log holds exactly the yielded events.
    assert [e["event"] for e in events_of(run.path)] == kinds
    card = load_checkpoint(run.model).card
    last_eval = [e for e in events if e["event"] == "eval"][-1]
    assert last_eval["step"] == 40 and card.steps == 40
    assert card.test_bits_per_dim == events[-1]["test_bpd"] == last_eval["test_bpd"]
    for field in ("name", "family", "architecture", "image_shape", "n_bits", "training_data", "test_bits_per_dim",
                  "test_bits_per_dim_std", "licence"):
        assert getattr(card, field) is not None, field
    for fact in ("wall_time_s", "device", "seed"):
        assert card.provenance.get(fact) is not None, fact
    assert read_extra_metadata(run.checkpoint)["progress"]["step"] == 40


def test_learning_rate_halves_after_half_the_run():
    s = TrainSettings(steps=100, lr=1e-3, warmup_steps=10, lr_decay="halve")
    assert learning_rate(s, 50) == pytest.approx(1e-3) and learning_rate(s, 51) == pytest.approx(5e-4)


def test_glf_presets_follow_the_papers_schedule_and_the_command_line_can_override_it():
    glf, glow = get_family("glf").preset("small"), get_family("glow").preset("small")
    assert glf.lr_decay == "halve" and glow.lr_decay == "none"

    def settings(preset, *options):
        args = build_parser().parse_args(["train", "--data", "digits", *options])
        return train_settings(args, preset, 0)

    assert settings(glf).lr_decay == "halve" and settings(glow).lr_decay == "none"
    assert settings(glf, "--lr-decay", "cosine").lr_decay == "cosine"


def test_learning_rate_warms_up_then_decays_along_a_cosine():
    s = TrainSettings(steps=100, lr=1e-3, warmup_steps=10, lr_decay="cosine")
    assert learning_rate(s, 1) == pytest.approx(1e-4) and learning_rate(s, 10) == pytest.approx(1e-3)
    assert learning_rate(s, 55) == pytest.approx(5e-4) and learning_rate(s, 100) == pytest.approx(0.0, abs=1e-12)
    assert learning_rate(TrainSettings(steps=100, warmup_steps=10), 100) == pytest.approx(1e-3)


def test_presets_fit_the_image_size():
    assert preset_config("glow", "medium", [1, 28, 28], {}).levels == 2  # 28 halves twice
    assert preset_config("glow", "large", [3, 32, 32], {"hidden": 7}).hidden == 7
    assert preset_config("realnvp", "large", [1, 8, 8], {}).scales == 3


def test_nan_loss_rolls_back_lowers_the_lr_and_training_goes_on(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("FLOWSTUDIO_INJECT_NAN_AT_STEP", "8")
    run = tmp_path / "run"
    assert main(["train", *TINY, "--steps", "14", "--log-every", "1", "--guard-every", "5", "--lr", "2e-3",
                 "--run-dir", str(run), "--json"]) == 0
    events = events_of(run)
    warnings = [e["message"] for e in events if e["event"] == "warning"]
    assert len(warnings) == 1 and "step 8" in warnings[0] and "rolled back to the state of step 5" in warnings[0]
    steps = {e["step"]: e for e in events if e["event"] == "step"}
    assert 8 not in steps and set(steps) == set(range(1, 15)) - {8}
    assert steps[7]["lr"] == pytest.approx(2e-3) and steps[9]["lr"] == pytest.approx(1e-3)
    assert all(math.isfinite(e["loss_bpd"]) for e in steps.values())
    model = load_checkpoint(run / "model.safetensors").model
    assert all(torch.isfinite(p).all() for p in model.parameters())
    assert read_extra_metadata(run / "checkpoint.safetensors")["progress"]["lr_scale"] == 0.5


def test_repeated_nan_gives_up_with_an_error(digits, tmp_path, capsys):
    run = RunDir(tmp_path / "run")
    run.prepare()
    events = list(train(job(digits, steps=20, guard_every=3, max_rollbacks=2, debug_nan_steps=(5, 6, 7)), run))
    assert [e["event"] for e in events].count("warning") == 2
    assert events[-1]["event"] == "error" and "diverged" in events[-1]["message"]


class _DiskFillsUp:
    """Stands in for the ``os`` module of flowstudio.files (the atomic writer): once armed, a write stops half-way with ENOSPC."""

    def __init__(self):
        self.armed = False

    def __getattr__(self, name):
        return getattr(os, name)

    def fdopen(self, fd, mode):
        return _HalfWriter(os.fdopen(fd, mode)) if self.armed else os.fdopen(fd, mode)


class _HalfWriter:
    def __init__(self, fh):
        self.fh = fh

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.fh.close()

    def write(self, data):
        self.fh.write(data[:len(data) // 2])
        self.fh.flush()
        raise OSError(errno.ENOSPC, "No space left on device")


def test_full_disk_in_mid_checkpoint_write_stops_with_one_error_and_keeps_the_last_checkpoint(tmp_path, monkeypatch, capsys):
    disk = _DiskFillsUp()
    monkeypatch.setattr("flowstudio.files.os", disk)
    from flowstudio.training import engine

    real_save = engine.save_state

    def save_then_fill_the_disk(*args, **kwargs):
        real_save(*args, **kwargs)
        disk.armed = True

    monkeypatch.setattr(engine, "save_state", save_then_fill_the_disk)
    run = tmp_path / "run"
    status = main(["train", *TINY, "--steps", "12", "--checkpoint-every", "4", "--run-dir", str(run)])
    err = capsys.readouterr().err
    assert status == 1
    error_lines = [line for line in err.splitlines() if "error:" in line]
    assert len(error_lines) == 1 and "could not write the checkpoint (no space left on device)" in error_lines[0]
    assert "the last checkpoint (step 4) is intact" in error_lines[0]
    assert events_of(run)[-1]["event"] == "error"
    assert read_extra_metadata(run / "checkpoint.safetensors")["progress"]["step"] == 4
    assert load_checkpoint(run / "checkpoint.safetensors").card.steps == 4
    assert not list(run.glob(".*.tmp")) and not (run / "model.safetensors").exists()


def test_cancel_inside_a_long_evaluation_checkpoints_the_last_step(digits, tmp_path):
    control = Control()
    run = RunDir(tmp_path / "run")
    run.prepare()
    events = []
    for event in train(job(digits, steps=50, eval_every=3), run, control=control):
        events.append(event)
        if event["event"] == "step" and event["step"] == 3:
            control.cancel()  # noticed inside the evaluation that follows step 3
    assert [e["event"] for e in events[-3:]] == ["step", "checkpoint", "cancelled"]
    assert events[-1] == {**events[-1], "step": 3, "checkpoint": str(run.checkpoint)}
    assert read_extra_metadata(run.checkpoint)["progress"]["step"] == 3


def test_pause_blocks_until_resumed(digits):
    control = Control()
    stream = train(job(digits, steps=4), control=control)
    assert next(stream)["event"] == "start"
    control.pause()
    assert next(stream)["event"] == "paused"
    control.resume()
    assert [e["event"] for e in stream][:2] == ["resumed", "step"]


def test_events_are_strict_json_even_with_nan():
    from flowstudio.training.events import make_event, to_json_line

    line = to_json_line(make_event("step", loss_bpd=float("nan"), nested={"x": [float("inf")]}))
    assert json.loads(line)["loss_bpd"] is None and json.loads(line)["nested"] == {"x": [None]}


@pytest.mark.parametrize("family, arch", [("realnvp", ["scales=2", "hidden=8", "blocks=1"]),
                                          ("nice", ["couplings=2", "hidden=16", "depth=1"])])
def test_every_family_trains_from_the_command_line(family, arch, tmp_path, capsys):
    out = tmp_path / f"{family}.safetensors"
    arch_args = [a for item in arch for a in ("--arch", item)]
    assert main(["train", "--data", "digits", "--family", family, *arch_args, "--steps", "3", "--batch-size", "16",
                 "--sample-every", "3", "--run-dir", str(tmp_path / "run"), "-o", str(out)]) == 0
    card = load_checkpoint(out).card
    assert card.family == family and card.steps == 3 and card.provenance["recipe"].startswith("flowstudio train")
    assert (tmp_path / "run" / "samples" / "step_000003.png").is_file()
