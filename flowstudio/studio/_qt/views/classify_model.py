"""The Classify table's model: one row per sorted image (thumbnail, file, predicted class, one score per class).

Each class column shows the probability of that class in percent (the
core's softmax over the log-likelihoods under each class's posterior
predictive); the raw log-likelihood is in the cell's tooltip.  The best one
of a row (its predicted class) is highlighted.  Sorting (through a
``QSortFilterProxyModel``) uses the raw values of :data:`SORT_ROLE` (the probabilities).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import QApplication

from flowstudio.studio._qt.pixmaps import crisp_pixmap

SORT_ROLE = Qt.ItemDataRole.UserRole + 1
THUMB = 32
FIXED = ("File", "Predicted")


def percent(p: float) -> str:
    """``"62.2 %"``; ``"< 0.1 %"`` and ``"> 99.9 %"`` rather than a 0 or 100 that is not exact."""
    if 0 < p < 0.0005:
        return "< 0.1 %"
    if 0.9995 < p < 1:
        return "> 99.9 %"
    return f"{p * 100:.1f} %"


class ClassifyModel(QAbstractTableModel):
    def __init__(self, parent: Any = None):
        super().__init__(parent)
        self.classes: list[str] = []
        self.rows: list[Any] = []  # Classified
        self._thumbs: dict[int, Any] = {}
        self.exact = False

    def reset(self, classes: list[str], exact: bool | None = None) -> None:
        """Start a new table of ``classes``; ``exact``: its scores are a self-classifying model's log p(y | x),
        not log-likelihoods under the classes' posterior predictives (``None``: as before)."""
        self.beginResetModel()
        self.classes, self.rows = list(classes), []
        if exact is not None:
            self.exact = exact
        self._thumbs.clear()
        self.endResetModel()

    def append(self, rows: list[Any]) -> None:
        if rows:
            self.beginInsertRows(QModelIndex(), len(self.rows), len(self.rows) + len(rows) - 1)
            self.rows += rows
            self.endInsertRows()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(FIXED) + len(self.classes)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation != Qt.Orientation.Horizontal:
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return FIXED[section] if section < len(FIXED) else self.classes[section - len(FIXED)]
        if role == Qt.ItemDataRole.ToolTipRole and section >= len(FIXED):
            return ("How likely the image is to belong to this class, in percent (the row adds up to 100 %); "
                    "the best one is highlighted. Hover a cell for its raw log-likelihood score")
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, col = self.rows[index.row()], index.column()
        score = col - len(FIXED)
        if role in (Qt.ItemDataRole.DisplayRole, SORT_ROLE):
            if col == 0:
                return Path(row.path).name
            if col == 1:
                return row.predicted
            return percent(row.probabilities[score]) if role == Qt.ItemDataRole.DisplayRole else row.probabilities[score]
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return self._thumb(index.row())
        if role == Qt.ItemDataRole.ToolTipRole and col == 0:
            return row.path
        if role == Qt.ItemDataRole.ToolTipRole and score >= 0:
            if self.exact:
                return f"log p(y | x) of “{self.classes[score]}”: {row.scores[score]:,.2f} (the model's own class " \
                       "probability, as a natural log)"
            return f"Log-likelihood under “{self.classes[score]}”: {row.scores[score]:,.1f} (under the class's " \
                   "posterior predictive; higher is likelier)"
        if role == Qt.ItemDataRole.TextAlignmentRole and score >= 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        best = score >= 0 and self.classes[score] == row.predicted
        if role == Qt.ItemDataRole.BackgroundRole and (best or col == 1):
            colour = QColor(QApplication.palette().highlight().color())
            colour.setAlpha(70)
            return colour
        if role == Qt.ItemDataRole.FontRole and (best or col == 1):
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _thumb(self, row: int) -> Any:
        if row not in self._thumbs:
            dpr = QApplication.instance().devicePixelRatio() if QApplication.instance() else 1.0
            self._thumbs[row] = crisp_pixmap(self.rows[row].pixels, THUMB, dpr)
        return self._thumbs[row]
