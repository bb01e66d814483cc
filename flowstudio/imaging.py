"""Writing results: image grids, strips, animated GIF/WebP, and parameters in PNG text chunks.

Every PNG Flow Studio writes carries its parameters as JSON in a PNG ``iTXt``
chunk named ``flowstudio`` (as A1111 and ComfyUI store theirs), so that the
file alone says how to reproduce it and reading it back restores them.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image, PngImagePlugin

from flowstudio import __version__
from flowstudio.files import atomic_write_bytes

PARAMS_KEY = "flowstudio"
ANIMATION_MIN_SIDE = 256
"""Animations are enlarged (whole factor, sharp pixels) until their short side is at least this many pixels,
so that a strip of 28-pixel images plays at a watchable size in any viewer."""


def to_pil(image: np.ndarray | torch.Tensor) -> Image.Image:
    """One uint8 image ``[C, H, W]`` (C = 1 or 3) as a Pillow image."""
    a = image.detach().cpu().numpy() if isinstance(image, torch.Tensor) else np.asarray(image)
    a = np.ascontiguousarray(a.transpose(1, 2, 0))
    return Image.fromarray(a[:, :, 0] if a.shape[2] == 1 else a, mode="L" if a.shape[2] == 1 else "RGB")


def make_grid(images: np.ndarray | torch.Tensor, nrow: int | None = None, padding: int = 2,
              scale: int = 1, pad_value: int = 32) -> Image.Image:
    """Tile uint8 images ``[N, C, H, W]`` into a grid (``nrow`` columns, default ~sqrt(N)).

    ``scale`` enlarges each cell by an integer factor with nearest-neighbour
    sampling, so small models' pixels stay crisp.
    """
    a = images.detach().cpu().numpy() if isinstance(images, torch.Tensor) else np.asarray(images)
    n, c, h, w = a.shape
    cols = nrow or max(1, int(np.ceil(np.sqrt(n))))
    rows = int(np.ceil(n / cols))
    if scale > 1:
        a = a.repeat(scale, axis=2).repeat(scale, axis=3)
        h, w = h * scale, w * scale
    out = np.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding), pad_value, np.uint8)
    for i in range(n):
        r, col = divmod(i, cols)
        y, x = padding + r * (h + padding), padding + col * (w + padding)
        out[:, y:y + h, x:x + w] = a[i]
    return to_pil(out)


def grid_bytes(n: int, shape: Sequence[int], nrow: int | None = None, padding: int = 2, scale: int = 1) -> int:
    """Bytes of the uint8 array :func:`make_grid` builds for ``n`` images of ``shape`` ``[C, H, W]``
    (to refuse an impossible request before allocating it)."""
    c, h, w = shape
    cols = nrow or max(1, math.ceil(math.sqrt(n)))
    rows = math.ceil(n / cols)
    return c * (rows * (h * scale + padding) + padding) * (cols * (w * scale + padding) + padding)


def png_bytes(image: Image.Image, params: dict[str, Any] | None = None) -> bytes:
    """Encode ``image`` as PNG with ``params`` (plus the Flow Studio version) in an iTXt chunk."""
    info = PngImagePlugin.PngInfo()
    if params is not None:
        info.add_itxt(PARAMS_KEY, json.dumps({"version": __version__, **params}, sort_keys=True))
    buf = io.BytesIO()
    image.save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def save_png(image: Image.Image, path: str | Path, params: dict[str, Any] | None = None) -> Path:
    """Write ``image`` to ``path`` atomically, with ``params`` embedded (see :func:`png_bytes`)."""
    path = Path(path)
    atomic_write_bytes(path, png_bytes(image, params))
    return path


def read_png_params(path: str | Path) -> dict[str, Any] | None:
    """The parameters embedded by :func:`save_png`, or ``None`` if the file has none."""
    try:
        with Image.open(path) as im:
            text = im.text.get(PARAMS_KEY) if hasattr(im, "text") else None
    except (OSError, ValueError):
        return None
    if not text:
        return None
    try:
        params = json.loads(text)
    except json.JSONDecodeError:
        return None
    return params if isinstance(params, dict) else None


def save_animation(frames: Sequence[Image.Image], path: str | Path, frame_ms: int = 120,
                   bounce: bool = True, min_side: int = ANIMATION_MIN_SIDE) -> Path:
    """Animated GIF or WebP (by suffix) of ``frames``; ``bounce`` plays forward then back.

    Frames whose short side is under ``min_side`` are enlarged by the smallest whole factor that reaches it.
    """
    path = Path(path)
    short = min(frames[0].size)
    k = -(-min_side // short) if short < min_side else 1
    frames = [f.resize((f.width * k, f.height * k), Image.Resampling.NEAREST) for f in frames] if k > 1 else frames
    seq = list(frames) + (list(frames)[-2:0:-1] if bounce else [])
    fmt = "WEBP" if path.suffix.lower() == ".webp" else "GIF"
    buf = io.BytesIO()
    seq[0].save(buf, format=fmt, save_all=True, append_images=seq[1:], duration=frame_ms, loop=0)
    atomic_write_bytes(path, buf.getvalue())
    return path


def file_digest(path: str | Path, length: int = 16) -> str:
    """Short sha256 of a file's bytes (identifies evidence images in saved parameters)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:length]
