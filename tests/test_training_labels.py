"""Labelled training data: which sources carry labels, keeping N of them (--labelled), and the engine's checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowstudio.checkpoint import load_checkpoint
from flowstudio.cli.main import main
from flowstudio.data.toy2d import LABELLED_TOYS, sample_toy, sample_toy_labelled
from flowstudio.registry import FAMILIES
from flowstudio.training import DataError, load_training_data
from flowstudio.training.control import Control
from flowstudio.training.datasets import TrainData
from flowstudio.training.distributed import Cluster
from flowstudio.training.engine import TrainJob, _Session
from flowstudio.training.presets import preset_config
from flowstudio.training.settings import TrainSettings
from tests.training_utils import events_of, losses


def test_labelled_toys_give_the_points_of_the_unlabelled_sampler_and_their_parts():
    for name in LABELLED_TOYS:
        points, labels = sample_toy_labelled(name, 500, seed=3)
        assert np.array_equal(points, sample_toy(name, 500, seed=3))
        assert labels.dtype == np.int64 and labels.min() == 0
    points, labels = sample_toy_labelled("8modes", 4000, seed=0)
    centres = np.array([points[labels == k].mean(0) for k in range(8)])
    radius = np.hypot(*centres.T)
    assert np.allclose(radius, np.hypot(2.4142, 1.0), atol=0.05)  # every mode sits on the 8-mode ring
    assert np.allclose([points[labels == k].std(0) for k in range(8)], 0.2, atol=0.03)
    moons, which = sample_toy_labelled("moons", 1000)
    assert moons[which == 0, 1].mean() > moons[which == 1, 1].mean()  # label 0 is the upper moon
    with pytest.raises(Exception, match="checkerboard.*no labels"):
        sample_toy_labelled("checkerboard", 10)


def test_builtin_sources_carry_their_labels_through_the_split():
    data = load_training_data("digits")
    assert data.class_names == tuple("0123456789") and data.n_labelled == len(data.train)
    assert len(data.test_labels) == len(data.test) and data.test_labels.dtype == torch.int64
    moons = load_training_data("moons", max_images=400)
    inner = moons.train[moons.train_labels == 1]
    assert inner[:, 1].mean() < moons.train[moons.train_labels == 0][:, 1].mean()  # the labels followed the shuffle
    assert load_training_data("checkerboard", max_images=100).train_labels is None


def test_keeping_n_labels_spreads_them_over_the_classes_and_marks_the_rest_unlabelled():
    data = load_training_data("moons", max_images=1000, labelled=10, seed=4)
    kept = data.train_labels[data.train_labels >= 0]
    assert data.n_labelled == 10 and torch.equal(torch.bincount(kept), torch.tensor([5, 5]))
    assert (data.test_labels >= 0).all() and "10 of 900 training labels kept" in data.description
    again = load_training_data("moons", max_images=1000, labelled=10, seed=4)
    assert torch.equal(again.train_labels, data.train_labels)
    assert torch.equal(data.train_labels[data.train_labels >= 0], data.keep_labels(10, 4).train_labels[
        data.train_labels >= 0])  # keeping as many again keeps the same ones
    odd = load_training_data("digits", labelled=13)
    assert sorted(torch.bincount(odd.train_labels[odd.train_labels >= 0]).tolist()) == [1] * 7 + [2] * 3
    assert data.digest() != load_training_data("moons", max_images=1000, labelled=20, seed=4).digest()


@pytest.mark.parametrize("n, message", [(1, "between 2 .* and 900"), (5000, "between 2 .* and 900")])
def test_a_label_count_the_data_cannot_give_is_refused(n, message):
    with pytest.raises(DataError, match=message):
        load_training_data("moons", max_images=1000, labelled=n)


def test_data_without_labels_refuses_labelled():
    with pytest.raises(DataError, match="no labels"):
        load_training_data("checkerboard", max_images=100, labelled=10)
    bare = TrainData(torch.zeros(30, 2), torch.zeros(3, 2), "points", "none", kind="points")
    with pytest.raises(DataError, match="no labels"):
        bare.keep_labels(4, 0)


# -- the engine with a semi-supervised family -------------------------------------------------------------
SEMI = next(f for f in FAMILIES.values() if f.capabilities.semi_supervised and "points" in f.data_kinds)
SEMI_ARGS = ["train", "--family", SEMI.name, "--data", "moons", "--max-images", "400", "--labelled", "10",
             *(a for key, value in SEMI.tiny_for("points").items() for a in ("--arch", f"{key}={value}")),
             "--batch-size", "32", "--log-every", "1", "--eval-every", "4", "--sample-every", "0"]


def test_every_semi_supervised_batch_holds_its_share_of_the_few_labelled_examples():
    data = load_training_data("moons", max_images=400, labelled=10)
    job = TrainJob(preset_config(SEMI.name, "small", data.sample_shape, {}, data.class_names), data,
                   TrainSettings(steps=2, batch_size=32, labelled_share=0.25))
    session = _Session(job, None, torch.device("cpu"), Control(), Cluster())
    order = torch.arange(32)  # the first 32 examples of the order: by chance none or one labelled
    batches = [session._with_labelled(step, order) for step in (1, 2)]
    for batch in batches:
        assert len(batch) == 32 and torch.equal(batch[:24], order[:24])
        assert (data.train_labels[batch[24:]] >= 0).all() and len(set(batch[24:].tolist())) == 8
    assert not torch.equal(batches[0], batches[1])  # drawn again for every step
    assert torch.equal(session._with_labelled(1, order), batches[0])  # and the same again for the same step
    job.settings.labelled_share = 0.0
    assert torch.equal(session._with_labelled(1, order), order)


def test_a_resumed_semi_supervised_run_repeats_the_uninterrupted_one(tmp_path, capsys):
    whole, split = tmp_path / "whole", tmp_path / "split"
    assert main([*SEMI_ARGS, "--steps", "8", "--run-dir", str(whole)]) == 0
    assert "test error" in capsys.readouterr().err
    assert main([*SEMI_ARGS, "--steps", "4", "--run-dir", str(split)]) == 0
    assert main(["train", "--resume", str(split), "--steps", "8"]) == 0
    assert losses(events_of(split)) == losses(events_of(whole))
    card = load_checkpoint(whole / "model.safetensors").card
    assert card.labels == ("upper moon", "lower moon") and card.provenance["labelled_examples"] == 10
    assert 0 <= card.provenance["test_error"] <= 1
    assert dict(card.rows())["Test error"].endswith("(trained with 10 labels)")


def test_a_family_that_is_not_semi_supervised_refuses_unlabelled_examples(tmp_path, capsys):
    labelled_only = next(f for f in FAMILIES.values()
                         if f.capabilities.classification and not f.capabilities.semi_supervised)
    assert main(["train", "--family", labelled_only.name, "--data", "moons", "--max-images", "400",
                 "--labelled", "10", "--steps", "2", "--run-dir", str(tmp_path / "r")]) != 0
    assert "learn from labelled examples only, and 350 of the 360" in capsys.readouterr().err
