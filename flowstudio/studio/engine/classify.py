"""Few-shot classification of image files against evidence sets, as ``flowstudio classify`` does.

Each class is a set of example images; a query goes to the class whose
Transflow posterior predictive gives its latent the highest likelihood
(:class:`flowstudio.transflow.FewShotClassifier`, with one of the
:data:`~flowstudio.fewshot_methods.METHODS`; ``fusion`` also reads the
examples' pixels, loaded again from their files).  The job encodes the
classes' examples the engine has not seen yet, then the queries one batch
per step (Cancel answers between batches).  CSV rows have the command
line's columns: ``file``, ``predicted``, then one log-likelihood per class.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from flowstudio.data.images import iter_image_paths, iter_loaded_images
from flowstudio.errors import UserInputError, WriteError
from flowstudio.files import copy_file, make_folder
from flowstudio.imaging import file_digest
from flowstudio.records import write_rows
from flowstudio.studio.engine.session import ENCODE_BATCH, Engine
from flowstudio.transflow import FewShotClassifier, LikelihoodSpec, class_probabilities, method_rule
from flowstudio.transflow.encode import encode_images


@dataclass(frozen=True)
class Classified:
    """One query: its file, predicted class, log-likelihood per class (in class order), the pixels the model saw."""

    path: str
    predicted: str
    scores: tuple[float, ...]
    pixels: np.ndarray
    probabilities: tuple[float, ...] = ()
    """Per class, in class order: the probability (0..1, summing to 1) from the scores (:func:`class_probabilities`)."""


@dataclass
class ClassifyProgress:
    done: int
    total: int
    rows: list[Classified] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)


def _class_digests(engine: Engine, paths: Sequence[str]) -> tuple[str, ...]:
    """The short hashes of a class's examples, encoding the ones the engine has not seen."""
    digests = [file_digest(p) for p in paths]
    missing = [p for p, d in zip(paths, digests) if not engine.has(d)]
    if missing:
        for _ in engine.encode(missing):
            pass
    return tuple(d for d in digests if engine.has(d))


def _class_pixels(engine: Engine, paths: Sequence[str], digests: tuple[str, ...]) -> torch.Tensor:
    """The pixels the model saw of the examples with these digests, in their order (read again from the files)."""
    c, h, w = engine.model.image_shape
    by_digest = {}
    for batch in iter_loaded_images([Path(p) for p in paths], c, (h, w), ENCODE_BATCH):
        by_digest.update((file_digest(p), torch.from_numpy(px)) for p, px in zip(batch.paths, batch.images))
    return torch.stack([by_digest[d] for d in digests])


def classify(engine: Engine, classes: dict[str, Sequence[str]], spec: LikelihoodSpec,
             queries: Sequence[str], method: str = "isotropic") -> Iterator[ClassifyProgress]:
    """Sort ``queries`` (files or folders) into ``classes`` (name -> example files), one batch per step.

    ``method`` names the classifier's rule (``isotropic`` uses ``spec``)."""
    if len(classes) < 2:
        raise UserInputError("choose at least two evidence sets as classes")
    model = engine.model
    clf = FewShotClassifier(method_rule(method, spec), model.layout)
    for name, paths in classes.items():
        digests = _class_digests(engine, list(paths))
        if not digests:
            raise UserInputError(f"the set “{name}” has no usable images")
        pixels = _class_pixels(engine, paths, digests) if clf.needs_pixels else None
        clf.add(name, torch.stack([engine.latent(d) for d in digests]), pixels)

    def predict(images: np.ndarray) -> tuple[list[str], torch.Tensor, torch.Tensor]:
        eps = next(encode_images(model, images, batch_size=len(images)))[0]
        labels, scores = clf.predict(eps, torch.from_numpy(images))
        return labels, scores, class_probabilities(scores)

    yield from _sort(engine, queries, predict)


def classify_exact(engine: Engine, queries: Sequence[str]) -> Iterator[ClassifyProgress]:
    """Sort ``queries`` into the classes a classifying model was trained with, by its own exact ``p(y | x)``
    (Bayes' rule over its class-conditional densities; :func:`flowstudio.labelled.class_percent`), one batch per
    step; the scores are ``log p(y | x)``.  No evidence sets are needed."""
    names = engine.label_names

    def predict(images: np.ndarray) -> tuple[list[str], torch.Tensor, torch.Tensor]:
        probabilities = torch.from_numpy(engine.class_percent(images) / 100.0)
        return [names[k] for k in probabilities.argmax(1).tolist()], probabilities.log(), probabilities

    yield from _sort(engine, queries, predict)


def _sort(engine: Engine, queries: Sequence[str], predict) -> Iterator[ClassifyProgress]:
    """Read the query files one batch per step and sort them with ``predict(images) -> (labels, scores, p)``."""
    files, problems = iter_image_paths([Path(q) for q in queries])
    c, h, w = engine.model.image_shape
    done = 0
    yield ClassifyProgress(0, len(files), errors=[(str(p), r) for p, r in problems])
    for batch in iter_loaded_images(files, c, (h, w), ENCODE_BATCH):
        step = ClassifyProgress(done, len(files), errors=[(str(p), r) for p, r in batch.errors])
        if batch.paths:
            labels, scores, probabilities = predict(batch.images)
            step.rows = [Classified(str(p), str(label), tuple(row), px, tuple(prob))
                         for p, label, row, px, prob in zip(batch.paths, labels, scores.tolist(), batch.images,
                                                            probabilities.tolist())]
        done += len(batch.paths) + len(batch.errors)
        step.done = done
        yield step


def csv_rows(rows: Sequence[Classified], classes: Sequence[str]) -> list[dict]:
    return [{"file": r.path, "predicted": r.predicted, **dict(zip(classes, r.scores))} for r in rows]


def write_csv(rows: Sequence[Classified], classes: Sequence[str], path: str | Path) -> Path:
    """The command line's CSV (``file``, ``predicted``, one column per class; 3 decimals)."""
    write_rows(csv_rows(rows, classes), ["file", "predicted", *classes], Path(path))
    return Path(path)


def copy_into_folders(rows: Sequence[Classified], dest: str | Path) -> Iterator[ClassifyProgress]:
    """Copy each file into ``dest/<predicted class>/`` (as ``--copy-to``), one file per step.

    A file that cannot be written raises :class:`~flowstudio.errors.WriteError`
    saying how many were copied before it (a file already there is intact).
    """
    for i, row in enumerate(rows):
        try:
            copy_file(row.path, make_folder(Path(dest) / row.predicted) / Path(row.path).name)
        except WriteError as exc:
            raise exc.also(f"{i} of {len(rows)} files were copied into {dest} before this") from exc.__cause__
        yield ClassifyProgress(i + 1, len(rows))


FASHION_LABELS = {"trousers": 1, "sneakers": 7, "bags": 8}
"""Fashion-MNIST label of each bundled example set that is a whole class."""


def write_fashion_queries(folder: str | Path, per_class: int, start: int = 2000) -> dict[str, str]:
    """Write ``per_class`` Fashion-MNIST test images of each class in :data:`FASHION_LABELS` as PNGs.

    A small labelled set for demonstrations and tests (images from ``start``
    on, away from the first ones); returns file path -> true class.
    """
    from PIL import Image

    from flowstudio.data import load_fashion_mnist

    images, labels = load_fashion_mnist("test")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    truth = {}
    for name, label in FASHION_LABELS.items():
        picked = [i for i in range(start, len(labels)) if labels[i] == label][:per_class]
        for i in picked:
            path = folder / f"{name}-{i:05d}.png"
            Image.fromarray(np.asarray(images[i]).reshape(28, 28).astype(np.uint8)).save(path)
            truth[str(path)] = name
    return truth
