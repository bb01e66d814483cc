"""Evidence thumbnails: each image as the model sees it, by content hash, made into pixmaps only when painted.

Encoding already reads every image at the model's size, so the encoder
hands those pixels over and no file is read twice.  Pixmaps are made on
demand for the rows a view paints, at the view's size and device pixel
ratio, and the most recently used are kept: a set of thousands of images
costs a few hundred bytes per image until it is scrolled into view.
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtGui import QPixmap

from flowstudio.studio._qt.pixmaps import crisp_pixmap

MAX_PIXMAPS = 1024


class ThumbnailStore:
    def __init__(self) -> None:
        self._pixels: dict[str, np.ndarray] = {}
        self._pixmaps: OrderedDict[tuple[str, int, float], QPixmap] = OrderedDict()

    def add(self, sha256: str, pixels: np.ndarray) -> None:
        self._pixels[sha256] = pixels

    def pixels(self, sha256: str) -> np.ndarray | None:
        return self._pixels.get(sha256)

    def pixmap(self, sha256: str, logical: int, dpr: float) -> QPixmap | None:
        key = (sha256, logical, dpr)
        cached = self._pixmaps.get(key)
        if cached is not None:
            self._pixmaps.move_to_end(key)
            return cached
        pixels = self._pixels.get(sha256)
        if pixels is None:
            return None
        pixmap = self._pixmaps[key] = crisp_pixmap(pixels, logical, dpr)
        while len(self._pixmaps) > MAX_PIXMAPS:
            self._pixmaps.popitem(last=False)
        return pixmap

    def clear(self) -> None:
        self._pixels.clear()
        self._pixmaps.clear()
