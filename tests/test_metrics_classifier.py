"""The metric's Fashion-MNIST classifier: file round trip, clear errors, and the bundled weights' accuracy."""

from __future__ import annotations

import json

import pytest
import torch
from safetensors.torch import save_file

from flowstudio.data import load_fashion_mnist
from flowstudio.errors import UserInputError
from flowstudio.metrics.fashion_classifier import (
    ClassifierFileError, FashionCNN, classifier_facts, load_classifier, save_classifier)
from flowstudio.metrics.frechet import classifier_features, sample_quality
from flowstudio.metrics.train_classifier import ClassifierTraining, accuracy, train_classifier


@pytest.fixture(scope="module")
def test_split():
    return load_fashion_mnist("test", limit=1000)


@pytest.fixture(scope="module")
def bundled():
    return load_classifier()


def test_a_trained_classifier_round_trips_through_its_file(tmp_path, test_split):
    images, labels = load_fashion_mnist("train", limit=256)
    cnn, seconds = train_classifier(images, labels, ClassifierTraining(epochs=1), log=lambda _: None)
    path = tmp_path / "cnn.safetensors"
    save_classifier(cnn, path, {"test_accuracy": 0.5, "recipe": "test"})
    loaded, facts = load_classifier(path)
    assert facts == {"test_accuracy": 0.5, "recipe": "test"} == classifier_facts(path)
    x = torch.from_numpy(test_split[0][:64])
    with torch.no_grad():
        assert torch.equal(loaded(x), cnn(x))
    assert loaded.features(x).shape == (64, 128)
    with pytest.raises(UserInputError, match=r"takes \[B, 1, 28, 28\] images, got \[2, 3, 28, 28\]"):
        loaded.features(torch.zeros(2, 3, 28, 28, dtype=torch.uint8))
    assert seconds > 0


def test_files_that_are_not_classifiers_are_refused_clearly(tmp_path):
    with pytest.raises(ClassifierFileError, match="no classifier weights"):
        load_classifier(tmp_path / "missing.safetensors")
    (tmp_path / "junk.safetensors").write_bytes(b"not a safetensors file")
    with pytest.raises(ClassifierFileError, match="cannot read"):
        load_classifier(tmp_path / "junk.safetensors")
    save_file({"w": torch.zeros(2)}, tmp_path / "plain.safetensors")
    with pytest.raises(ClassifierFileError, match="not a Flow Studio metric classifier"):
        load_classifier(tmp_path / "plain.safetensors")
    save_file({"w": torch.zeros(2)}, tmp_path / "other.safetensors",
              metadata={"flowstudio.metric_model": json.dumps({})})
    with pytest.raises(ClassifierFileError, match="does not hold"):
        load_classifier(tmp_path / "other.safetensors")


def test_the_bundled_classifier_knows_fashion_mnist(bundled, test_split):
    cnn, facts = bundled
    assert isinstance(cnn, FashionCNN)
    assert facts["test_accuracy"] >= 0.88 and "benchmarks/recipes/fashion_classifier.py" in facts["recipe"]
    assert accuracy(cnn, *test_split) >= 0.88


def test_fd_on_the_bundled_features_tells_real_images_from_damaged_ones(bundled, test_split):
    cnn, _ = bundled
    images = torch.from_numpy(test_split[0])
    real, other = images[:500], images[500:]
    noisy = (other.float() + 80 * torch.randn(other.shape, generator=torch.Generator().manual_seed(0)))
    noisy = noisy.clamp(0, 255).to(torch.uint8)
    same = sample_quality(other, real, cnn)
    damaged = sample_quality(noisy, real, cnn)
    assert damaged.fd > 5 * same.fd > 0
    assert same.precision > 0.6 and same.recall > 0.6
    assert damaged.precision < same.precision
    assert classifier_features(cnn, real).shape == (500, 128)
