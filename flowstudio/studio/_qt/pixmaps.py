"""Model images (uint8 ``[C, H, W]`` arrays) as crisp Qt pixmaps at any size and device pixel ratio.

Models are small (28 x 28 for the bundled one), so images are always
enlarged with nearest-neighbour sampling by a whole number of *device*
pixels per model pixel: every model pixel is a sharp square on a 4K
screen as on a standard one.  The pixmap carries the screen's device pixel
ratio, so it is painted at its logical size without Qt rescaling it.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QSize
from PySide6.QtGui import QImage, QPixmap


def to_qimage(image: np.ndarray) -> QImage:
    """A uint8 ``[C, H, W]`` image (C = 1 or 3) as a QImage that owns a copy of the pixels."""
    a = np.ascontiguousarray(image.transpose(1, 2, 0) if image.shape[0] == 3 else image[0])
    h, w = a.shape[:2]
    fmt = QImage.Format.Format_RGB888 if a.ndim == 3 else QImage.Format.Format_Grayscale8
    return QImage(a.data, w, h, a.strides[0], fmt).copy()


def integer_scale(image_size: QSize, box_px: int | QSize) -> int:
    """The largest whole enlargement that fits ``image_size`` into ``box_px`` device pixels (at least 1)."""
    box = box_px if isinstance(box_px, QSize) else QSize(box_px, box_px)
    return max(1, min(box.width() // max(image_size.width(), 1), box.height() // max(image_size.height(), 1)))


def crisp_pixmap(image: np.ndarray, logical: int | QSize, dpr: float) -> QPixmap:
    """``image`` enlarged by a whole number of device pixels to fit ``logical`` points at ratio ``dpr``."""
    box = logical if isinstance(logical, QSize) else QSize(logical, logical)
    device_box = QSize(int(box.width() * dpr), int(box.height() * dpr))
    h, w = image.shape[1:]
    k = integer_scale(QSize(w, h), device_box)
    enlarged = np.ascontiguousarray(image.repeat(k, axis=1).repeat(k, axis=2))
    pixmap = QPixmap.fromImage(to_qimage(enlarged))
    pixmap.setDevicePixelRatio(dpr)
    return pixmap
