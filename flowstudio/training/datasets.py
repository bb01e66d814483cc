"""Training data: a built-in data set, a folder of images, or points, split into train and held-out parts.

Sources (``flowstudio train --data``) of images (uint8 ``[N, C, H, W]``, kind ``"images"``):

* ``digits``: scikit-learn's 1,797 grey 8 x 8 digits (optionally resized);
* ``fashion-mnist``: 60,000 grey 28 x 28 training images; its own 10,000-image
  test split is the held-out part;
* ``portraits``: procedural colour 32 x 32 portraits
  (:mod:`flowstudio.data.portraits`, imported only when asked for);
* a folder: every image under it, converted to the chosen channels and size.

Sources of points (float32 ``[N, D]``, kind ``"points"``, for the vector flows):

* a toy density name (:data:`flowstudio.data.toy2d.TOY_NAMES`: ``moons``,
  ``circles``, ``8gaussians``, ``8modes``, ``checkerboard``, ``spirals``, ``rings``):
  :data:`DEFAULT_POINTS` points of data seed 0;
* a ``.csv`` file: one point per row (:func:`flowstudio.data.toy2d.load_points_csv`);
* one picture file: the picture as a 2-D density, its darkness the density
  (:func:`flowstudio.data.toy2d.image_density_points`), :data:`DEFAULT_POINTS`
  points of data seed 0.  (A single picture cannot be a training set of
  images, so a picture file always means this.)

``max_images`` caps the number of images, or of points.  Except for
Fashion-MNIST, 10% of the examples (at least one) are held out by a seeded shuffle.  Problems with a folder are collected as warning messages
(skipped files and why, how many images were resized or had their channels
converted) instead of being printed, so the engine can emit them as events.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from flowstudio.data import IMAGE_EXTENSIONS, load_digits, load_fashion_mnist, load_images
from flowstudio.data.fashion_mnist import CLASS_NAMES as FASHION_CLASSES
from flowstudio.data.toy2d import (
    LABELLED_TOYS,
    TOY_NAMES,
    image_density_points,
    load_points_csv,
    sample_toy,
    sample_toy_labelled,
    toy_class_names,
)
from flowstudio.errors import UserInputError

MIN_IMAGES = 20
"""Fewer usable images than this cannot train anything (and leave no held-out set)."""

BUILTIN = ("digits", "fashion-mnist", "portraits")
DEFAULT_POINTS = 20_000
"""Points drawn from a toy density or a picture when no count is given."""
DEFAULT_PORTRAITS = 20_000
FOLDER_SIDE = 32
LISTED_PROBLEMS = 10
"""How many skipped files a warning names before summarising the rest."""

_GREY_MODES = frozenset({"1", "L", "LA", "La", "I", "I;16", "I;16L", "I;16B", "I;16N", "F"})


class DataError(UserInputError):
    """The data cannot be used for training; the message says why."""


@dataclass
class TrainData:
    """uint8 ``[N, C, H, W]`` training and held-out images, and what they are."""

    train: torch.Tensor
    test: torch.Tensor
    description: str
    licence: str
    warnings: list[str] = field(default_factory=list)
    kind: str = "images"
    """What the samples are, as the registry's ``data_kinds`` name it."""
    train_labels: torch.Tensor | None = None
    """int64 ``[N]`` class indices of the training examples, ``-1`` where unlabelled (``None``: no labels)."""
    test_labels: torch.Tensor | None = None
    """int64 class indices of every held-out example (``None``: no labels)."""
    class_names: tuple[str, ...] = ()
    """The names of classes ``0..K-1``."""

    @property
    def n_labelled(self) -> int:
        """How many training examples have a label."""
        return 0 if self.train_labels is None else int((self.train_labels >= 0).sum())

    @property
    def sample_shape(self) -> list[int]:
        """The shape of one example: ``[C, H, W]`` for images, ``[D]`` for points."""
        return [int(v) for v in self.train.shape[1:]]

    def digest(self) -> str:
        """Short hash of the pixels and split, to notice a folder that changed before a resume."""
        h = hashlib.sha256()
        for part in (self.train, self.test):
            h.update(str(tuple(part.shape)).encode())
            h.update(part.numpy().tobytes())
        for labels in (self.train_labels, self.test_labels):
            if labels is not None:
                h.update(labels.numpy().tobytes())
        return h.hexdigest()[:16]

    def keep_labels(self, n: int, seed: int) -> TrainData:
        """This data with only ``n`` training labels kept (the rest ``-1``): as evenly over the classes as the
        classes allow (``n // K`` each, one more for the first ``n % K`` classes in a seeded order), each
        class's kept examples drawn by a shuffle of ``seed``; raises :class:`DataError`."""
        if self.train_labels is None:
            raise DataError("--labelled: this data has no labels (labelled data: fashion-mnist, digits, the toys "
                            f"{', '.join(LABELLED_TOYS)})")
        k = len(self.class_names)
        have = self.n_labelled
        if not k <= n <= have:
            raise DataError(f"--labelled {n}: keep between {k} (one per class) and {have:,} labels")
        rng = np.random.default_rng([seed, 7])
        labels = self.train_labels.numpy()
        share = np.full(k, n // k)
        share[rng.permutation(k)[:n % k]] += 1
        kept = np.full_like(labels, -1)
        for c in range(k):
            members = np.flatnonzero(labels == c)
            if len(members) < share[c]:
                raise DataError(f"--labelled {n}: class {self.class_names[c]!r} has only {len(members)} examples")
            chosen = rng.permutation(members)[:share[c]]
            kept[chosen] = c
        return replace(self, train_labels=torch.from_numpy(kept),
                       description=f"{self.description}; {n:,} of {len(labels):,} training labels kept")



def load_training_data(source: str, image_size: int | None = None, channels: int | None = None,
                       max_images: int | None = None, seed: int = 0, labelled: int | None = None) -> TrainData:
    """Load ``source`` (a :data:`BUILTIN` or toy name, a folder, a CSV or picture file) and split it;
    raises :class:`DataError`.

    Fashion-MNIST, the digits and the labelled toys come with their labels; ``labelled=N`` keeps ``N`` of
    the training labels (:meth:`TrainData.keep_labels`, seeded by ``seed``) for semi-supervised training.
    """
    data = _load(source, image_size, channels, max_images, seed)
    return data if labelled is None else data.keep_labels(labelled, seed)


def _load(source: str, image_size: int | None, channels: int | None, max_images: int | None,
          seed: int) -> TrainData:
    if max_images is not None and max_images < MIN_IMAGES:
        raise DataError(f"--max-images {max_images}: at least {MIN_IMAGES} examples are needed to train")
    from flowstudio.training.labelled_sets import is_manifest, load_manifest  # it builds on this module

    if is_manifest(source):  # the studio's evidence sets as classes, and unlabelled folders
        return load_manifest(source, image_size, channels, seed)
    if source in TOY_NAMES or Path(source).suffix.lower() == ".csv" or _is_picture(source):
        _fixed_format(source, image_size, channels, side=None, n_channels=None)
        return _load_points(source, max_images, seed)
    if source == "fashion-mnist":
        _fixed_format(source, image_size, channels, side=28, n_channels=1)
        train, train_labels = load_fashion_mnist("train", limit=max_images)
        test, test_labels = load_fashion_mnist("test", limit=None if max_images is None else max(1, max_images // 6))
        return TrainData(torch.from_numpy(train), torch.from_numpy(test),
                         f"Fashion-MNIST train ({len(train):,} images; its test split held out)",
                         "Fashion-MNIST: MIT (Zalando Research)",
                         train_labels=_labels(train_labels), test_labels=_labels(test_labels),
                         class_names=tuple(FASHION_CLASSES))
    if source == "digits":
        _fixed_format(source, None, channels, side=None, n_channels=1)
        images, labels = load_digits(size=image_size)
        images, labels = images[:max_images], labels[:max_images]
        side = images.shape[-1]
        return _split(images, seed, f"scikit-learn digits ({len(images):,} at {side}x{side}; 10% held out)",
                      "scikit-learn digits: BSD-3-Clause (UCI optical digits, CC BY 4.0)", [],
                      labels=labels, class_names=tuple(str(d) for d in range(10)))
    if source == "portraits":
        _fixed_format(source, image_size, channels, side=32, n_channels=3)
        try:
            from flowstudio.data.portraits import generate_portraits
        except ImportError:
            raise DataError("procedural portraits are not available in this installation") from None
        images, _ = generate_portraits(max_images or DEFAULT_PORTRAITS, seed=0)
        return _split(np.asarray(images), seed,
                      f"procedural portraits ({len(images):,}, data seed 0; 10% held out)",
                      "procedural portraits drawn by Flow Studio: no restrictions", [])
    return _load_folder(Path(source), image_size or FOLDER_SIDE, channels or 3, max_images, seed)


def _fixed_format(source: str, image_size: int | None, channels: int | None, side: int | None,
                  n_channels: int | None) -> None:
    """Refuse ``--image-size``/``--channels`` where ``source`` fixes them (``n_channels=None``: points)."""
    if n_channels is None and (image_size is not None or channels is not None):
        raise DataError(f"--image-size and --channels are for images; {source} gives points")
    if image_size is not None and side is not None and image_size != side:
        raise DataError(f"--image-size: {source} images are {side}x{side}; other sizes are for folders and digits")
    if channels is not None and channels != n_channels:
        kind = "grey" if n_channels == 1 else "colour"
        raise DataError(f"--channels: {source} images are {kind} ({n_channels} channel"
                        f"{'s' if n_channels > 1 else ''}); --channels is for folders")


def _load_folder(folder: Path, side: int, channels: int, max_images: int | None, seed: int) -> TrainData:
    if not folder.is_dir():
        raise DataError(f"--data {str(folder)!r}: not a folder, and not one of {', '.join(BUILTIN)} (images) or "
                        f"{', '.join(TOY_NAMES)} (points), a .csv file of points or a picture file")
    result = load_images([folder], channels, (side, side))
    warnings = [_skipped_warning(result.errors)] if result.errors else []
    warnings += _conversion_warnings(result.paths, side, channels)
    if len(result.images) < MIN_IMAGES:
        skipped = f"; {_skipped_warning(result.errors)}" if result.errors else ""
        raise DataError(f"only {len(result.images)} usable images in {folder}: "
                        f"at least {MIN_IMAGES} are needed to train{skipped}")
    images = result.images[:max_images]
    kind = "grey" if channels == 1 else "colour"
    return _split(images, seed, f"{len(images):,} images from folder {folder.name} ({kind}, {side}x{side}; "
                  "10% held out)", f"as the images in {folder.name}", warnings)


def _skipped_warning(errors: list[tuple[Path, str]]) -> str:
    listed = "; ".join(f"{path.name}: {reason}" for path, reason in errors[:LISTED_PROBLEMS])
    more = f"; and {len(errors) - LISTED_PROBLEMS} more" if len(errors) > LISTED_PROBLEMS else ""
    return f"skipped {len(errors)} file{'s' if len(errors) != 1 else ''} that could not be used: {listed}{more}"


def _conversion_warnings(paths: list[Path], side: int, channels: int) -> list[str]:
    """Say how many images were resized and how many had their channels converted (from headers only)."""
    sizes: Counter[tuple[int, int]] = Counter()
    grey = 0
    for path in paths:
        with Image.open(path) as im:
            sizes[im.size] += 1
            grey += im.mode in _GREY_MODES
    warnings = []
    resized = sum(n for size, n in sizes.items() if size != (side, side))
    if resized:
        found = ", ".join(f"{w}x{h} ({n})" for (w, h), n in sizes.most_common(5))
        more = ", ..." if len(sizes) > 5 else ""
        warnings.append(f"resized {resized} of {len(paths)} images to {side}x{side} (centre-cropped to square "
                        f"first); sizes found: {found}{more}")
    converted = len(paths) - grey if channels == 1 else grey
    if converted:
        what = "colour images to grey" if channels == 1 else "grey images to colour (RGB)"
        warnings.append(f"converted {converted} of {len(paths)} {what}")
    return warnings


def _is_picture(source: str) -> bool:
    path = Path(source)
    return path.suffix.lower() in IMAGE_EXTENSIONS and not path.is_dir()


def _load_points(source: str, max_points: int | None, seed: int) -> TrainData:
    n = max_points or DEFAULT_POINTS
    if source in TOY_NAMES:
        description = f"toy density {source} ({n:,} points, data seed 0; 10% held out)"
        licence = "toy density drawn by Flow Studio: no restrictions"
        if source in LABELLED_TOYS:
            points, labels = sample_toy_labelled(source, n, seed=0)
            return _split(points, seed, description, licence, [], kind="points", labels=labels,
                          class_names=toy_class_names(source))
        return _split(sample_toy(source, n, seed=0), seed, description, licence, [], kind="points")
    path = Path(source)
    if not path.is_file():
        raise DataError(f"--data {source!r}: no such file")
    if path.suffix.lower() == ".csv":
        points = load_points_csv(path)[:max_points]
        return _split(points, seed, f"{len(points):,} points of {points.shape[1]} dimensions from {path.name} "
                      "(10% held out)", f"as the points in {path.name}", [], kind="points")
    points = image_density_points(path, n, seed=0)
    return _split(points, seed, f"picture {path.name} as a 2-D density ({n:,} points, data seed 0; 10% held out)",
                  f"as the picture {path.name}", [], kind="points")


def _labels(labels: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(labels, dtype=np.int64))


def _split(examples: np.ndarray, seed: int, description: str, licence: str, warnings: list[str],
           kind: str = "images", labels: np.ndarray | None = None, class_names: tuple[str, ...] = ()) -> TrainData:
    """Hold out 10% (at least one example) by a seeded shuffle (the labels, if any, follow their examples)."""
    if len(examples) < MIN_IMAGES:
        raise DataError(f"only {len(examples)} usable {'points' if kind == 'points' else 'images'}: "
                        f"at least {MIN_IMAGES} are needed to train")
    order = np.random.default_rng(seed).permutation(len(examples))
    n_test = max(1, len(examples) // 10)
    t = torch.from_numpy(np.ascontiguousarray(examples[order]))
    y = None if labels is None else _labels(np.asarray(labels)[order])
    return TrainData(t[n_test:], t[:n_test], description, licence, warnings, kind=kind,
                     train_labels=None if y is None else y[n_test:], test_labels=None if y is None else y[:n_test],
                     class_names=class_names)
