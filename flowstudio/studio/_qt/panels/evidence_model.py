"""The evidence thumbnails as a Qt model/view: a list model over one set, and the delegate that paints a tile.

The model forwards the document's row-level signals, so adding a batch of
images inserts those rows only and the view keeps its scroll position and
selection, even with thousands of images.  Thumbnails are not model data:
the delegate asks the :class:`~flowstudio.studio._qt.thumbnails.ThumbnailStore`
for a pixmap at the view's device pixel ratio when it paints a tile, so
only visible tiles ever become pixmaps.

A tile shows the image as the model sees it, a checkbox (included in the
posterior or not), the image's bits/dim (for a model without an exact image
likelihood, GLF, its latent NLL, with the reconstruction error in the
tooltip: :func:`score_lines`), and a badge: amber when the model
finds the image very unlikely (its reason in the tooltip), red when the
file cannot be read, an hourglass while it is being read ("no model" while
no model is open to read it).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractListModel, QEvent, QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem

from flowstudio.scores import BITS_PER_DIM
from flowstudio.studio._qt.icons import theme_colour, themed_icon

TILE = 84
PAD = 4
LABEL = 18
CHECK = 16
BADGE = 16

UID_ROLE = Qt.ItemDataRole.UserRole + 1
STATE_ROLE = Qt.ItemDataRole.UserRole + 2
ITEM_ROLE = Qt.ItemDataRole.UserRole + 3


def item_state(item: Any, encoded: bool, model_state: str = "ready") -> str:
    """``"error"``, ``"waiting"`` (no model is open to read it), ``"kept"`` (the model reads no examples: it
    generates by label, ``model_state`` ``"labelled"``), ``"pending"`` (not read by the current model yet),
    ``"unlikely"`` or ``"ok"``."""
    if item.error:
        return "error"
    if model_state == "failed":
        return "waiting"
    if model_state == "labelled":
        return "kept"
    if not encoded or item.bpd is None:
        return "pending"
    return "unlikely" if item.unlikely else "ok"


def score_lines(item: Any) -> list[str]:
    """The model's score of an encoded image in words: bits/dim, or (a model without an exact image
    likelihood, e.g. GLF) the latent NLL and the reconstruction error."""
    if item.unit == BITS_PER_DIM:
        return [f"{item.bpd:.3f} bits per pixel under the model (lower is likelier)"]
    lines = [f"Latent NLL {item.bpd:.2f} nats: how unlikely the model finds the image's code (lower is likelier; "
             "this model has no exact image likelihood, so no bits per pixel)"]
    if item.reconstruction is not None:
        lines.append(f"Reconstruction error {item.reconstruction:.4f} (mean squared, pixels 0-1): how far the "
                     "model's redrawing of the image is from it")
    return lines


def badge_text(item: Any) -> str:
    """The short score under a thumbnail: ``"3.19 bpd"`` or ``"NLL 12.3"``."""
    return f"{item.bpd:.2f} bpd" if item.unit == BITS_PER_DIM else f"NLL {item.bpd:.1f}"


def tooltip(item: Any, state: str) -> str:
    lines = [f"<b>{item.name}</b>", item.path]
    if state == "error":
        lines.append(f"<span style='color:#f06a6a'>Cannot be used: {item.error}</span>")
    elif state == "pending":
        lines.append("Being read by the model…")
    elif state == "waiting":
        lines.append("Kept, and read as soon as a model is open")
    elif state == "kept":
        lines.append("Not scored: the open model generates by label and scores no examples (the set can be a "
                     "class in the Train panel)")
    else:
        lines += score_lines(item)
        if item.unlikely and item.bpd < 0 and item.unit == BITS_PER_DIM:
            lines.append("<span style='color:#f0b429'>Below 0 bits per pixel, which no real image can score: the "
                         "model's density is sharply peaked at flat or constant images, so this one is atypical "
                         f"and pulls the samples toward flat images.</span><br><i>{item.reason}</i>")
        elif item.unlikely:
            lines.append("<span style='color:#f0b429'>The model finds this image very unlikely; it may pull the "
                         f"samples away from what the model can draw.</span><br><i>{item.reason}</i>")
    if not item.included:
        lines.append("<i>Excluded: not used for the samples.</i>")
    return "<br>".join(lines)


class EvidenceListModel(QAbstractListModel):
    """Rows of one evidence set (``set_uid``); checking a row is an undoable include/exclude."""

    def __init__(self, studio: Any):
        super().__init__()
        self.studio = studio
        self.set_uid: str | None = None
        doc = studio.doc
        doc.itemsAboutToBeInserted.connect(self._about_to_insert)
        doc.itemsInserted.connect(lambda uid: uid == self.set_uid and self.endInsertRows())
        doc.itemsAboutToBeRemoved.connect(self._about_to_remove)
        doc.itemsRemoved.connect(lambda uid: uid == self.set_uid and self.endRemoveRows())
        doc.itemsChanged.connect(self._changed)
        doc.documentReplaced.connect(lambda: self.show_set(doc.document.current))

    def show_set(self, uid: str | None) -> None:
        self.beginResetModel()
        self.set_uid = uid
        self.endResetModel()

    def items(self) -> list[Any]:
        s = self.studio.doc.find_set(self.set_uid)
        return s.items if s is not None else []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.items())

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        items = self.items()
        if not index.isValid() or index.row() >= len(items):
            return None
        item = items[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return item.name
        if role == Qt.ItemDataRole.CheckStateRole:
            return Qt.CheckState.Checked if item.included else Qt.CheckState.Unchecked
        if role == ITEM_ROLE:
            return item
        if role == UID_ROLE:
            return item.uid
        if role in (STATE_ROLE, Qt.ItemDataRole.ToolTipRole):
            host = self.studio.host
            labelled = host.ready and host.info is not None and bool(host.info.label_names)
            state = item_state(item, host.is_encoded(item.sha256), "labelled" if labelled else host.state)
            return state if role == STATE_ROLE else tooltip(item, state)
        return None

    def setData(self, index: QModelIndex | QPersistentModelIndex, value: Any,
                role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.CheckStateRole or not index.isValid():
            return False
        included = Qt.CheckState(value) == Qt.CheckState.Checked
        self.studio.edit.set_included(self.set_uid, [self.items()[index.row()].uid], included)
        return True

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemIsUserCheckable

    def _about_to_insert(self, uid: str, first: int, last: int) -> None:
        if uid == self.set_uid:
            self.beginInsertRows(QModelIndex(), first, last)

    def _about_to_remove(self, uid: str, first: int, last: int) -> None:
        if uid == self.set_uid:
            self.beginRemoveRows(QModelIndex(), first, last)

    def _changed(self, uid: str, first: int, last: int) -> None:
        if uid == self.set_uid:
            self.dataChanged.emit(self.index(first), self.index(last))


class EvidenceDelegate(QStyledItemDelegate):
    """Paints one tile (see the module docstring) and toggles inclusion on a click on its checkbox."""

    def __init__(self, studio: Any, parent: Any = None):
        super().__init__(parent)
        self.studio = studio

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:
        return QSize(TILE + 2 * PAD, TILE + 2 * PAD + LABEL)

    @staticmethod
    def _thumb_rect(rect: QRect) -> QRect:
        return QRect(rect.left() + PAD, rect.top() + PAD, TILE, TILE)

    @classmethod
    def check_rect(cls, rect: QRect) -> QRect:
        thumb = cls._thumb_rect(rect)
        return QRect(thumb.left() + 4, thumb.top() + 4, CHECK, CHECK)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex
              ) -> None:
        item, state = index.data(ITEM_ROLE), index.data(STATE_ROLE)
        pal = option.palette
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        tile = option.rect.adjusted(2, 2, -2, -2)
        if option.state & QStyle.StateFlag.State_Selected:
            path = QPainterPath()
            path.addRoundedRect(tile, 6, 6)
            painter.fillPath(path, QColor(pal.highlight().color().red(), pal.highlight().color().green(),
                                          pal.highlight().color().blue(), 70))
        thumb = self._thumb_rect(option.rect)
        dpr = option.widget.devicePixelRatioF() if option.widget else 1.0
        pixmap = self.studio.thumbnails.pixmap(item.sha256, TILE, dpr) if item.sha256 else None
        painter.setOpacity(1.0 if item.included else 0.35)
        if pixmap is not None:
            size = pixmap.deviceIndependentSize()
            painter.drawPixmap(int(thumb.center().x() - size.width() / 2 + 1),
                               int(thumb.center().y() - size.height() / 2 + 1), pixmap)
        else:
            painter.fillRect(thumb, pal.base().color())
        painter.setOpacity(1.0)
        self._paint_check(painter, self.check_rect(option.rect), item.included, pal)
        badge = {"unlikely": ("fa5s.exclamation-triangle", "warning"), "error": ("fa5s.times-circle", "error"),
                 "pending": ("fa5s.hourglass-half", "disabled")}.get(state)
        if badge:
            icon = themed_icon(badge[0], role=badge[1])
            icon.paint(painter, QRect(thumb.right() - BADGE - 3, thumb.top() + 4, BADGE, BADGE))
        label = {"error": "cannot read", "pending": "reading…", "waiting": "no model",
                 "kept": "not scored"}.get(state) or badge_text(item)
        painter.setPen(pal.placeholderText().color() if state != "unlikely" else QColor(theme_colour("warning")))
        painter.drawText(QRect(tile.left(), thumb.bottom() + 2, tile.width(), LABEL),
                         Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignVCenter, label)
        painter.restore()

    @staticmethod
    def _paint_check(painter: QPainter, rect: QRect, checked: bool, pal: Any) -> None:
        accent = pal.highlight().color()
        painter.setPen(QPen(accent if checked else QColor(200, 200, 200, 200), 1.5))
        painter.setBrush(accent if checked else QColor(0, 0, 0, 120))
        painter.drawRoundedRect(rect, 3, 3)
        if checked:
            themed_icon("fa5s.check", role="on_accent").paint(painter, rect.adjusted(3, 3, -3, -3))

    def editorEvent(self, event: QEvent, model: Any, option: QStyleOptionViewItem,
                    index: QModelIndex | QPersistentModelIndex) -> bool:
        if event.type() == QEvent.Type.MouseButtonRelease and self.check_rect(option.rect).adjusted(
                -3, -3, 3, 3).contains(event.position().toPoint()):
            checked = index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
            return model.setData(index, Qt.CheckState.Unchecked if checked else Qt.CheckState.Checked,
                                 Qt.ItemDataRole.CheckStateRole)
        return super().editorEvent(event, model, option, index)
