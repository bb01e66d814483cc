"""The central sample grid: redrawn live as parameters change; click a cell to enlarge it."""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from flowstudio.studio._qt.dialogs import ask_save_path
from flowstudio.studio._qt.labels import LiveLabel, role_label
from flowstudio.studio._qt.icons import icon_button
from flowstudio.studio._qt.panels import PanelSpec, ScreenshotSpec, register_panel, show_tab
from flowstudio.studio._qt.views.cell_dialog import CellDialog
from flowstudio.studio._qt.views.describe import describe_sample
from flowstudio.studio._qt.views.image_grid import ImageGrid

LOADING = "Loading the model…\nYou can already drop example images or open a project."
FAILED = "No model is loaded.\nOpen one from the Model panel, or drop a .safetensors file here."


class SamplesView(QWidget):
    def __init__(self, studio: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        self.cell_dialog: CellDialog | None = None
        self.title = role_label("Samples", "heading")
        self.summary = LiveLabel("", "hint")
        reroll = icon_button("New seed", "fa5s.dice", "Roll a new random first seed (R)", studio.reroll_seed)
        export = icon_button("Export grid…", "fa5s.file-export",
                             "Save the grid as a PNG with its parameters (Ctrl+E)", self.ask_export)
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addSpacing(8)
        head.addWidget(self.summary, 1)
        head.addWidget(reroll)
        head.addWidget(export)
        self.grid = ImageGrid()
        self.grid.setToolTip("Click a sample to see it large, with its seed")
        self.grid.cellClicked.connect(self.open_cell)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addLayout(head)
        layout.addWidget(self.grid, 1)

        studio.sampleRendered.connect(self.show_result)
        studio.host.stateChanged.connect(self._engine_state)
        self._engine_state(studio.host.state)

    def _engine_state(self, state: str) -> None:
        if state == "loading" and self.studio.last_sample is None:
            self.grid.set_message(LOADING, "fa5s.hourglass-half")
        elif state == "failed":
            self.grid.set_message(FAILED, "fa5s.cube")

    def show_result(self, result: Any) -> None:
        images, cols = ImageGrid.square(result.images)
        seeds = [f"seed {s}" for s in result.seeds]
        seeds += [""] * (images.shape[0] * cols - len(seeds))  # the ragged last row has no cells there
        captions = [seeds[r * cols:(r + 1) * cols] for r in range(images.shape[0])]
        self.grid.set_images(images, captions)
        self.summary.setText(describe_sample(result))

    def cell_index(self, row: int, col: int) -> int:
        return row * self.grid.images.shape[1] + col

    def open_cell(self, row: int, col: int) -> CellDialog:
        self.cell_dialog = CellDialog(self.studio, self.studio.last_sample, self.cell_index(row, col), self)
        self.cell_dialog.show()
        return self.cell_dialog

    def ask_export(self) -> None:
        path = ask_save_path(self, "Export grid", "samples.png", self.studio.prefs)
        if path:
            self.studio.export("grid", path)


def _first_cell(window: Any) -> QWidget:
    """Screenshot state: the first sample enlarged."""
    return window.panels["samples"].open_cell(0, 0)


register_panel(PanelSpec("samples", "Samples", "fa5s.th", "center", SamplesView, order=10,
                         screenshots=(ScreenshotSpec("main", show_tab("samples")),
                                      ScreenshotSpec("sample-cell", _first_cell))))
