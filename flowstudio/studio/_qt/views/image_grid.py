"""A grid of model images painted crisp at any window size: the sample grid and the lambda sweep use it.

Cells are enlarged with nearest-neighbour sampling, by a whole number of
device pixels per model pixel whenever that fills most of the space
(:mod:`..pixmaps`), else by the exact fitting factor (a dense sweep in a
narrow window), centred in the widget, each with an optional caption
below (a seed) and optional row and column headers (the sweep's seeds and
lambda values).  Clicking a cell emits :attr:`ImageGrid.cellClicked`, a
right click (or the menu key) :attr:`ImageGrid.cellMenuRequested`;
hovering highlights it.  When there is nothing to show, a message (with an
optional icon) is painted in the middle instead.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QContextMenuEvent, QMouseEvent, QPainter, QPaintEvent, QPen, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget

from flowstudio.studio._qt.icons import themed_icon
from flowstudio.studio._qt.pixmaps import crisp_pixmap

GAP = 10
CAPTION = 18
HEADER = 22
ROW_HEADER = 84
MARGIN = 16
WHOLE_SCALE_FROM = 0.8
"""Whole device pixels per model pixel when that keeps at least this share of the fitting size."""


class ImageGrid(QWidget):
    cellClicked = Signal(int, int)  # row, column
    cellMenuRequested = Signal(int, int, QPoint)  # row, column, where to open the menu (global)
    framePainted = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMouseTracking(True)
        # Opaque: a new grid repaints this widget alone, not the window and panels behind it as well.
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(200, 200)
        self.images: np.ndarray | None = None  # [rows, cols, C, H, W]
        self.captions: list[list[str]] = []
        self.marks: list[list[str]] = []  # per cell, what went wrong in words ("could not be drawn")
        self.column_labels: list[str] = []
        self.row_labels: list[str] = []
        self.highlight_column: int | None = None
        self.message, self.message_icon = "", ""
        self._hover: tuple[int, int] | None = None
        self._pixmaps: dict[tuple[int, int], QPixmap] = {}
        self._pixmap_key: tuple[float, float] | None = None

    # -- content ------------------------------------------------------------------------
    def set_images(self, images: np.ndarray, captions: list[list[str]] | None = None,
                   column_labels: list[str] | None = None, row_labels: list[str] | None = None,
                   marks: list[list[str]] | None = None) -> None:
        """Show ``images [rows, cols, C, H, W]`` (cells past the end of a ragged grid are all-zero and uncaptioned).

        ``marks[r][c]``, when not empty, is painted over that cell with a warning sign: a cell that did not
        decode to a real image says so instead of passing for a dark sample.
        """
        self.images = images
        self.captions = captions or []
        self.marks = marks or []
        self.column_labels = column_labels or []
        self.row_labels = row_labels or []
        self.message = ""
        self._pixmaps.clear()
        self.update()

    def set_message(self, text: str, icon: str = "") -> None:
        """Show ``text`` instead of images (loading, nothing to draw yet, ...)."""
        self.images = None
        self.message, self.message_icon = text, icon
        self.update()

    @staticmethod
    def square(images: np.ndarray) -> tuple[np.ndarray, int]:
        """``[N, C, H, W]`` as ``[rows, cols, ...]`` with ``cols = ceil(sqrt N)`` (as ``make_grid``), zero-padded."""
        n = len(images)
        cols = max(1, int(np.ceil(np.sqrt(n))))
        rows = -(-n // cols)
        padded = np.zeros((rows * cols, *images.shape[1:]), images.dtype)
        padded[:n] = images
        return padded.reshape(rows, cols, *images.shape[1:]), cols

    # -- geometry -----------------------------------------------------------------------
    def _layout(self) -> tuple[float, QPoint, float, float]:
        """``(cell side, top-left of the first cell, column pitch, row pitch)`` in logical pixels."""
        rows, cols = self.images.shape[:2]
        h, w = self.images.shape[3:]
        dpr = self.devicePixelRatioF()
        left_pad = ROW_HEADER if self.row_labels else 0
        top_pad = HEADER if self.column_labels else 0
        caption = CAPTION if self.captions else 0
        avail_w = self.width() - 2 * MARGIN - left_pad - GAP * (cols - 1)
        avail_h = self.height() - 2 * MARGIN - top_pad - (GAP + caption) * rows + GAP
        fit_px = max(min(avail_w / cols / w, avail_h / rows / h) * dpr, 1.0)  # device pixels per model pixel
        scale_px = int(fit_px) if int(fit_px) >= WHOLE_SCALE_FROM * fit_px else fit_px
        cell_w, cell_h = w * scale_px / dpr, h * scale_px / dpr
        pitch_x, pitch_y = cell_w + GAP, cell_h + GAP + caption
        total_w = left_pad + cols * pitch_x - GAP
        total_h = top_pad + rows * pitch_y - GAP
        x0 = (self.width() - total_w) / 2 + left_pad
        y0 = (self.height() - total_h) / 2 + top_pad
        return cell_w, QPoint(round(x0), round(y0)), pitch_x, pitch_y

    def cell_rect(self, row: int, col: int) -> QRectF:
        cell, origin, px, py = self._layout()
        h, w = self.images.shape[3:]
        return QRectF(origin.x() + col * px, origin.y() + row * py, cell, cell * h / w)

    def cell_at(self, pos: QPoint) -> tuple[int, int] | None:
        if self.images is None:
            return None
        rows, cols = self.images.shape[:2]
        for r in range(rows):
            for c in range(cols):
                if self._has_cell(r, c) and self.cell_rect(r, c).contains(pos):
                    return r, c
        return None

    def _has_cell(self, row: int, col: int) -> bool:
        return not self.captions or bool(self.captions[row][col])

    # -- painting -----------------------------------------------------------------------
    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        pal = self.palette()
        painter.fillRect(event.rect(), pal.window())
        if self.images is None:
            self._paint_message(painter)
            painter.end()
            self.framePainted.emit()
            return
        rows, cols = self.images.shape[:2]
        dpr = self.devicePixelRatioF()
        cell = self._layout()[0]
        if self._pixmap_key != (cell, dpr):
            self._pixmaps.clear()
            self._pixmap_key = (cell, dpr)
        dim = QColor(pal.placeholderText().color())
        accent = pal.highlight().color()
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, False)
        pitch = self._layout()[2]
        for c, label in enumerate(self.column_labels):
            r = self.cell_rect(0, c)
            painter.setPen(accent if c == self.highlight_column else dim)
            painter.drawText(QRectF(r.center().x() - pitch / 2, r.top() - HEADER, pitch, HEADER - 4),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom, label)
        for r, label in enumerate(self.row_labels):
            rect = self.cell_rect(r, 0)
            painter.setPen(dim)
            painter.drawText(QRectF(rect.left() - ROW_HEADER, rect.top(), ROW_HEADER - 10, rect.height()),
                             Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, label)
        for r in range(rows):
            for c in range(cols):
                if self._has_cell(r, c):
                    self._paint_cell(painter, r, c, cell, dpr, dim, accent)
        painter.end()
        self.framePainted.emit()

    def _paint_cell(self, painter: QPainter, r: int, c: int, cell: float, dpr: float, dim: QColor,
                    accent: QColor) -> None:
        rect = self.cell_rect(r, c)
        pixmap = self._pixmaps.get((r, c))
        if pixmap is None:
            pixmap = self._pixmaps[(r, c)] = crisp_pixmap(self.images[r, c], QSize(int(cell) + 1, int(cell) + 1), dpr)
        painter.drawPixmap(rect, pixmap, QRectF(pixmap.rect()))  # nearest-neighbour for a fractional fit
        if (r, c) == self._hover or c == self.highlight_column:
            painter.setPen(QPen(accent, 2))
            painter.drawRect(rect.adjusted(-2, -2, 2, 2))
        if self.marks and self.marks[r][c]:
            self._paint_mark(painter, rect, self.marks[r][c])
        if self.captions and self.captions[r][c]:
            painter.setPen(dim)
            painter.drawText(QRectF(rect.left(), rect.bottom() + 2, rect.width(), CAPTION),
                             Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop, self.captions[r][c])

    def _paint_mark(self, painter: QPainter, rect: QRectF, text: str) -> None:
        """A warning sign and ``text`` on a dark band across the cell (the sign alone in a cell too small for
        the words; the grid's notice says them then)."""
        band = QRectF(rect.left(), rect.center().y() - min(30.0, rect.height() / 2), rect.width(),
                      min(60.0, rect.height()))
        painter.fillRect(band, QColor(0, 0, 0, 170))
        lines = painter.fontMetrics().boundingRect(band.adjusted(2, 0, -2, 0).toRect(), Qt.TextFlag.TextWordWrap,
                                                   text)
        fits = band.height() >= 20 + lines.height() and lines.width() <= band.width() - 4
        icon_top = band.top() + 2 if fits else band.center().y() - 8
        painter.drawPixmap(QRectF(band.center().x() - 8, icon_top, 16, 16).toRect(),
                           themed_icon("fa5s.exclamation-triangle", role="warning").pixmap(16, 16))
        if fits:
            painter.setPen(QColor("#ffffff"))
            painter.drawText(band.adjusted(2, 20, -2, 0), Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
                             | Qt.TextFlag.TextWordWrap, text)

    def _paint_message(self, painter: QPainter) -> None:
        pal = self.palette()
        box = QRect(0, 0, min(self.width() - 40, 460), 140)
        box.moveCenter(self.rect().center())
        if self.message_icon:
            icon = themed_icon(self.message_icon, role="accent").pixmap(40, 40)
            painter.drawPixmap(box.center().x() - 20, box.top(), icon)
        painter.setPen(pal.placeholderText().color())
        painter.drawText(box.adjusted(0, 56 if self.message_icon else 0, 0, 0),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextWordWrap,
                         self.message)

    # -- mouse --------------------------------------------------------------------------
    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        hover = self.cell_at(event.position().toPoint())
        if hover != self._hover:
            self._hover = hover
            self.setCursor(Qt.CursorShape.PointingHandCursor if hover else Qt.CursorShape.ArrowCursor)
            self.update()

    def leaveEvent(self, event) -> None:
        self._hover = None
        self.update()

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        cell = self.cell_at(event.pos()) if event.reason() == QContextMenuEvent.Reason.Mouse else self._hover
        if cell is not None:
            self.cellMenuRequested.emit(*cell, event.globalPos())
            event.accept()
        else:
            event.ignore()

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            cell = self.cell_at(event.position().toPoint())
            if cell is not None:
                self.cellClicked.emit(*cell)
