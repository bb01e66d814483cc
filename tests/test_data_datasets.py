"""Tests for the bundled data sets: Fashion-MNIST (Debian package) and scikit-learn digits."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest

from flowstudio.data import CLASS_NAMES, DEFAULT_ROOT, load_digits, load_fashion_mnist

needs_fashion_mnist = pytest.mark.skipif(
    not (DEFAULT_ROOT / "t10k-images-idx3-ubyte.gz").is_file(),
    reason="apt-get install dataset-fashion-mnist",
)


def write_idx(path, magic, shape, payload: bytes):
    with gzip.open(path, "wb") as f:
        f.write(struct.pack(f">I{len(shape)}I", magic, *shape) + payload)


def write_test_split(root, images: np.ndarray, labels: np.ndarray):
    write_idx(root / "t10k-images-idx3-ubyte.gz", 0x803, images.shape, images.tobytes())
    write_idx(root / "t10k-labels-idx1-ubyte.gz", 0x801, labels.shape, labels.astype(np.uint8).tobytes())


@needs_fashion_mnist
def test_fashion_mnist_test_split():
    images, labels = load_fashion_mnist("test", limit=100)
    assert images.shape == (100, 1, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (100,) and labels.dtype == np.int64
    assert 0 <= labels.min() and labels.max() <= 9
    assert labels[0] == 9 and CLASS_NAMES[labels[0]] == "Ankle boot"
    assert images.max() == 255 and images[:, :, 0, 0].max() == 0  # black background
    first, first_labels = load_fashion_mnist("test", limit=10)
    assert (first == images[:10]).all() and (first_labels == labels[:10]).all()


def test_class_names():
    assert len(CLASS_NAMES) == 10 and CLASS_NAMES[0] == "T-shirt/top" and CLASS_NAMES[9] == "Ankle boot"


def test_idx_reader_on_a_small_synthetic_split(tmp_path):
    images = np.arange(3 * 28 * 28, dtype=np.uint32).astype(np.uint8).reshape(3, 28, 28)
    write_test_split(tmp_path, images, np.array([4, 0, 9]))
    loaded, labels = load_fashion_mnist("test", root=tmp_path)
    assert (loaded[:, 0] == images).all() and labels.tolist() == [4, 0, 9]
    assert len(load_fashion_mnist("test", root=tmp_path, limit=50)[0]) == 3


def test_missing_root_gives_install_hint(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        load_fashion_mnist("test", root=tmp_path / "nowhere")


def test_wrong_magic_number(tmp_path):
    write_test_split(tmp_path, np.zeros((2, 28, 28), np.uint8), np.zeros(2))
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", 0x801, (2,), bytes(2))  # a labels file
    with pytest.raises(ValueError, match="corrupt idx file: magic number"):
        load_fashion_mnist("test", root=tmp_path)


def test_data_shorter_than_header_says(tmp_path):
    write_test_split(tmp_path, np.zeros((2, 28, 28), np.uint8), np.zeros(2))
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", 0x803, (5, 28, 28), bytes(2 * 28 * 28))
    with pytest.raises(ValueError, match="ends early"):
        load_fashion_mnist("test", root=tmp_path)


def test_not_gzip(tmp_path):
    write_test_split(tmp_path, np.zeros((2, 28, 28), np.uint8), np.zeros(2))
    (tmp_path / "t10k-labels-idx1-ubyte.gz").write_bytes(b"plain text")
    with pytest.raises(ValueError, match="corrupt idx file"):
        load_fashion_mnist("test", root=tmp_path)


def test_bad_split():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_fashion_mnist("validation")


def test_digits():
    images, labels = load_digits()
    assert images.shape == (1797, 1, 8, 8) and images.dtype == np.uint8
    assert images.min() == 0 and images.max() == 255
    assert labels.dtype == np.int64 and labels[:10].tolist() == list(range(10))


def test_digits_read_directly_are_scikit_learns_digits():
    from sklearn.datasets import load_digits as sklearn_load_digits

    theirs = sklearn_load_digits()
    images, labels = load_digits()
    assert np.array_equal(images[:, 0], np.rint(theirs.images * (255.0 / 16.0)).astype(np.uint8))
    assert np.array_equal(labels, theirs.target)


def test_digits_resized():
    images, labels = load_digits(size=16)
    assert images.shape == (1797, 1, 16, 16) and images.dtype == np.uint8
    assert len(labels) == 1797 and images.max() > 200
