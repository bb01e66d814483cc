"""The playground's pictures (numpy and Pillow, no Qt): heat maps with samples, and the warped latent grid.

Every panel is a square of ``size`` pixels showing the window ``[-E, E]^2``
of the data plane (y up).  Heat maps are :mod:`flowstudio.imaging_points`'
(viridis, ``p / max p``), computed at a modest resolution and enlarged
smoothly here; dots look like its scatter plots (:func:`ink_dots`).  The warped
grid's lines are drawn at :data:`SUPERSAMPLE` times the size and reduced
by averaging (``Image.reduce``), which anti-aliases them (Pillow's
``ImageDraw`` has no anti-aliasing of its own).

A labelled target's panels colour each class by :data:`CLASS_COLOURS`: the
**decision regions** are the most probable class ``argmax_y log p(y | x)`` of
every pixel (the model's ``R x R`` map of ``log p(y | x)`` enlarged bilinearly
first, so the borders are smooth), a light tint of the class's colour that
deepens with the confidence ``max_y p(y | x)``, and the **decision boundary**
the pixels whose class differs from a neighbour's, drawn dark; points are
drawn on it, unlabelled ones grey and labelled ones as large dots.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from flowstudio.data.toy2d import EXTENT
from flowstudio.imaging_points import heat_map

SUPERSAMPLE = 2
BACKGROUND = (14, 16, 24)
SAMPLE_INK = (250, 250, 246)
DATA_INK = (112, 118, 136)
LINE_COLOURS = ((90, 169, 255), (255, 176, 64))
"""Horizontal latent lines (``z_2`` fixed) in blue, vertical ones in amber."""
CAPTION_COLOUR = (200, 204, 214)
CLASS_COLOURS = ((66, 133, 244), (234, 67, 53), (52, 168, 83), (251, 188, 5), (171, 71, 188), (0, 172, 193),
                 (255, 112, 67), (124, 179, 66), (236, 64, 122), (92, 107, 192))
"""Colours of classes 0, 1, ... (repeated beyond ten), distinct on the dark ground and on the light regions."""
REGION_PAPER = (246, 246, 242)
REGION_TINT = (0.18, 0.5)
"""A region's colour: its class's colour over :data:`REGION_PAPER` at these covers, for ``max p(y | x)`` at
``1 / K`` (a tie) and at 1."""
BOUNDARY_INK = (38, 38, 52)
UNLABELLED_INK = (128, 128, 136)
LABELLED_RADIUS = 4


def class_colour(k: int) -> tuple[int, int, int]:
    return CLASS_COLOURS[k % len(CLASS_COLOURS)]


def decision_regions(class_log_probs: np.ndarray, size: int) -> Image.Image:
    """The decision map ``log p(y | x)`` ``[R, R, K]`` (top row first) as a ``size``-pixel picture: each pixel
    tinted by its most probable class, deeper where that class is surer, with the boundaries between classes."""
    k = class_log_probs.shape[-1]
    logits = np.stack([np.asarray(Image.fromarray(class_log_probs[..., c].astype(np.float32)).resize(
        (size, size), Image.Resampling.BILINEAR)) for c in range(k)], -1)
    region = logits.argmax(-1)
    sure = np.exp(logits.max(-1) - np.logaddexp.reduce(logits, -1))  # max_y p(y | x) of the enlarged map
    low, high = REGION_TINT
    cover = (low + (high - low) * np.clip((sure - 1 / k) / (1 - 1 / k), 0, 1))[..., None]
    colours = np.array([class_colour(c) for c in range(k)], np.float64)[region]
    picture = np.asarray(REGION_PAPER, np.float64) * (1 - cover) + colours * cover
    edge = np.zeros((size, size), bool)
    edge[:, 1:] |= region[:, 1:] != region[:, :-1]
    edge[1:, :] |= region[1:, :] != region[:-1, :]
    picture[edge] = BOUNDARY_INK
    return Image.fromarray(picture.round().astype(np.uint8))


def labelled_points_image(background: Image.Image, grey: np.ndarray, coloured: np.ndarray, classes: np.ndarray,
                          large: bool) -> Image.Image:
    """``background`` with ``grey [n, 2]`` points as small grey dots and ``coloured [m, 2]`` ones in their
    ``classes``' colours: large dots ringed dark when ``large`` (a few labelled points), else small ones."""
    picture = np.array(background)
    ink_dots(picture, grey, UNLABELLED_INK, alpha=0.5)
    for c in np.unique(classes):
        mine = coloured[classes == c]
        if large:
            ink_dots(picture, mine, BOUNDARY_INK, alpha=1.0, radius=LABELLED_RADIUS + 1)
            ink_dots(picture, mine, class_colour(int(c)), alpha=1.0, radius=LABELLED_RADIUS)
        else:
            ink_dots(picture, mine, class_colour(int(c)), alpha=0.6)
    return Image.fromarray(picture)


def class_samples_image(log_density: np.ndarray, samples: np.ndarray, classes: np.ndarray, size: int) -> Image.Image:
    """The learned heat map with ``samples [n, 2]`` drawn for given ``classes [n]`` as dots of their colours."""
    picture = np.array(heat_image(log_density, size))
    for c in np.unique(classes):
        ink_dots(picture, samples[classes == c], class_colour(int(c)), alpha=0.8)
    return Image.fromarray(picture)


def heat_image(log_density: np.ndarray, size: int) -> Image.Image:
    """A log-density map ``[R, R]`` (top row first) as a ``size``-pixel RGB square, smoothly enlarged."""
    return Image.fromarray(heat_map(log_density)).resize((size, size), Image.Resampling.BICUBIC)


def samples_image(log_density: np.ndarray, samples: np.ndarray, size: int) -> Image.Image:
    """The learned heat map with ``samples [n, 2]`` as light dots on it."""
    picture = np.array(heat_image(log_density, size))
    ink_dots(picture, samples, SAMPLE_INK, alpha=0.55)
    return Image.fromarray(picture)


def ink_dots(picture: np.ndarray, points: np.ndarray, ink: tuple[int, int, int], alpha: float, radius: int = 1,
             extent: float = EXTENT) -> None:
    """Draw ``points [n, 2]`` into the uint8 ``picture [S, S, 3]`` in place, as
    :func:`flowstudio.imaging_points.scatter` draws them (``(2r+1)``-pixel squares, ``k`` dots on a pixel
    covering ``1 - (1 - alpha)^k``), blending only the pixels they cover.

    ``scatter`` blends its whole canvas in float64 (about 20 ms at 256 pixels
    here); the live view draws a frame ten times a second, so it touches only
    the few thousand covered pixels (well under a millisecond).
    """
    size = picture.shape[0]
    p = np.asarray(points, np.float64)
    col = np.floor((p[:, 0] + extent) / (2 * extent) * size)
    row = np.floor((extent - p[:, 1]) / (2 * extent) * size)
    ok = np.isfinite(col) & np.isfinite(row)
    col, row = col[ok].astype(np.int64), row[ok].astype(np.int64)
    offsets = np.arange(-radius, radius + 1)
    rows = (row[:, None, None] + offsets[None, :, None]).repeat(len(offsets), 2).ravel()
    cols = (col[:, None, None] + offsets[None, None, :]).repeat(len(offsets), 1).ravel()
    inside = (rows >= 0) & (rows < size) & (cols >= 0) & (cols < size)
    pixels, counts = np.unique(rows[inside] * size + cols[inside], return_counts=True)
    cover = (1.0 - (1.0 - alpha) ** counts)[:, None]
    flat = picture.reshape(-1, 3)
    flat[pixels] = np.round(flat[pixels] * (1.0 - cover) + np.asarray(ink, np.float64) * cover).astype(np.uint8)


def to_pixels(points: np.ndarray, size: int, extent: float = EXTENT) -> np.ndarray:
    """Plane coordinates ``[..., 2]`` -> pixel coordinates of a ``size``-pixel panel of ``[-extent, extent]^2``."""
    p = np.asarray(points, np.float64)
    scale = size / (2 * extent)
    return np.stack([(p[..., 0] + extent) * scale, (extent - p[..., 1]) * scale], -1)


def grid_ground(data: np.ndarray, size: int) -> np.ndarray:
    """The warped grid's background at :data:`SUPERSAMPLE` times ``size``: faint ``data`` points on the dark
    ground (drawn once per target, since only the lines move)."""
    ground = np.empty((size * SUPERSAMPLE, size * SUPERSAMPLE, 3), np.uint8)
    ground[:] = BACKGROUND
    ink_dots(ground, data, DATA_INK, alpha=0.25)
    return ground


def warped_grid_image(lines: np.ndarray, ground: np.ndarray, width: float = 1.2) -> Image.Image:
    """Warped latent lines ``[2L, P, 2]`` (first half horizontal, see
    :func:`~flowstudio.playground.views.latent_grid_lines`) drawn on ``ground`` (:func:`grid_ground`)."""
    canvas = Image.fromarray(ground)
    big = canvas.width
    draw = ImageDraw.Draw(canvas)
    half = len(lines) // 2
    limit = 4 * big  # a line thrown far out by an untrained flow is cut, not drawn to infinity
    for i, line in enumerate(to_pixels(lines, big)):
        for run in _drawable_runs(line, limit):
            draw.line(run.ravel().tolist(), fill=LINE_COLOURS[0 if i < half else 1],
                      width=max(1, round(width * SUPERSAMPLE)))
    return canvas.reduce(SUPERSAMPLE)


def _drawable_runs(line: np.ndarray, limit: float) -> list[np.ndarray]:
    """The stretches of a polyline ``[P, 2]`` whose points are finite and within ``limit`` pixels."""
    ok = np.isfinite(line).all(1) & (np.abs(line) < limit).all(1)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], ok.astype(np.int8), [0]])))
    return [line[a:b] for a, b in zip(edges[::2], edges[1::2]) if b - a > 1]


def compose(panels: list[Image.Image], captions: list[str], gap: int = 12, caption_px: int = 14) -> Image.Image:
    """Panels side by side on the dark ground with a caption under each (the exported frame)."""
    w = sum(p.width for p in panels) + gap * (len(panels) + 1)
    h = max(p.height for p in panels) + 2 * gap + caption_px + 4
    out = Image.new("RGB", (w, h), BACKGROUND)
    draw = ImageDraw.Draw(out)
    font = ImageFont.load_default(size=caption_px)
    x = gap
    for panel, caption in zip(panels, captions):
        out.paste(panel, (x, gap))
        text_w = draw.textlength(caption, font=font)
        draw.text((x + (panel.width - text_w) / 2, gap + panel.height + 4), caption, fill=CAPTION_COLOUR, font=font)
        x += panel.width + gap
    return out
