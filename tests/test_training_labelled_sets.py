"""Labelled training data from lists of files per class plus unlabelled files (the studio's evidence sets as
classes), through the manifest the Train panel hands to ``flowstudio train --data``."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from flowstudio.data import load_digits
from flowstudio.training import DataError, load_training_data
from flowstudio.training.labelled_sets import write_manifest


def digit_folder(folder, digit, n, start=0):
    images, labels = load_digits()
    folder.mkdir(parents=True)
    for i in np.flatnonzero(labels == digit)[start:start + n]:
        Image.fromarray(images[i, 0]).save(folder / f"{i}.png")
    return folder


def test_each_set_is_a_class_the_unlabelled_are_minus_one_and_only_labelled_images_are_held_out(tmp_path):
    zeros, ones = digit_folder(tmp_path / "zeros", 0, 15), digit_folder(tmp_path / "ones", 1, 15)
    free = digit_folder(tmp_path / "free", 7, 12)
    manifest = write_manifest(tmp_path / "sets.labelled.json", {"zero": [zeros], "one": [ones]}, [free])
    data = load_training_data(str(manifest), image_size=8, channels=1)
    assert data.class_names == ("zero", "one") and data.sample_shape == [1, 8, 8]
    assert len(data.test) == 3 and (data.test_labels >= 0).all()  # 10% of the 30 labelled
    assert (data.train_labels == -1).sum() == 12 and data.n_labelled == 27
    bright = {k: data.train[data.train_labels == k].float().mean().item() for k in (0, 1)}
    assert bright[0] > bright[1]  # a zero has more ink than a one: the labels followed their images
    assert "30 labelled images in 2 classes (zero, one) and 12 unlabelled" in data.description
    kept = load_training_data(str(manifest), image_size=8, channels=1, labelled=4)
    assert kept.n_labelled == 4 and torch.equal(torch.bincount(kept.train_labels[kept.train_labels >= 0]),
                                                torch.tensor([2, 2]))


def test_a_manifest_needs_two_classes_and_says_what_is_wrong(tmp_path):
    zeros = digit_folder(tmp_path / "zeros", 0, 25)
    with pytest.raises(DataError, match="at least two classes"):
        load_training_data(str(write_manifest(tmp_path / "one.labelled.json", {"zero": [zeros]})))
    bad = tmp_path / "bad.labelled.json"
    bad.write_text('{"kind": "something else"}')
    with pytest.raises(DataError, match="not a labelled-sets manifest"):
        load_training_data(str(bad))
