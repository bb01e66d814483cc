"""A small Fashion-MNIST classifier whose penultimate layer is the feature space of FD-FashionCNN.

The Fréchet Inception Distance (Heusel et al. 2017, arXiv:1706.08500) compares
generated and real images through Inception-v3 features; those weights cannot
be downloaded here, and Inception sees 299 x 299 colour photographs, not 28 x 28
grey clothes.  We train our own compact CNN on the Fashion-MNIST *train* split
and use its 128 penultimate activations instead (as Xiao, Yan & Amit's GLF
paper, arXiv:1905.10485, does for its supplementary MNIST/Fashion metrics with a
LeNet-like classifier).  The numbers are therefore *not* Inception FIDs and are
reported as "FD-FashionCNN".

Architecture (``x`` in [0, 1], standardised by the train split's mean and std)::

    conv3x3(1->16)+BN+ReLU, maxpool2        28 -> 14
    conv3x3(16->32)+BN+ReLU, maxpool2       14 -> 7
    conv3x3(32->64)+BN+ReLU
    flatten(3136) -> FC 128 + ReLU          <- features  phi(x) in R^128

(small enough that an epoch on the 60,000 training images takes about two and a
half minutes on two idle CPU threads; the bundled 4 epochs reach 91.9 % test accuracy)
    dropout, FC 10                          <- logits

The weights are bundled as ``resources/metrics/fashion_classifier.safetensors``
(tensors plus JSON metadata: test accuracy, the recipe command, the data and its
licence), made by :mod:`flowstudio.metrics.train_classifier`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save
from torch import nn

from flowstudio.errors import UserInputError
from flowstudio.files import atomic_write_bytes
from flowstudio.resources import resources_dir

FEATURES = 128
"""Width of the penultimate layer: the dimension of the Fréchet distance's Gaussians."""
CLASSES = 10
MEAN, STD = 0.2860, 0.3530
"""Pixel mean and standard deviation of the Fashion-MNIST train split (in [0, 1])."""
METADATA_KEY = "flowstudio.metric_model"
BUNDLED = "metrics/fashion_classifier.safetensors"


class ClassifierFileError(UserInputError):
    """A classifier weights file that is missing, damaged or not ours; the message says which."""


def _block(c_in: int, c_out: int) -> list[nn.Module]:
    return [nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True)]


class FashionCNN(nn.Module):
    """The classifier: :meth:`features` (``[B, 128]``) and :meth:`forward` (logits ``[B, 10]``).

    Both take uint8 images ``[B, 1, 28, 28]`` (0-255, as :func:`flowstudio.data.load_fashion_mnist`
    gives them and as the models sample them) or floats in [0, 1].
    """

    def __init__(self) -> None:
        super().__init__()
        self.body = nn.Sequential(*_block(1, 16), nn.MaxPool2d(2), *_block(16, 32), nn.MaxPool2d(2),
                                  *_block(32, 64), nn.Flatten(),
                                  nn.Linear(64 * 7 * 7, FEATURES), nn.ReLU(inplace=True))
        self.head = nn.Sequential(nn.Dropout(0.3), nn.Linear(FEATURES, CLASSES))

    def features(self, images: torch.Tensor) -> torch.Tensor:
        if images.dim() != 4 or tuple(images.shape[1:]) != (1, 28, 28):
            raise UserInputError(f"the Fashion-MNIST classifier takes [B, 1, 28, 28] images, got {list(images.shape)}")
        x = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
        return self.body((x - MEAN) / STD)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(images))


def save_classifier(cnn: FashionCNN, path: str | Path, facts: dict[str, Any]) -> None:
    """Write ``cnn``'s weights and ``facts`` (test accuracy, recipe, data, licence) as safetensors + JSON."""
    state = {k: v.detach().contiguous() for k, v in cnn.state_dict().items()}
    atomic_write_bytes(Path(path), save(state, metadata={METADATA_KEY: json.dumps(facts, sort_keys=True)}))


def classifier_facts(path: str | Path) -> dict[str, Any]:
    """The JSON metadata stored with a classifier file (read without loading the tensors)."""
    try:
        with safe_open(str(path), framework="pt") as f:
            raw = (f.metadata() or {}).get(METADATA_KEY)
    except (OSError, SafetensorError) as exc:
        raise ClassifierFileError(f"cannot read the classifier weights {path}: {exc}") from None
    if raw is None:
        raise ClassifierFileError(f"{path} is not a Flow Studio metric classifier (no {METADATA_KEY} metadata)")
    return json.loads(raw)


def load_classifier(path: str | Path | None = None) -> tuple[FashionCNN, dict[str, Any]]:
    """The classifier (eval mode) and its facts; ``path`` defaults to the bundled weights."""
    path = Path(path) if path is not None else resources_dir() / BUNDLED
    if not path.is_file():
        raise ClassifierFileError(f"no classifier weights at {path} (make them with "
                                  "python -m flowstudio.metrics.train_classifier)")
    facts = classifier_facts(path)
    cnn = FashionCNN()
    try:
        cnn.load_state_dict(load_file(str(path)))
    except (RuntimeError, SafetensorError) as exc:
        raise ClassifierFileError(f"{path} does not hold this classifier's weights: {exc}") from None
    return cnn.eval(), facts
