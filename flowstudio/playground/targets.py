"""What the playground learns: a target density as training points plus its heat map.

A target comes from a toy density's name (:data:`flowstudio.data.toy2d.TOY_NAMES`),
a picture (its darkness is the density, :func:`flowstudio.data.toy2d.image_density_points`)
or a CSV file of 2-D points; a *labelled* target (:func:`labelled_toy_target`) is a toy whose points
also carry their class (which moon, circle or mode), only some of them known
to training (the semi-supervised toys: two moons or circles with 10 labels),
or all (the 8-mode inverse problem).  Toys and pictures have their heat map from
:func:`flowstudio.data.toy2d.density_grid` (exact where known); a CSV only
has its points, so its heat map is their histogram.  Points from a CSV that
do not fit the window ``[-E, E]^2`` are moved and scaled uniformly into it
(the note says by how much): the flow learns the shape, in the window the
playground shows.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flowstudio.data.toy2d import (
    EXTENT,
    TOY_NAMES,
    density_grid,
    image_density_points,
    load_points_csv,
    sample_toy,
    sample_toy_labelled,
    toy_class_names,
)
from flowstudio.errors import UserInputError
from flowstudio.playground.views import histogram_log_density
from flowstudio.registry import Family
from flowstudio.resources import resources_dir

TRAINING_POINTS = 20_000
"""Points drawn from a toy or a picture to train on (a CSV gives its own)."""
TARGET_RESOLUTION = 128
"""Cells a side of a target's heat map (drawn once per target, so finer than the learned one)."""
FIT_MARGIN = 0.9
"""Points scaled to fit reach this fraction of the window's half-width."""
CSV_SUFFIXES = (".csv", ".tsv", ".txt")
LABELLED_TARGETS = {"8modes": None, "moons": 10, "circles": 10}
"""The playground's labelled toys and how many of their points keep a label by default (``None``: every point):
the 8-mode inverse problem (Ardizzone et al. 2019, arXiv:1808.04730, FrEIA's ``toy_8-modes``) is fully labelled;
the moons and circles are semi-supervised toys, 10 labelled points among 20,000 (the few-labels setting of
semi-supervised flows such as Atanov et al. 2019, arXiv:1905.00505)."""


@dataclass(frozen=True)
class Target:
    """A density to learn: ``name`` (shown and stored in exports), training ``points`` ``float32 [n, 2]``, the
    ``log_density [R, R]`` of its heat map (top row first), and a ``note`` on what was done to the input."""

    name: str
    points: np.ndarray
    log_density: np.ndarray
    note: str = ""
    labels: np.ndarray | None = None
    """int64 ``[n]``: the class of each point that training may know, ``-1`` where it may not (``None``: an
    unlabelled target)."""
    classes: np.ndarray | None = None
    """int64 ``[n]``: every point's true class (the held-out test error counts against these)."""
    class_names: tuple[str, ...] = ()

    @property
    def labelled(self) -> bool:
        return self.labels is not None

    @property
    def partly_labelled(self) -> bool:
        """Some points have no label (training must be semi-supervised)."""
        return self.labels is not None and bool((self.labels < 0).any())


def family_fits(family: Family, labelled: bool, partly: bool) -> bool:
    """Whether ``family`` can learn a target: one without labels if the target has none, one that learns from
    labels (conditional or semi-supervised) if it has them, a semi-supervised one if only ``partly``."""
    caps = family.capabilities
    learns_labels = caps.label_conditioning or caps.semi_supervised
    return learns_labels == labelled and (caps.semi_supervised or not partly)


def toy_target(name: str, n: int = TRAINING_POINTS, seed: int = 0, resolution: int = TARGET_RESOLUTION) -> Target:
    """One of the toy densities by name."""
    if name not in TOY_NAMES:
        raise UserInputError(f"unknown toy density {name!r}; known: {', '.join(TOY_NAMES)}")
    return Target(name, sample_toy(name, n, seed), density_grid(name, resolution, seed=seed))


def labelled_toy_target(name: str, labelled: int | None = None, n: int = TRAINING_POINTS, seed: int = 0,
                        resolution: int = TARGET_RESOLUTION) -> Target:
    """Labelled toy ``name`` (one of :data:`LABELLED_TARGETS`) with ``labelled`` of its points keeping their
    label (``None``: every point), as evenly over the classes as they allow and drawn by ``seed``
    (:meth:`flowstudio.training.datasets.TrainData.keep_labels`, as ``flowstudio train --labelled``)."""
    if name not in LABELLED_TARGETS:
        raise UserInputError(f"{name!r} is no labelled toy of the playground; labelled toys: "
                             f"{', '.join(LABELLED_TARGETS)}")
    points, classes = sample_toy_labelled(name, n, seed)
    class_names = toy_class_names(name)
    labels, title = classes, f"{name}, labelled"
    if labelled is not None and not len(class_names) <= labelled:
        raise UserInputError(f"{name} has {len(class_names)} classes: keep at least one labelled point of each "
                             f"({len(class_names)} or more), not {labelled}")
    if labelled is not None and labelled < n:
        import torch

        from flowstudio.training.datasets import TrainData

        data = TrainData(torch.from_numpy(points), torch.from_numpy(points[:0]), name, "", kind="points",
                         train_labels=torch.from_numpy(classes), test_labels=torch.from_numpy(classes[:0]),
                         class_names=class_names)
        labels = data.keep_labels(labelled, seed).train_labels.numpy()
        title = f"{name}, {labelled} labelled"
    return Target(title, points, density_grid(name, resolution, seed=seed), labels=labels, classes=classes,
                  class_names=class_names)


def picture_target(image: str | os.PathLike | np.ndarray, n: int = TRAINING_POINTS, seed: int = 0,
                   resolution: int = TARGET_RESOLUTION) -> Target:
    """A picture file (named by its file name) or uint8 array (``"picture"``) as a density (dark = dense)."""
    label = "picture" if isinstance(image, np.ndarray) else Path(image).name
    return Target(label, image_density_points(image, n, seed), density_grid(image, resolution))


def csv_target(path: str | os.PathLike, resolution: int = TARGET_RESOLUTION) -> Target:
    """The 2-D points of a CSV file, fitted into the window when they do not fit already."""
    path = Path(path)
    points = load_points_csv(path)
    if points.shape[1] != 2:
        raise UserInputError(f"{path.name}: {points.shape[1]} columns; the playground learns 2-D points "
                             "(two numeric columns, x and y)")
    points, note = fit_to_window(points)
    return Target(path.name, points, histogram_log_density(points, resolution), note)


def target_from_file(path: str | os.PathLike, seed: int = 0) -> Target:
    """A dropped or opened file: a CSV of points (by suffix) or a picture."""
    if Path(path).suffix.lower() in CSV_SUFFIXES:
        return csv_target(path)
    return picture_target(path, seed=seed)


def bundled_pictures() -> list[Path]:
    """The example pictures shipped for the playground (``resources/playground/*.png``), by name."""
    return sorted((resources_dir() / "playground").glob("*.png"))


def fit_to_window(points: np.ndarray, extent: float = EXTENT) -> tuple[np.ndarray, str]:
    """``points`` unchanged if they lie in ``[-extent, extent]^2``, else centred on their bounding box and scaled
    so that its longer half-side is :data:`FIT_MARGIN` ``* extent``; with a note saying so."""
    low, high = points.min(0), points.max(0)
    if (low >= -extent).all() and (high <= extent).all():
        return points, ""
    centre, half = (low + high) / 2, float((high - low).max()) / 2
    scale = FIT_MARGIN * extent / half if half > 0 else 1.0
    fitted = ((points - centre) * scale).astype(np.float32)
    return fitted, (f"moved by ({-centre[0]:.3g}, {-centre[1]:.3g}) and scaled by {scale:.3g} to fit the "
                    f"window [-{extent:g}, {extent:g}]")
