"""Enlarging exported cells, and naming the files of a batch export (no Qt, no torch).

Models draw tiny images (28 or 32 pixels), so every export is enlarged by a
whole factor: *sharp* keeps each model pixel a crisp square (nearest
neighbour), *smooth* interpolates (bicubic) for a softer, photo-like look.
A batch export writes each cell as its own PNG, named after its place in
the grid and its seed, without overwriting files already in the folder.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image

MAX_FACTOR = 8
DEFAULT_FACTOR = 4


@dataclass(frozen=True)
class Upscale:
    """A whole enlargement factor (1 to :data:`MAX_FACTOR`) and how pixels are filled in."""

    factor: int = DEFAULT_FACTOR
    smooth: bool = False

    def __post_init__(self) -> None:
        if not 1 <= int(self.factor) <= MAX_FACTOR:
            raise ValueError(f"the enlargement must be 1x to {MAX_FACTOR}x, not {self.factor}x")

    def size(self, image_shape: Sequence[int]) -> tuple[int, int]:
        """``(width, height)`` of an image of ``image_shape`` ``[C, H, W]`` once enlarged."""
        return image_shape[-1] * self.factor, image_shape[-2] * self.factor

    def record(self) -> dict[str, object]:
        """How the file was enlarged, for its PNG parameters."""
        return {"upscale": self.factor, "upscale_filter": "smooth" if self.smooth else "sharp"}


def upscale(image: np.ndarray, up: Upscale) -> Image.Image:
    """``image`` ``[C, H, W]`` enlarged by ``up`` (on a worker thread: it imports the core's imaging, and torch)."""
    from flowstudio.imaging import to_pil

    pil = to_pil(image)
    if up.factor == 1:
        return pil
    resample = Image.Resampling.BICUBIC if up.smooth else Image.Resampling.NEAREST
    return pil.resize(up.size(image.shape), resample)


def safe_stem(text: str, fallback: str = "samples") -> str:
    """``text`` as a file name stem: letters, digits, ``-`` and ``_`` only (``"my set"`` -> ``"my-set"``)."""
    stem = re.sub(r"[^\w-]+", "-", text.strip(), flags=re.UNICODE).strip("-_")
    return stem or fallback


def cell_file_names(folder: str | Path, stem: str, seeds: Iterable[int]) -> list[Path]:
    """``stem-01-seed42.png``, ... one per cell, in grid order; a name already taken gets ``-2``, ``-3``, ..."""
    folder, stem = Path(folder), safe_stem(stem)
    seeds = list(seeds)
    width = max(2, len(str(len(seeds))))
    names: list[Path] = []
    for i, seed in enumerate(seeds, start=1):
        base = f"{stem}-{i:0{width}d}-seed{seed}"
        path, n = folder / f"{base}.png", 2
        while path.exists() or path in names:
            path, n = folder / f"{base}-{n}.png", n + 1
        names.append(path)
    return names
