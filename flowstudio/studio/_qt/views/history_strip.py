"""The history strip under the sample grid: past grids, newest first, to star, compare and take settings from.

Each tile is a small picture of a whole grid, with its time and a star
when the user starred it (starred grids are kept however many come after).
Double-click a tile, or "Use these settings", to restore its parameters,
seed included, and its evidence set.  Select two tiles (Ctrl+click) and
Compare to see them side by side with what differs.  Right-click a tile
for the same and to remove it.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from PySide6.QtCore import QPoint, QSize, Qt
from PySide6.QtGui import QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QListView, QListWidget, QListWidgetItem, QMenu,
                               QToolButton, QVBoxLayout, QWidget)

from flowstudio.studio._qt.icons import bind_icon, themed_icon
from flowstudio.studio._qt.labels import LiveLabel, role_label
from flowstudio.studio._qt.pixmaps import to_qimage
from flowstudio.studio._qt.views.compare_view import CompareDialog
from flowstudio.studio._qt.views.image_grid import ImageGrid
from flowstudio.studio.history import HISTORY_LIMIT, HistoryEntry

THUMB = 60
UID_ROLE = Qt.ItemDataRole.UserRole + 1
EMPTY = "Past grids appear here once the samples settle."


def mosaic(images: np.ndarray, gap: int = 1) -> np.ndarray:
    """A grid's cells ``[N, C, H, W]`` tiled square into one image ``[C, H', W']`` (for a thumbnail)."""
    tiles, cols = ImageGrid.square(images)
    rows = tiles.shape[0]
    c, h, w = images.shape[1:]
    out = np.zeros((c, rows * (h + gap) - gap, cols * (w + gap) - gap), np.uint8)
    for r in range(rows):
        for k in range(cols):
            out[:, r * (h + gap):r * (h + gap) + h, k * (w + gap):k * (w + gap) + w] = tiles[r, k]
    return out


def thumbnail(images: np.ndarray, starred: bool, side: int = THUMB) -> QPixmap:
    """The grid as a ``side``-pixel picture, with a star in its corner when starred."""
    pixmap = QPixmap.fromImage(to_qimage(mosaic(images))).scaled(
        side, side, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
    if starred:
        painter = QPainter(pixmap)
        star = themed_icon("fa5s.star", role="warning").pixmap(16, 16)
        painter.drawPixmap(pixmap.width() - 17, 1, star)
        painter.end()
    return pixmap


def describe_entry(entry: HistoryEntry) -> str:
    when = time.strftime("%d %b %H:%M:%S", time.localtime(entry.created))
    lines = [f"{when}{' · starred' if entry.starred else ''}", entry.summary,
             f"Examples: {entry.set_name or 'none'} · seeds {entry.params.seed}–{entry.params.seed + entry.params.count - 1}",
             f"Model: {entry.model_id or 'unknown'}", "Double-click to use these settings; right-click for more."]
    return "\n".join(line for line in lines if line)


class HistoryStrip(QWidget):
    def __init__(self, studio: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        self.history = studio.history
        self.compare_dialog: CompareDialog | None = None
        self.count = LiveLabel("", "hint")
        self.starred_only = self._tool("fa5s.filter", "Show only the starred results", checkable=True,
                                       text="Starred only")
        self.starred_only.toggled.connect(lambda _: self.refresh())
        self.star = self._tool("fa5s.star", "Star the selected results (or remove their star): starred results "
                               "are kept however many come after them", self.toggle_star, text="Star")
        self.compare = self._tool("fa5s.columns", "Compare two results side by side (select two with Ctrl+click)",
                                  self.compare_selected, text="Compare")
        self.use = self._tool("fa5s.magic", "Use these settings: the selected result's parameters, seed and "
                              "examples (double-click a result does the same)", self.use_selected, text="Use settings")
        head = QHBoxLayout()
        head.setSpacing(6)
        head.addWidget(role_label("History", "heading"))
        head.addWidget(self.count, 1)
        for button in (self.starred_only, self.star, self.compare, self.use):
            head.addWidget(button)

        self.list = QListWidget()
        self.list.setViewMode(QListView.ViewMode.IconMode)
        self.list.setFlow(QListView.Flow.LeftToRight)
        self.list.setWrapping(False)
        self.list.setMovement(QListView.Movement.Static)
        self.list.setIconSize(QSize(THUMB, THUMB))
        self.list.setGridSize(QSize(THUMB + 14, THUMB + 24))
        self.list.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.list.setFixedHeight(THUMB + 24 + 2 * self.list.frameWidth() + self.list.horizontalScrollBar().sizeHint().height())
        self.list.setToolTip(EMPTY)
        self.list.itemDoubleClicked.connect(lambda item: self.history.use_settings(item.data(UID_ROLE)))
        self.list.customContextMenuRequested.connect(self._context_menu)
        self.list.itemSelectionChanged.connect(self._sync_buttons)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 0)
        layout.setSpacing(4)
        layout.addLayout(head)
        layout.addWidget(self.list)
        self.history.changed.connect(self.refresh)
        self.refresh()

    def _tool(self, icon: str, tip: str, slot: Any = None, checkable: bool = False, text: str = "") -> QToolButton:
        button = QToolButton(toolTip=tip, checkable=checkable, autoRaise=True, text=text)
        if text:
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        bind_icon(button, icon)
        if slot is not None:
            button.clicked.connect(slot)
        return button

    # -- content ------------------------------------------------------------------------
    def shown_entries(self) -> list[HistoryEntry]:
        entries = self.history.entries
        return [e for e in entries if e.starred] if self.starred_only.isChecked() else list(entries)

    def refresh(self) -> None:
        selected = set(self.selected_uids())
        self.list.clear()
        for entry in self.shown_entries():
            images = self.history.images(entry.uid)
            if images is None:
                continue
            item = QListWidgetItem(QIcon(thumbnail(images, entry.starred)),
                                   time.strftime("%H:%M", time.localtime(entry.created)))
            item.setData(UID_ROLE, entry.uid)
            item.setToolTip(describe_entry(entry))
            item.setTextAlignment(Qt.AlignmentFlag.AlignHCenter)
            self.list.addItem(item)
            item.setSelected(entry.uid in selected)
        entries = self.history.entries
        stars = sum(e.starred for e in entries)
        self.count.setText(f"{len(entries)} result{'s' if len(entries) != 1 else ''}"
                           + (f" · {stars} starred" if stars else "")
                           + f" · last {HISTORY_LIMIT} kept" if entries else EMPTY)
        self.count.setToolTip(f"The history keeps the last {HISTORY_LIMIT} results of this project and every "
                              "starred one, with the project (in Flow Studio's data folder).")
        self._sync_buttons()

    def selected_uids(self) -> list[str]:
        return [item.data(UID_ROLE) for item in self.list.selectedItems()]

    def select(self, uids: list[str]) -> None:
        for i in range(self.list.count()):
            item = self.list.item(i)
            item.setSelected(item.data(UID_ROLE) in uids)

    def _sync_buttons(self) -> None:
        n = len(self.selected_uids())
        self.use.setEnabled(n == 1)
        self.star.setEnabled(n >= 1)
        self.compare.setEnabled(n == 2 or (n == 1 and len(self.history.entries) > 1))

    # -- commands -----------------------------------------------------------------------
    def use_selected(self) -> None:
        uids = self.selected_uids()
        if len(uids) == 1:
            self.history.use_settings(uids[0])

    def toggle_star(self) -> None:
        entries = [self.history.store.find(uid) for uid in self.selected_uids()]
        star = not all(e.starred for e in entries if e is not None)
        for e in entries:
            if e is not None:
                self.history.set_starred(e.uid, star)

    def compare_selected(self) -> CompareDialog | None:
        """Compare the two selected results, or the selected one with the newest."""
        uids = self.selected_uids()
        if len(uids) == 1:
            newest = self.history.entries[0].uid
            uids = [uids[0], newest if newest != uids[0] else self.history.entries[1].uid]
        if len(uids) != 2:
            return None
        return self.open_compare(*uids)

    def open_compare(self, uid_a: str, uid_b: str) -> CompareDialog:
        if self.compare_dialog is not None:
            self.compare_dialog.close()
        self.compare_dialog = CompareDialog(self.studio, uid_a, uid_b, self.window())
        self.compare_dialog.show()
        return self.compare_dialog

    def _context_menu(self, pos: QPoint) -> None:
        item = self.list.itemAt(pos)
        if item is None:
            return
        if not item.isSelected():
            self.list.clearSelection()
            item.setSelected(True)
        self.entry_menu(item.data(UID_ROLE)).exec(self.list.viewport().mapToGlobal(pos))

    def entry_menu(self, uid: str) -> QMenu:
        entry = self.history.store.find(uid)
        menu = QMenu(self)
        menu.addAction(themed_icon("fa5s.magic"), "Use these settings", lambda: self.history.use_settings(uid))
        menu.addAction(themed_icon("fa5s.star"), "Remove the star" if entry.starred else "Star (keep it)",
                       lambda: self.history.set_starred(uid, not entry.starred))
        others = [u for u in self.selected_uids() if u != uid]
        if others:
            menu.addAction(themed_icon("fa5s.columns"), "Compare with the other selected",
                           lambda: self.open_compare(uid, others[0]))
        if len(self.history.entries) > 1 and self.history.entries[0].uid != uid:
            menu.addAction(themed_icon("fa5s.columns"), "Compare with the newest",
                           lambda: self.open_compare(uid, self.history.entries[0].uid))
        menu.addSeparator()
        menu.addAction(themed_icon("fa5s.trash-alt"), "Remove from the history", lambda: self.history.remove(uid))
        return menu
