"""Two results of the history side by side, with what differs between them and a way to use either's settings."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QGridLayout, QLabel, QVBoxLayout, QWidget

from flowstudio.studio._qt.icons import icon_button
from flowstudio.studio._qt.labels import role_label
from flowstudio.studio._qt.views.image_grid import ImageGrid
from flowstudio.studio.history import HistoryEntry, differences

SIZE = (1040, 640)


def seed_captions(entry: HistoryEntry, cols: int, rows: int) -> list[list[str]]:
    seeds = [f"seed {s}" for s in entry.seeds] + [""] * (rows * cols - len(entry.seeds))
    return [seeds[r * cols:(r + 1) * cols] for r in range(rows)]


class CompareDialog(QDialog):
    """Non-modal: the grid keeps updating behind it."""

    def __init__(self, studio: Any, uid_a: str, uid_b: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        self.setWindowTitle("Compare results")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        history = studio.history
        self.entries = [history.store.find(uid_a), history.store.find(uid_b)]
        self.grids: list[ImageGrid] = []
        columns = QGridLayout()
        columns.setHorizontalSpacing(24)
        for col, entry in enumerate(self.entries):
            when = time.strftime("%d %b %H:%M:%S", time.localtime(entry.created))
            columns.addWidget(role_label(f"{'★ ' if entry.starred else ''}{when} · {entry.set_name or 'no examples'}",
                                         "heading"), 0, col)
            grid = ImageGrid()
            images, cols = ImageGrid.square(history.images(entry.uid))
            grid.set_images(images, seed_captions(entry, cols, images.shape[0]))
            self.grids.append(grid)
            columns.addWidget(grid, 1, col)
            columns.addWidget(role_label(entry.summary, "hint", wrap=True), 2, col)
            use = icon_button("Use these settings", "fa5s.magic", "Restore this result's parameters, seed and "
                              "examples", lambda _=False, uid=entry.uid: history.use_settings(uid))
            columns.addWidget(use, 3, col, Qt.AlignmentFlag.AlignLeft)
        columns.setRowStretch(1, 1)
        diff = differences(*self.entries)
        self.differences = QLabel("What differs: " + " · ".join(diff) if diff else "Same settings.")
        self.differences.setWordWrap(True)
        self.differences.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.close)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 16, 20, 12)
        layout.addLayout(columns, 1)
        layout.addWidget(self.differences)
        layout.addWidget(buttons)
        screen = self.screen().availableGeometry() if self.screen() else None
        width, height = SIZE
        if screen is not None:
            width, height = min(width, screen.width() - 40), min(height, screen.height() - 60)
        self.resize(width, height)
