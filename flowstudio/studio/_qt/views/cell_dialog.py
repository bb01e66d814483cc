"""One sample cell, enlarged: its seed, how it was drawn, and buttons to save, copy or reuse its seed."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from flowstudio.studio._qt.dialogs import ask_export_path
from flowstudio.studio._qt.labels import role_label
from flowstudio.studio._qt.icons import bind_icon, icon_button
from flowstudio.studio._qt.pixmaps import crisp_pixmap
from flowstudio.studio._qt.views.describe import describe_sample

SIDE = 392


class CellDialog(QDialog):
    """Non-modal: several cells can be open side by side while the grid keeps updating."""

    def __init__(self, studio: Any, result: Any, index: int, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio, self.result, self.index = studio, result, index
        self.seed = result.seeds[index]
        self.setWindowTitle(f"Sample · seed {self.seed}")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        image = QLabel(alignment=Qt.AlignmentFlag.AlignCenter)
        image.setPixmap(crisp_pixmap(result.images[index], SIDE, self.devicePixelRatioF()))
        label = result.cell_label(index)  # a grid drawn by label: the cell's label with its seed
        seed = role_label(f"{label} · seed {self.seed}" if label else f"Seed {self.seed}", "heading")
        seed.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        how = role_label(describe_sample(result), "hint", wrap=True)

        use = icon_button("Use as first seed", "fa5s.dice", "Make this seed the grid's first cell", self.use_seed)
        copy = QPushButton("Copy")
        bind_icon(copy, "fa5s.copy")
        copy.clicked.connect(lambda: studio.results.copy_image(result, index))
        save = QPushButton("Save PNG…", default=True)
        save.setProperty("role", "primary")
        bind_icon(save, "fa5s.save")
        save.clicked.connect(self.save)
        buttons = QHBoxLayout()
        for b in (use, copy):
            buttons.addWidget(b)
        buttons.addStretch(1)
        buttons.addWidget(save)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(20, 20, 20, 16)
        layout.setSpacing(10)
        layout.addWidget(image)
        layout.addWidget(seed)
        layout.addWidget(how)
        layout.addLayout(buttons)

    def use_seed(self) -> None:
        self.studio.edit.change_params(text=f"Use seed {self.seed}", seed=self.seed)

    def save(self) -> None:
        path = ask_export_path(self, "Save sample", f"sample-seed{self.seed}.png", self.studio.prefs)
        if path:
            self.save_to(path)

    def save_to(self, path: str) -> Any:
        """Save this cell with its own seed in the PNG's parameters (the button calls this after asking)."""
        return self.studio.export("cell", path, self.result, self.index)
