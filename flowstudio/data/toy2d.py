"""Points to learn: the classic 2-D toy densities, a CSV of points, and any picture as a density.

**Toy densities** (:func:`sample_toy`), as FFJORD (Grathwohl et al. 2019,
arXiv:1810.01367, ``lib/toy_data.py``) defines them, all inside about
``[-4, 4]^2``:

* ``moons``: two interleaved half circles, ``2 * (moon + N(0, 0.1^2)) + (-1, -0.2)``;
* ``circles``: two noisy circles of radius 3 and 1.5 (``N(0, 0.08^2)`` noise);
* ``8gaussians``: the mixture ``(1/8) sum_k N(c_k / 1.414, (0.5 / 1.414)^2 I)``
  with ``c_k = 4 (cos(k pi / 4), sin(k pi / 4))`` (exact density known);
* ``8modes``: the 8-mode inverse problem of Ardizzone et al. (arXiv:1808.04730, FrEIA's
  ``toy_8-modes``): ``N(c_k, 0.2^2 I)`` at ``(±2.4142, ±1)`` and ``(±1, ±2.4142)``, labelled by mode;
* ``checkerboard``: uniform on the 8 squares of side 2 in ``[-4, 4)^2`` whose
  ``floor(x / 2) + floor(y / 2)`` is even (density ``1/32`` there, exact);
* ``spirals``: two arms ``t (-cos t, sin t)`` with ``t = 3 pi sqrt(u)``, mirrored,
  divided by 3, with ``U(0, 0.5/3)`` jitter and ``N(0, 0.1^2)`` noise;
* ``rings``: four noisy concentric circles of radius 3, 2.25, 1.5 and 0.75.

Moons and circles are written here with numpy instead of calling
``sklearn.datasets.make_moons``/``make_circles`` (the same few lines): importing
scikit-learn takes a second and pulls in SciPy, which the packaged app does not
ship (see :mod:`flowstudio.data.digits`).

**Labels** (:func:`sample_toy_labelled`): every toy but the checkerboard says which part (moon,
circle, mode, arm) each point was drawn from; the semi-supervised and conditional families learn from them.

**Images as densities** (:func:`image_density_points`): the density of a point
is the darkness ``255 - grey`` of the pixel under it (transparent pixels are
blank), normalised.  A pixel is chosen with probability proportional to its
darkness, then a point is placed uniformly inside it; the picture's longer
side spans ``[-4, 4]`` (aspect ratio kept, y pointing up).

**Target heat maps** (:func:`density_grid`): the log-density on a square grid
of pixel centres (:func:`grid_points`), exact where it is known (8 Gaussians,
checkerboard, images) and otherwise the log of a histogram of many samples.
"""

from __future__ import annotations

import csv
import io
import math
import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

from flowstudio.errors import UserInputError

EXTENT = 4.0
"""Every toy density and image density lies in about ``[-EXTENT, EXTENT]^2``."""
HISTOGRAM_SAMPLES = 400_000
"""Samples behind the histogram of a density whose exact form is not known."""
MAX_CSV_BYTES = 256 * 2**20
MAX_CSV_COLUMNS = 4096
IMAGE_SIDE_LIMIT = 2048
"""Larger pictures are reduced to this long side before they become a density (the detail beyond is invisible
at the resolution a flow learns)."""


def _moons(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    n_out = n // 2
    t_out, t_in = np.pi * rng.random(n_out), np.pi * rng.random(n - n_out)
    outer = np.stack([np.cos(t_out), np.sin(t_out)], 1)
    inner = np.stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)], 1)
    x = np.concatenate([outer, inner]) + rng.normal(scale=0.1, size=(n, 2))
    return 2 * x + np.array([-1.0, -0.2]), np.repeat([0, 1], [n_out, n - n_out])


def _circle_mixture(rng: np.random.Generator, n: int, radii: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray]:
    """Equal shares of points on circles of these radii, plus ``N(0, 0.08^2)`` noise; label = which circle."""
    k = rng.integers(0, len(radii), n)
    r = np.asarray(radii)[k]
    t = 2 * np.pi * rng.random(n)
    return r[:, None] * np.stack([np.cos(t), np.sin(t)], 1) + rng.normal(scale=0.08, size=(n, 2)), k


EIGHT_CENTRES = 4.0 / 1.414 * np.array([(math.cos(k * math.pi / 4), math.sin(k * math.pi / 4)) for k in range(8)])
EIGHT_STD = 0.5 / 1.414
EIGHT_MODES = np.array([(2.4142, 1.0), (1.0, 2.4142), (-1.0, 2.4142), (-2.4142, 1.0),
                        (-2.4142, -1.0), (-1.0, -2.4142), (1.0, -2.4142), (2.4142, -1.0)])
"""The 8-mode inverse problem's centres (Ardizzone et al. 2019, arXiv:1808.04730; FrEIA's
``experiments/toy_8-modes``): ``(±(1 + sqrt 2), ±1)`` and ``(±1, ±(1 + sqrt 2))``, each mode its own label."""
EIGHT_MODES_STD = 0.2
MIXTURES = {"8gaussians": (EIGHT_CENTRES, EIGHT_STD), "8modes": (EIGHT_MODES, EIGHT_MODES_STD)}
"""The equal-weight isotropic Gaussian mixtures: ``(centres, std)``."""


def _gaussian_modes(rng: np.random.Generator, n: int, centres: np.ndarray, std: float
                    ) -> tuple[np.ndarray, np.ndarray]:
    k = rng.integers(0, len(centres), n)
    return centres[k] + std * rng.normal(size=(n, 2)), k


def _checkerboard(rng: np.random.Generator, n: int) -> tuple[np.ndarray, None]:
    x1 = rng.random(n) * 4 - 2
    x2 = rng.random(n) - rng.integers(0, 2, n) * 2 + np.floor(x1) % 2
    return 2 * np.stack([x1, x2], 1), None


def _spirals(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    half = n // 2
    t = np.sqrt(rng.random(n)) * 3 * np.pi
    arm = np.stack([-np.cos(t) * t, np.sin(t) * t], 1) + rng.random((n, 2)) * 0.5
    arm[half:] *= -1
    return arm / 3 + rng.normal(scale=0.1, size=(n, 2)), np.repeat([0, 1], [half, n - half])


SAMPLERS: dict[str, Callable[[np.random.Generator, int], tuple[np.ndarray, np.ndarray | None]]] = {
    "moons": _moons,
    "circles": lambda rng, n: _circle_mixture(rng, n, (3.0, 1.5)),
    **{name: (lambda rng, n, c=centres, s=std: _gaussian_modes(rng, n, c, s))
       for name, (centres, std) in MIXTURES.items()},
    "checkerboard": _checkerboard,
    "spirals": _spirals,
    "rings": lambda rng, n: _circle_mixture(rng, n, (3.0, 2.25, 1.5, 0.75)),
}
"""Each returns ``(points [n, 2], labels [n] or None)``: the label is the part a point was drawn from (which
moon, circle, mode or arm); the checkerboard's squares are one density, so it has none."""
TOY_NAMES = tuple(SAMPLERS)
LABELLED_TOYS = tuple(name for name in TOY_NAMES if name != "checkerboard")
"""Toys whose points carry labels (:func:`sample_toy_labelled`)."""
CLASS_NAMES = {"moons": ("upper moon", "lower moon"), "circles": ("outer circle", "inner circle"),
               "spirals": ("arm 1", "arm 2"), "rings": ("ring r=3", "ring r=2.25", "ring r=1.5", "ring r=0.75")}
"""Names of the toys' classes (the mixtures' modes are "mode 1".."mode 8")."""


def toy_class_names(name: str) -> tuple[str, ...]:
    """The class names of labelled toy ``name``."""
    return CLASS_NAMES.get(name, tuple(f"mode {k + 1}" for k in range(8)))


def _draw(name: str, n: int, seed: int) -> tuple[np.ndarray, np.ndarray | None]:
    if name not in SAMPLERS:
        raise UserInputError(f"unknown toy density {name!r}; known: {', '.join(TOY_NAMES)}")
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise UserInputError(f"the number of points must be a whole number from 1, not {n!r}")
    return SAMPLERS[name](np.random.default_rng(seed), int(n))


def sample_toy(name: str, n: int, seed: int = 0) -> np.ndarray:
    """``n`` points ``float32 [n, 2]`` of the toy density ``name`` (one of :data:`TOY_NAMES`); same seed, same points."""
    return _draw(name, n, seed)[0].astype(np.float32)


def sample_toy_labelled(name: str, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(points float32 [n, 2], labels int64 [n])`` of labelled toy ``name`` (:data:`LABELLED_TOYS`); the points
    are :func:`sample_toy`'s for the same seed."""
    if name in SAMPLERS and name not in LABELLED_TOYS:
        raise UserInputError(f"the toy density {name!r} has no labels; labelled toys: {', '.join(LABELLED_TOYS)}")
    points, labels = _draw(name, n, seed)
    return points.astype(np.float32), np.asarray(labels, dtype=np.int64)


# -- CSV ---------------------------------------------------------------------------------------------------
def load_points_csv(path: str | os.PathLike) -> np.ndarray:
    """The points of a CSV file as ``float32 [n, D]``: one point per row, ``D`` numeric columns.

    A first row that is not all numbers is taken as a header.  Separators
    ``,`` ``;`` tab or spaces are recognised.  Empty files, rows of another
    length, text or non-finite values are a :class:`UserInputError` naming
    the file and the line.
    """
    path = Path(path)
    if not path.is_file():
        raise UserInputError(f"{path}: no such CSV file")
    if path.stat().st_size > MAX_CSV_BYTES:
        raise UserInputError(f"{path.name}: larger than {MAX_CSV_BYTES // 2**20} MB; use fewer points")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UserInputError(f"{path.name}: not a text (CSV) file") from None
    lines = [(i + 1, line) for i, line in enumerate(text.splitlines()) if line.strip()]
    if not lines:
        raise UserInputError(f"{path.name}: the CSV file is empty")
    dialect = _dialect(lines[0][1])
    rows = [(number, _cells(line, dialect)) for number, line in lines]
    if _numbers(rows[0][1]) is None:
        rows = rows[1:]  # a header
    if not rows:
        raise UserInputError(f"{path.name}: the CSV file has a header but no points")
    width = len(rows[0][1])
    if not 1 <= width <= MAX_CSV_COLUMNS:
        raise UserInputError(f"{path.name}: {width} columns; a point has 1 to {MAX_CSV_COLUMNS} coordinates")
    points = np.empty((len(rows), width), np.float64)
    for i, (number, cells) in enumerate(rows):
        values = _numbers(cells)
        if len(cells) != width:
            raise UserInputError(f"{path.name} line {number}: {len(cells)} values, but the first point has {width}")
        if values is None or not all(math.isfinite(v) for v in values):
            raise UserInputError(f"{path.name} line {number}: every value must be a finite number, got "
                                 f"{', '.join(cells)[:80]!r}")
        points[i] = values
    return points.astype(np.float32)


def save_points_csv(points: np.ndarray, path: str | os.PathLike) -> Path:
    """Write points ``[n, D]`` as CSV with a header ``x0,x1,...`` (atomically; :func:`load_points_csv` reads it)."""
    from flowstudio.files import atomic_write_bytes

    points = np.asarray(points)
    buf = io.StringIO()
    np.savetxt(buf, points, delimiter=",", fmt="%.7g", header=",".join(f"x{i}" for i in range(points.shape[1])),
               comments="")
    path = Path(path)
    atomic_write_bytes(path, buf.getvalue().encode())
    return path


def _dialect(first: str) -> str | None:
    for sep in (",", ";", "\t"):
        if sep in first:
            return sep
    return None  # whitespace


def _cells(line: str, sep: str | None) -> list[str]:
    if sep is None:
        return line.split()
    return [c.strip() for c in next(csv.reader([line], delimiter=sep))]


def _numbers(cells: list[str]) -> list[float] | None:
    try:
        return [float(c) for c in cells]
    except ValueError:
        return None


# -- images ------------------------------------------------------------------------------------------------
def image_darkness(image: str | os.PathLike | np.ndarray) -> np.ndarray:
    """``float64 [H, W]`` darkness (``255 - grey``, transparent = 0) of a picture file or uint8 array.

    Arrays may be ``[H, W]`` grey, ``[H, W, 3]`` RGB or ``[H, W, 4]`` RGBA.  A
    picture with no dark pixel at all is a :class:`UserInputError`.
    """
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8 or image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
            raise UserInputError(f"an image density needs a uint8 array [H, W], [H, W, 3] or [H, W, 4], "
                                 f"not {image.dtype} {list(image.shape)}")
        pil = Image.fromarray(image[:, :, 0] if image.ndim == 3 and image.shape[2] == 1 else image)
        if pil.mode == "RGBA":
            pil = Image.alpha_composite(Image.new("RGBA", pil.size, (255, 255, 255, 255)), pil)
        name = "the image"
    else:
        from flowstudio.data.images import ImageLoadError, load_image_converted

        if not Path(image).is_file():
            raise UserInputError(f"{image}: no such image file")
        try:  # the image loader's checks (size, format, truncation) and grey conversion, at the file's own size
            with Image.open(image) as probe:
                w, h = probe.size
            grey, _ = load_image_converted(Path(image), 1, (h, w), background=255)
        except (OSError, ImageLoadError) as exc:
            raise UserInputError(f"{Path(image).name}: cannot be used as a density ({_reason(exc)})") from None
        pil = Image.fromarray(grey[0])
        name = Path(image).name
    if max(pil.size) > IMAGE_SIDE_LIMIT:
        pil.thumbnail((IMAGE_SIDE_LIMIT, IMAGE_SIDE_LIMIT), Image.Resampling.BOX)
    dark = 255.0 - np.asarray(pil.convert("L"), np.float64)
    if dark.sum() <= 0:
        raise UserInputError(f"{name} is blank (no pixel darker than white): a density needs dark pixels to "
                             "place points on")
    return dark


def _reason(exc: Exception) -> str:
    return getattr(exc, "reason", None) or str(exc)


def _pixel_scale(shape: tuple[int, int], extent: float) -> float:
    """Width of one pixel in point coordinates: the longer side spans ``[-extent, extent]``."""
    return 2 * extent / max(shape)


def image_density_points(image: str | os.PathLike | np.ndarray, n: int, seed: int = 0,
                         extent: float = EXTENT) -> np.ndarray:
    """``n`` points ``float32 [n, 2]`` whose density is the picture's darkness (see the module doc)."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise UserInputError(f"the number of points must be a whole number from 1, not {n!r}")
    dark = image_darkness(image)
    h, w = dark.shape
    rng = np.random.default_rng(seed)
    flat = dark.ravel()
    index = rng.choice(flat.size, size=int(n), p=flat / flat.sum())
    row, col = np.divmod(index, w)
    scale = _pixel_scale((h, w), extent)
    x = (col + rng.random(n) - w / 2) * scale
    y = (h / 2 - row - rng.random(n)) * scale
    return np.stack([x, y], 1).astype(np.float32)


# -- target heat maps ---------------------------------------------------------------------------------------
def grid_points(size: int, extent: float = EXTENT) -> np.ndarray:
    """``float32 [size*size, 2]`` pixel centres of a ``size x size`` grid over ``[-extent, extent]^2``, row by
    row from the top (y = +extent) down, so values at them reshape to an image ``[size, size]``."""
    centres = (np.arange(size) + 0.5) / size * 2 * extent - extent
    x, y = np.meshgrid(centres, centres[::-1])
    return np.stack([x.ravel(), y.ravel()], 1).astype(np.float32)


def density_grid(source: str | os.PathLike | np.ndarray, size: int = 128, extent: float = EXTENT,
                 seed: int = 0) -> np.ndarray:
    """Log-density ``float64 [size, size]`` of a toy name or a picture on :func:`grid_points` (``-inf`` = zero).

    Exact for the Gaussian mixtures (``8gaussians``, ``8modes``), ``checkerboard`` and pictures; the other toy
    densities are the log of a normalised histogram of
    :data:`HISTOGRAM_SAMPLES` samples (``seed``) with the grid's cells as bins.
    """
    if not isinstance(size, (int, np.integer)) or not 2 <= size <= 4096:
        raise UserInputError(f"a density grid has 2 to 4096 cells a side, not {size!r}")
    points = grid_points(size, extent).astype(np.float64)
    with np.errstate(divide="ignore"):
        if isinstance(source, str) and source in MIXTURES:
            centres, std = MIXTURES[source]
            d2 = ((points[:, None, :] - centres[None]) ** 2).sum(-1)
            logp = (-d2 / (2 * std**2)).astype(np.float64)
            top = logp.max(1, keepdims=True)
            out = top[:, 0] + np.log(np.exp(logp - top).mean(1)) - math.log(2 * math.pi * std**2)
        elif isinstance(source, str) and source == "checkerboard":
            inside = (np.abs(points) < 4).all(1) & ((np.floor(points[:, 0] / 2) + np.floor(points[:, 1] / 2)) % 2 == 0)
            out = np.where(inside, -math.log(32.0), -np.inf)
        elif isinstance(source, str) and source in SAMPLERS:
            samples = sample_toy(source, HISTOGRAM_SAMPLES, seed).astype(np.float64)
            edges = np.linspace(-extent, extent, size + 1)
            hist, _, _ = np.histogram2d(samples[:, 1], samples[:, 0], bins=(edges, edges))
            cell = (2 * extent / size) ** 2
            return np.log(hist[::-1] / (len(samples) * cell))
        else:
            out = _image_log_density(image_darkness(source), points, extent)
    return out.reshape(size, size)


def _image_log_density(dark: np.ndarray, points: np.ndarray, extent: float) -> np.ndarray:
    """The exact log-density of :func:`image_density_points` at ``points``."""
    h, w = dark.shape
    scale = _pixel_scale((h, w), extent)
    col = np.floor(points[:, 0] / scale + w / 2).astype(np.int64)
    row = np.floor(h / 2 - points[:, 1] / scale).astype(np.int64)
    inside = (col >= 0) & (col < w) & (row >= 0) & (row < h)
    mass = np.zeros(len(points))
    mass[inside] = dark[row[inside], col[inside]]
    return np.log(mass / (dark.sum() * scale**2))
