"""Export every cell of the grid as its own PNG: which folder, what name, how much larger, sharp or smooth."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLineEdit,
                               QPushButton, QSpinBox, QVBoxLayout, QWidget)

from flowstudio.studio._qt.dialogs import EXPORT_DIR, ask_folder, export_dir
from flowstudio.studio._qt.labels import role_label
from flowstudio.studio._qt.workers import Job
from flowstudio.studio.upscale import MAX_FACTOR, Upscale, safe_stem

FILTERS = (("Sharp pixels (nearest)", False), ("Smooth (bicubic)", True))


class ExportCellsDialog(QDialog):
    def __init__(self, studio: Any, result: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio, self.result = studio, result
        self.setWindowTitle("Export every cell")
        up = studio.results.upscale
        self.folder = QLineEdit(str(export_dir(studio.prefs)))
        browse = QPushButton("Choose…")
        browse.clicked.connect(self.ask_folder)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(browse)
        self.stem = QLineEdit(safe_stem(result.request.set_name))
        self.stem.setToolTip("The start of every file name; each file also gets its place in the grid and its seed")
        self.factor = QSpinBox(minimum=1, maximum=MAX_FACTOR, value=up.factor, suffix="x")
        self.factor.setToolTip("Models draw tiny images: enlarge each by a whole factor")
        self.filter = QComboBox()
        for text, smooth in FILTERS:
            self.filter.addItem(text, smooth)
        self.filter.setCurrentIndex(int(up.smooth))
        self.filter.setToolTip("Sharp keeps every model pixel a crisp square; smooth blends them")
        self.note = role_label("", "hint", wrap=True)
        form = QFormLayout()
        form.addRow("Folder", folder_row)
        form.addRow("Name", self.stem)
        form.addRow("Enlarge", self.factor)
        form.addRow("Pixels", self.filter)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        self.export_button.setProperty("role", "primary")
        buttons.accepted.connect(self.export)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.note)
        layout.addWidget(buttons)
        for signal in (self.factor.valueChanged, self.stem.textChanged):
            signal.connect(self._update_note)
        self._update_note()
        self.resize(520, self.sizeHint().height())

    @property
    def upscale(self) -> Upscale:
        return Upscale(self.factor.value(), bool(self.filter.currentData()))

    def _update_note(self) -> None:
        n, (w, h) = len(self.result.seeds), self.upscale.size(self.result.images.shape[1:])
        first = f"{safe_stem(self.stem.text())}-01-seed{self.result.seeds[0]}.png"
        self.note.setText(f"{n} PNG{'s' if n != 1 else ''} of {w} × {h} pixels, each with its seed and parameters "
                          f"inside (first: {first}). Files already there are kept.")

    def ask_folder(self) -> None:
        folder = ask_folder(self, "Export the cells into", self.studio.prefs, EXPORT_DIR)
        if folder:
            self.folder.setText(folder)

    def export(self) -> Job | None:
        job = self.studio.results.export_cells(self.folder.text(), self.stem.text(), self.upscale, self.result)
        self.accept()
        return job
