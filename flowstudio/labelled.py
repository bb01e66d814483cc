"""Drawing and classifying with a label-conditioned model (headless; the command line and the studio share it).

A labelled family (``Capabilities.label_conditioning``; e.g. the semi-conditional
flow of Atanov et al. 2019, arXiv:1905.00505) models ``p(x | y)`` through an
invertible map ``x = g(eps; y)`` with ``eps ~ N(0, I)`` *given* ``y``, and gives
the exact class posterior (Bayes' rule, their Eq. 3)

    p(y | x) = p(x | y) p(y) / sum_k p(x | k) p(k)

as ``model.class_log_probs(batch)``.  This module builds on those two:

* :func:`draw_by_label`: cells of one label, or a row per label, each cell with
  its own seed (``eps = T * noise(seed)``, the noise :func:`flowstudio.transflow.posterior.seeded_noise`
  of every other grid, so a cell is reproduced alone by its seed and label);
* :func:`draw_same_style`: the *same* ``eps`` (the "style": what ``y`` does not
  explain) decoded under every label, ``x_{k,j} = g(eps_j; k)``, so column ``j``
  shares seed ``j`` and the rows differ only in the label;
* :func:`class_percent`: ``100 * p(y | x)``, each row summing to 100.

Labels are named by the card's ``labels`` (the class names the model was
trained with); :func:`resolve_label` accepts a name or an index.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from flowstudio.errors import UserInputError
from flowstudio.registry import get_family
from flowstudio.transflow.posterior import seeded_noise
from flowstudio.transflow.encode import decode_checked


def label_names(model: torch.nn.Module, card_labels: Sequence[str] | None) -> tuple[str, ...]:
    """The names of the model's classes ``0..K-1``: the card's, or the indices where the card names none."""
    k = int(model.config.classes)
    if card_labels and len(card_labels) == k:
        return tuple(card_labels)
    return tuple(str(i) for i in range(k))


def require_labelled(model: torch.nn.Module, purpose: str) -> None:
    """Refuse, in one sentence, a model whose family does not generate for a label."""
    entry = get_family(model.family)
    if not entry.capabilities.label_conditioning:
        raise UserInputError(f"{entry.label} models do not generate for a label, so they cannot be used for "
                             f"{purpose}; train a label-conditioned family (e.g. flowstudio train --family scnf "
                             "--data digits --labelled 100)")


def resolve_label(value: str | int, names: Sequence[str]) -> int:
    """The class index of ``value``: a class name (exact, then case-insensitive) or an index ``0..K-1``.

    Raises :class:`UserInputError` listing the names when it is neither.
    """
    text = str(value).strip()
    if text in names:
        return list(names).index(text)
    folded = [n.casefold() for n in names]
    if text.casefold() in folded:
        return folded.index(text.casefold())
    if text.lstrip("-").isdigit() and 0 <= int(text) < len(names):
        return int(text)
    listed = ", ".join(f"{i}={n}" for i, n in enumerate(names))
    raise UserInputError(f"unknown label {text!r}; this model's labels are {listed} (give a name or an index)")


@dataclass(frozen=True)
class LabelGrid:
    """A grid drawn for labels: row ``r`` has label ``labels[r]``; cell ``(r, c)`` was drawn with ``seeds[r][c]``.

    ``images`` is uint8 ``[rows, cols, C, H, W]`` (image models) or float32
    ``[rows, cols, D]`` (point models); ``broken`` ``[rows, cols]`` marks
    cells whose decode left the pixel range (image models only).
    """

    kind: str
    """``"by_label"`` or ``"same_style"``."""
    images: np.ndarray
    labels: tuple[int, ...]
    names: tuple[str, ...]
    seeds: tuple[tuple[int, ...], ...]
    temperature: float
    broken: np.ndarray

    def record(self) -> dict:
        """The grid's parameters, as the PNG's text chunk stores them."""
        return {"kind": f"{self.kind}_samples", "temperature": self.temperature,
                "labels": [self.names[k] for k in self.labels], "label_indices": list(self.labels),
                "seeds": [list(row) for row in self.seeds]}


def _decode(model: torch.nn.Module, seeds: Sequence[int], labels: Sequence[int],
            temperature: float, batch_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """``g(T * noise(seed_i); label_i)`` for every cell: data-form samples and which cells broke."""
    eps = seeded_noise(list(seeds), model.latent_dim).to(torch.float32) * float(temperature)
    context = torch.as_tensor(list(labels), dtype=torch.int64)
    if getattr(model, "image_shape", None) is not None and hasattr(model, "postprocess"):
        decoded = decode_checked(model, eps, batch_size, context=context)
        return decoded.images, decoded.broken
    with torch.no_grad():
        points = model.decode(eps.to(model.device), context.to(model.device)).float().cpu()
    return points, torch.zeros(len(points), dtype=torch.bool)


def _grid(model: torch.nn.Module, kind: str, labels: Sequence[int], seeds: list[list[int]],
          names: Sequence[str], temperature: float, batch_size: int) -> LabelGrid:
    rows, cols = len(seeds), len(seeds[0])
    flat_seeds = [s for row in seeds for s in row]
    flat_labels = [k for k in labels for _ in range(cols)]
    images, broken = _decode(model, flat_seeds, flat_labels, temperature, batch_size)
    return LabelGrid(kind, images.reshape(rows, cols, *images.shape[1:]).numpy(), tuple(labels), tuple(names),
                     tuple(tuple(row) for row in seeds), float(temperature), broken.reshape(rows, cols).numpy())


def draw_by_label(model: torch.nn.Module, names: Sequence[str], labels: Sequence[int], per_label: int,
                  seed: int = 0, temperature: float = 0.7, batch_size: int = 256) -> LabelGrid:
    """``per_label`` samples of each of ``labels`` (one row each); every cell has its own seed,
    ``seed, seed + 1, ...`` in reading order, so no two cells share a style."""
    require_labelled(model, "drawing by label")
    _check_labels(labels, names)
    seeds = [[seed + r * per_label + c for c in range(per_label)] for r in range(len(labels))]
    return _grid(model, "by_label", labels, seeds, names, temperature, batch_size)


def draw_same_style(model: torch.nn.Module, names: Sequence[str], styles: int, seed: int = 0,
                    temperature: float = 0.7, labels: Sequence[int] | None = None,
                    batch_size: int = 256) -> LabelGrid:
    """``styles`` columns of fixed ``eps`` (seeds ``seed .. seed + styles - 1``), each decoded under every label
    (one row per label, all of them by default): ``x_{k,j} = g(eps_j; k)``."""
    require_labelled(model, "drawing the same style under every label")
    labels = list(range(len(names))) if labels is None else list(labels)
    _check_labels(labels, names)
    seeds = [[seed + c for c in range(styles)] for _ in labels]
    return _grid(model, "same_style", labels, seeds, names, temperature, batch_size)


def _check_labels(labels: Sequence[int], names: Sequence[str]) -> None:
    if not labels or any(not 0 <= k < len(names) for k in labels):
        raise UserInputError(f"labels must be class indices from 0 to {len(names) - 1}")


def class_percent(model: torch.nn.Module, batch: torch.Tensor, batch_size: int = 256) -> np.ndarray:
    """``100 * p(y | x)`` float64 ``[B, K]`` of a data-form batch (uint8 images or float points), rows summing
    to 100: the model's exact, normalised ``class_log_probs`` exponentiated."""
    entry = get_family(model.family)
    if not entry.capabilities.classification:
        raise UserInputError(f"{entry.label} models do not give p(y | x); classify with example images per "
                             "class instead (Transflow), or train a family that classifies (e.g. scnf)")
    parts = []
    with torch.no_grad():
        for start in range(0, len(batch), batch_size):
            log_probs = model.class_log_probs(batch[start:start + batch_size].to(model.device))
            parts.append(torch.softmax(log_probs.double(), dim=1).cpu())  # renormalised against rounding
    return 100.0 * torch.cat(parts).numpy() if parts else np.zeros((0, int(model.config.classes)))
