"""Pictures of 2-D densities and point clouds (numpy and Pillow only, no Qt): heat maps and scatter plots.

* :func:`heat_map`: a ``[H, W]`` array of log-densities as a colour image,
  through the *viridis* colour map (van der Walt & Smith 2015, matplotlib's
  default, perceptually uniform and readable in grey).  Linear in the density
  (``p / max p``, how FFJORD and the flow survey show densities) or, with
  ``log_range``, linear in ``log p`` over the top ``log_range`` nats.
* :func:`scatter`: points drawn as small dots on a square canvas over
  ``[-extent, extent]^2`` (y up), overlapping dots darkening like ink
  (``alpha_total = 1 - (1 - alpha)^k`` for ``k`` dots on a pixel).
* :func:`view_extent`: the half-width of a square view that holds most points.

Both pictures use the grid of :func:`flowstudio.data.toy2d.grid_points`, so a
heat map of model log-densities at those points lines up with a scatter of
the same extent.  The colour map is a table of viridis' published anchor
colours interpolated here, because matplotlib (the usual source) is not a
dependency of Flow Studio and would add tens of MB to the packaged app for
one table.
"""

from __future__ import annotations

import math

import numpy as np

from flowstudio.errors import UserInputError

VIRIDIS_ANCHORS = np.array([
    (68, 1, 84), (72, 40, 120), (62, 74, 137), (49, 104, 142), (38, 130, 142), (31, 158, 137),
    (53, 183, 121), (110, 206, 88), (181, 222, 43), (253, 231, 37)], np.float64)
"""viridis at 0, 1/9, ..., 1 (matplotlib's ``_viridis_data`` sampled at ten evenly spaced points)."""
INK = (38, 38, 52)
PAPER = (250, 250, 246)
MAX_SIDE = 4096


def _lut(anchors: np.ndarray, n: int = 256) -> np.ndarray:
    t = np.linspace(0, len(anchors) - 1, n)
    return np.stack([np.interp(t, np.arange(len(anchors)), anchors[:, k]) for k in range(3)], 1).round().astype(np.uint8)


VIRIDIS = _lut(VIRIDIS_ANCHORS)
"""256-entry uint8 colour table."""


def heat_map(log_density: np.ndarray, log_range: float | None = None) -> np.ndarray:
    """uint8 ``[H, W, 3]`` picture of log-densities ``[H, W]`` (``-inf`` allowed, NaN shown as zero density).

    Without ``log_range`` the colour is linear in ``p / max p``; with it,
    linear in ``log p`` from ``max - log_range`` (darkest) to ``max``.
    """
    values = np.asarray(log_density, np.float64)
    if values.ndim != 2:
        raise UserInputError(f"a heat map needs a 2-D array of log-densities, not shape {list(values.shape)}")
    values = np.where(np.isnan(values), -np.inf, values)
    finite = values[np.isfinite(values)]
    if finite.size == 0:
        return np.broadcast_to(VIRIDIS[0], (*values.shape, 3)).copy()
    top = finite.max()
    if log_range is None:
        level = np.exp(values - top)
    else:
        if not log_range > 0:
            raise UserInputError(f"log_range must be positive, not {log_range!r}")
        level = np.clip((values - top + log_range) / log_range, 0.0, 1.0)
    return VIRIDIS[np.clip((level * 255).round(), 0, 255).astype(np.int64)]


def view_extent(points: np.ndarray, minimum: float = 4.0, quantile: float = 0.995) -> float:
    """Half-width of a square view centred at 0 holding the ``quantile`` of ``|coordinates|``: at least
    ``minimum``, rounded up to a whole number, so a view does not jitter as the points move a little."""
    a = np.abs(np.asarray(points, np.float64))
    a = a[np.isfinite(a).all(1)] if a.ndim == 2 else a
    if a.size == 0:
        return float(minimum)
    return float(max(minimum, math.ceil(np.quantile(a, quantile) * 1.05)))


def scatter(points: np.ndarray, size: int = 256, extent: float = 4.0, radius: int = 1, alpha: float = 0.35,
            ink: tuple[int, int, int] = INK, background: np.ndarray | tuple[int, int, int] = PAPER) -> np.ndarray:
    """uint8 ``[size, size, 3]`` picture of ``points [n, 2]`` (first two columns) over ``[-extent, extent]^2``.

    ``background`` is a colour or a ``[size, size, 3]`` uint8 picture to draw
    on (a heat map).  Points outside the view or not finite are left out.
    """
    if not 8 <= size <= MAX_SIDE:
        raise UserInputError(f"a scatter plot is 8 to {MAX_SIDE} pixels a side, not {size!r}")
    p = np.asarray(points, np.float64)
    if p.ndim != 2 or p.shape[1] < 2:
        raise UserInputError(f"a scatter plot needs points [n, 2 or more], not shape {list(p.shape)}")
    col = np.floor((p[:, 0] + extent) / (2 * extent) * size)
    row = np.floor((extent - p[:, 1]) / (2 * extent) * size)
    keep = np.isfinite(col) & np.isfinite(row) & (col >= 0) & (col < size) & (row >= 0) & (row < size)
    counts = np.zeros((size, size), np.float64)
    np.add.at(counts, (row[keep].astype(np.int64), col[keep].astype(np.int64)), 1.0)
    if radius > 0:  # each dot covers a (2r+1)-pixel square: add shifted copies of the counts
        padded = np.pad(counts, radius)
        counts = sum(padded[radius + dy:radius + dy + size, radius + dx:radius + dx + size]
                     for dy in range(-radius, radius + 1) for dx in range(-radius, radius + 1))
    cover = 1.0 - (1.0 - alpha) ** counts
    base = np.broadcast_to(np.asarray(background, np.float64), (size, size, 3))
    out = base * (1.0 - cover[..., None]) + np.asarray(ink, np.float64) * cover[..., None]
    return out.round().astype(np.uint8)
