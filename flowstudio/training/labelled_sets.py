"""Labelled training data from lists of image files: one list per class, plus unlabelled files.

The studio's Train panel turns its evidence sets into classes (each set's
images labelled by the set's name) and adds folders of unlabelled images, for
the label-conditioned and semi-supervised families (e.g. the semi-conditional
flow of Atanov et al. 2019, arXiv:1905.00505, which learns ``p(x, y)`` from the
labelled images and ``p(x) = sum_y p(x, y)`` from the rest).  Training runs as a
``flowstudio train`` child process, so the lists travel in a small JSON file,
the *manifest* (``NAME.labelled.json``), given as ``--data``:

    {"kind": "flowstudio-labelled-sets", "classes": {"sneakers": [file, ...], ...}, "unlabelled": [file, ...]}

:func:`labelled_image_sets` loads it as a :class:`~flowstudio.training.datasets.TrainData`: 10% of the
*labelled* images are held out (so the held-out test error has every label), every unlabelled image is a
training example with label ``-1``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from flowstudio.data import load_images
from flowstudio.files import atomic_write_bytes
from flowstudio.training.datasets import (FOLDER_SIDE, DataError, TrainData, _conversion_warnings, _skipped_warning,
                                          _split)

MANIFEST_SUFFIX = ".labelled.json"
KIND = "flowstudio-labelled-sets"


def is_manifest(source: str) -> bool:
    """Whether ``--data source`` names a labelled-sets manifest."""
    return source.lower().endswith(MANIFEST_SUFFIX)


def write_manifest(path: str | Path, classes: Mapping[str, Sequence[str | Path]],
                   unlabelled: Sequence[str | Path] = ()) -> Path:
    """Write the manifest of ``classes`` (name -> image files or folders) and ``unlabelled`` files or folders
    (as absolute paths: the training process may run elsewhere)."""
    path = Path(path)
    if not path.name.lower().endswith(MANIFEST_SUFFIX):
        raise DataError(f"{path}: a labelled-sets manifest is named *{MANIFEST_SUFFIX}")
    record = {"kind": KIND, "classes": {name: [str(Path(p).absolute()) for p in files]
                                        for name, files in classes.items()},
              "unlabelled": [str(Path(p).absolute()) for p in unlabelled]}  # read from the run's own folder
    atomic_write_bytes(path, json.dumps(record, indent=1).encode())
    return path


def read_manifest(path: str | Path) -> tuple[dict[str, list[str]], list[str]]:
    """``(classes, unlabelled)`` of a manifest; a file that is not one is a :class:`DataError` saying why."""
    try:
        record = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DataError(f"--data {path}: cannot read the labelled-sets manifest ({exc})") from None
    classes = record.get("classes") if isinstance(record, dict) else None
    unlabelled = record.get("unlabelled", []) if isinstance(record, dict) else None
    if (record.get("kind") if isinstance(record, dict) else None) != KIND or not isinstance(classes, dict) \
            or not all(isinstance(v, list) for v in classes.values()) or not isinstance(unlabelled, list):
        raise DataError(f"--data {path}: not a labelled-sets manifest (kind {KIND!r}, classes and unlabelled lists)")
    return {str(k): [str(p) for p in v] for k, v in classes.items()}, [str(p) for p in unlabelled]


def labelled_image_sets(classes: Mapping[str, Sequence[str | Path]], unlabelled: Sequence[str | Path] = (),
                        image_size: int | None = None, channels: int | None = None, seed: int = 0) -> TrainData:
    """Images of each class (labelled by the class's position in ``classes``) and unlabelled images, at
    ``image_size`` (default 32) with ``channels`` (default 3), split as the module docstring says."""
    side, channels = image_size or FOLDER_SIDE, channels or 3
    names = [name for name, files in classes.items() if files]
    if len(names) < 2:
        raise DataError("labelled training needs at least two classes with images (each evidence set is one)")
    parts, labels, errors, paths = [], [], [], []
    for k, name in enumerate(names):
        result = load_images([Path(p) for p in classes[name]], channels, (side, side))
        if not len(result.images):
            raise DataError(f"class {name!r} has no usable images")
        parts.append(result.images)
        labels.append(np.full(len(result.images), k, np.int64))
        errors += result.errors
        paths += result.paths
    free = load_images([Path(p) for p in unlabelled], channels, (side, side)) if unlabelled else None
    if free is not None:
        errors += free.errors
        paths += free.paths
    warnings = ([_skipped_warning(errors)] if errors else []) + _conversion_warnings(paths, side, channels)
    n_free = 0 if free is None else len(free.images)
    kind = "grey" if channels == 1 else "colour"
    total = sum(len(p) for p in parts)
    description = (f"{total:,} labelled images in {len(names)} classes ({', '.join(names)})"
                   f"{f' and {n_free:,} unlabelled' if n_free else ''}, {kind}, {side}x{side}; "
                   "10% of the labelled held out")
    data = _split(np.concatenate(parts), seed, description, "as the images given", warnings,
                  labels=np.concatenate(labels), class_names=tuple(names))
    if not n_free:
        return data
    return TrainData(torch.cat([data.train, torch.from_numpy(np.ascontiguousarray(free.images))]), data.test,
                     data.description, data.licence, data.warnings,
                     train_labels=torch.cat([data.train_labels, torch.full((n_free,), -1, dtype=torch.int64)]),
                     test_labels=data.test_labels, class_names=data.class_names)


def load_manifest(path: str | Path, image_size: int | None = None, channels: int | None = None,
                  seed: int = 0) -> TrainData:
    """:func:`labelled_image_sets` of the manifest at ``path``."""
    classes, unlabelled = read_manifest(path)
    return labelled_image_sets(classes, unlabelled, image_size, channels, seed)
