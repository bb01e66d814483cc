"""A small live plot of a training's loss (bits/dim for image flows, else the family's unit): per step, and
on held-out data per evaluation.

Painted with QPainter (no plotting library): two polylines over a shared
step axis, the y range fitted to the data (with a little headroom), the
latest values in a legend.  Cheap to repaint on every step event.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from flowstudio.studio._qt.icons import theme_colour

LEFT, RIGHT, TOP, BOTTOM = 52, 12, 26, 26


class LossPlot(QWidget):
    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setMinimumSize(260, 160)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setToolTip("Bits per dimension (lower is better): training loss, and on held-out images")
        self.train: list[tuple[int, float]] = []
        self.held_out: list[tuple[int, float]] = []
        self.total_steps = 0  # of the whole run (the x axis is fitted to the steps so far)
        self.unit = "bits/dim"

    def clear(self, total_steps: int = 0) -> None:
        self.train, self.held_out, self.total_steps = [], [], total_steps
        self.update()

    def set_unit(self, unit: str) -> None:
        """The loss's unit (a run's ``score_unit``), shown in the legend and the tooltip."""
        self.unit = unit
        what = "Bits per dimension" if unit == "bits/dim" else f"Loss in {unit}"
        self.setToolTip(f"{what} (lower is better): training loss, and on held-out data")
        self.update()

    def add_step(self, step: int, bpd: float | None) -> None:
        if bpd is not None:
            self.train.append((step, bpd))
            self.update()

    def add_eval(self, step: int, bpd: float | None) -> None:
        if bpd is not None:
            self.held_out.append((step, bpd))
            self.update()

    def paintEvent(self, event) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        dim = QColor(self.palette().placeholderText().color())
        area = QRectF(LEFT, TOP, max(10, self.width() - LEFT - RIGHT), max(10, self.height() - TOP - BOTTOM))
        painter.setPen(QPen(dim, 1))
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        painter.drawLine(area.bottomLeft(), area.topLeft())
        points = self.train + self.held_out
        if not points:
            painter.drawText(area, Qt.AlignmentFlag.AlignCenter, "The loss appears here once training starts")
            painter.end()
            return
        x_max = max(max(s for s, _ in points), 1)  # fitted to the steps so far: the curve uses the width
        lo, hi = min(v for _, v in points), max(v for _, v in points)
        pad = max((hi - lo) * 0.08, 0.01)
        lo, hi = lo - pad, hi + pad

        def at(step: int, value: float) -> QPointF:
            return QPointF(area.left() + area.width() * step / x_max,
                           area.bottom() - area.height() * (value - lo) / (hi - lo))

        for text, y, flags in ((f"{hi:.2f}", area.top(), Qt.AlignmentFlag.AlignTop),
                               (f"{lo:.2f}", area.bottom() - 14, Qt.AlignmentFlag.AlignBottom)):
            painter.drawText(QRectF(0, y, LEFT - 6, 14), Qt.AlignmentFlag.AlignRight | flags, text)
        painter.drawText(QRectF(area.left(), area.bottom() + 4, area.width(), 16),
                         Qt.AlignmentFlag.AlignRight, f"step {x_max:,}")
        painter.drawText(QRectF(area.left(), area.bottom() + 4, 40, 16), Qt.AlignmentFlag.AlignLeft, "0")
        legend_x = area.left()
        for series, role, name in ((self.train, "accent", "training"), (self.held_out, "success", "held-out")):
            colour = QColor(theme_colour(role))
            if len(series) > 1:
                path = QPainterPath(at(*series[0]))
                for point in series[1:]:
                    path.lineTo(at(*point))
                painter.setPen(QPen(colour, 2))
                painter.drawPath(path)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            for point in series[-1:] if len(series) > 1 else series:
                painter.drawEllipse(at(*point), 3, 3)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(colour)
            label = f"● {name} {series[-1][1]:.3f}" if series else f"● {name} –"
            painter.drawText(QRectF(legend_x, 4, 170, 18), Qt.AlignmentFlag.AlignLeft, label)
            legend_x += 170
        painter.setPen(dim)
        painter.drawText(QRectF(legend_x, 4, 120, 18), Qt.AlignmentFlag.AlignLeft, self.unit)
        painter.end()
