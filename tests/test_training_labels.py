"""Labelled training data: which sources carry labels, keeping N of them (--labelled), and the engine's checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowstudio.data.toy2d import LABELLED_TOYS, sample_toy, sample_toy_labelled
from flowstudio.training import DataError, load_training_data
from flowstudio.training.datasets import TrainData


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
