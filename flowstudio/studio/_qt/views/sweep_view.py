"""The lambda sweep (paper Figs. 7-8): the same seeds (rows) drawn with lambda from 0.1 m to m (columns).

Drawn only while visible, since it costs several grids.  Clicking a column
sets lambda to that multiple of m.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from flowstudio.studio._qt.dialogs import ask_export_path
from flowstudio.studio._qt.icons import icon_button
from flowstudio.studio._qt.labels import role_label
from flowstudio.studio._qt.panels import (
    PanelSpec,
    ScreenshotSpec,
    register_panel,
    show_tab,
)
from flowstudio.studio._qt.views.image_grid import ImageGrid
from flowstudio.studio._qt.views.describe import no_transflow
from flowstudio.studio._qt.views.notice import grid_marks

EXPLAIN = ("Each row keeps one seed; λ grows from left (close to your examples) to right (more of the model's "
           "own variety). Click a column to use that λ.")
NO_EVIDENCE = "The sweep needs example images.\nDrop a few onto the Evidence panel."


class SweepView(QWidget):
    def __init__(self, studio: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        self.multiples: tuple[float, ...] = ()
        title = role_label("λ sweep", "heading")
        hint = role_label(EXPLAIN, "hint", wrap=True)
        export = icon_button("Export sweep…", "fa5s.file-export", "Save the sweep as a PNG with its parameters",
                             self.ask_export)
        head = QHBoxLayout()
        head.addWidget(title)
        head.addSpacing(8)
        head.addWidget(hint, 1)
        head.addWidget(export)
        self.grid = ImageGrid()
        self.grid.set_message("Drawing the sweep…", "fa5s.sliders-h")
        self.grid.cellClicked.connect(self.use_column)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addLayout(head)
        layout.addWidget(self.grid, 1)
        studio.sweepRendered.connect(self.show_result)
        studio.doc.paramsChanged.connect(lambda _: self._mark_current_lambda())

    def showEvent(self, event) -> None:
        self.studio.set_sweep_wanted(True)
        super().showEvent(event)

    def hideEvent(self, event) -> None:
        self.studio.set_sweep_wanted(False)
        super().hideEvent(event)

    def show_result(self, result: Any) -> None:
        if result is None:
            self.grid.set_message(no_transflow(self.studio.host.info) or NO_EVIDENCE, "fa5s.images")
            return
        self.multiples = result.multiples
        self.grid.set_images(result.images, column_labels=[f"{r:.1f} m" for r in result.multiples],
                             row_labels=[f"seed {s}" for s in result.seeds], marks=grid_marks(result))
        self._mark_current_lambda()

    def _mark_current_lambda(self) -> None:
        spec = self.studio.doc.params.likelihood
        match = [i for i, r in enumerate(self.multiples) if abs(r - spec.lam) < 1e-6]
        self.grid.highlight_column = match[0] if match and spec.relative else None
        self.grid.update()

    def use_column(self, row: int, col: int) -> None:
        self.studio.edit.change_params(text=f"λ = {self.multiples[col]:.1f} m", lam=self.multiples[col],
                                       relative=True)

    def ask_export(self) -> None:
        path = ask_export_path(self, "Export λ sweep", "lambda-sweep.png", self.studio.prefs)
        if path:
            self.studio.export("sweep", path)


register_panel(PanelSpec("sweep", "λ sweep", "fa5s.sliders-h", "center", SweepView, order=20,
                         screenshots=(ScreenshotSpec("lambda-sweep", show_tab("sweep")),)))
