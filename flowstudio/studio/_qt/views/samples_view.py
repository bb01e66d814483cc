"""The central sample grid, redrawn live as parameters change, and the history of past grids under it.

Click a cell to enlarge it; right-click it for its menu (save, copy, copy
its seed, use it as an example, send it to the interpolation).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QVBoxLayout, QWidget

from flowstudio.studio._qt.dialogs import ask_export_path
from flowstudio.studio._qt.labels import LiveLabel, role_label
from flowstudio.studio._qt.icons import icon_button
from flowstudio.studio._qt.panels import PanelSpec, ScreenshotSpec, register_panel, show_tab
from flowstudio.studio._qt.views.cell_dialog import CellDialog
from flowstudio.studio._qt.views.cell_menu import CellMenu
from flowstudio.studio._qt.views.describe import describe_sample
from flowstudio.studio._qt.views.export_cells_dialog import ExportCellsDialog
from flowstudio.studio._qt.views.history_strip import HistoryStrip
from flowstudio.studio._qt.views.image_grid import ImageGrid
from flowstudio.studio._qt.views.notice import Notice, cell_marks, grid_notice
from flowstudio.studio.requests import LabelChoice

MODES = (("plain", "Samples"), ("by_label", "By label"), ("same_style", "Same style, every label"))
"""The Samples view's modes for a label-conditioned model (:class:`~flowstudio.studio.requests.LabelChoice`)."""
EVERY_LABEL = "A row per label"

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
        export_cells = icon_button("Every cell…", "fa5s.th-large",
                                   "Save every cell as its own PNG, enlarged, each with its seed and parameters "
                                   "(Ctrl+Alt+E)", self.ask_export_cells)
        self.reroll = reroll
        head = QHBoxLayout()
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(reroll)
        head.addWidget(export)
        head.addWidget(export_cells)
        self.grid = ImageGrid()
        self.grid.setToolTip("Click a sample to see it large, with its seed; right-click it to save, copy, "
                             "use it as an example or send it to the interpolation")
        self.grid.cellClicked.connect(self.open_cell)
        self.grid.cellMenuRequested.connect(self.show_cell_menu)
        self.history = HistoryStrip(studio)
        self.mode = QComboBox()
        for key, text in MODES:
            self.mode.addItem(text, key)
        self.mode.setToolTip("This model generates for a label: draw its own samples, samples of one label (or a "
                             "row per label), or the same style (the same latent, one seed per column) under "
                             "every label")
        self.label = QComboBox()
        self.label.setToolTip("The label to draw, or a row for every label")
        self.mode.currentIndexChanged.connect(self._label_choice_changed)
        self.label.currentIndexChanged.connect(self._label_choice_changed)
        self.label_bar = QWidget()
        bar = QHBoxLayout(self.label_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addWidget(role_label("Draw", "hint"))
        bar.addWidget(self.mode)
        bar.addWidget(self.label)
        bar.addStretch(1)
        self.label_bar.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 8)
        self.notice = Notice("warning")
        layout.addLayout(head)
        layout.addWidget(self.label_bar)
        layout.addWidget(self.summary)  # its own line: the whole description, never cut by the buttons
        layout.addWidget(self.notice)
        layout.addWidget(self.grid, 1)
        layout.addWidget(self.history)

        studio.sampleRendered.connect(self.show_result)
        studio.host.modelLoaded.connect(self._model_loaded)
        studio.host.stateChanged.connect(self._engine_state)
        studio.doc.paramsChanged.connect(self._seed_lock_changed)
        self._engine_state(studio.host.state)
        self._seed_lock_changed()

    def _seed_lock_changed(self, changed: frozenset[str] | None = None) -> None:
        """New seed is off while the seed is locked (rerolling would do nothing)."""
        if changed is None or "seed_locked" in changed:
            locked = self.studio.doc.params.seed_locked
            self.reroll.setEnabled(not locked)
            self.reroll.setToolTip("The seed is locked: unlock it in the Posterior panel (L) to roll a new one"
                                   if locked else "Roll a new random first seed (R)")

    def _model_loaded(self, info: Any) -> None:
        """Offer the label modes only for a model that generates for a label (its card names the labels)."""
        self.label.blockSignals(True)
        self.label.clear()
        self.label.addItem(EVERY_LABEL, None)
        for k, name in enumerate(info.label_names):
            self.label.addItem(name, k)
        self.label.blockSignals(False)
        self.label_bar.setVisible(bool(info.label_names))
        self._label_choice_changed()

    def set_label_mode(self, mode: str, label: int | None = None) -> None:
        """Choose the mode (``"plain"``, ``"by_label"``, ``"same_style"``) and label (``None``: every label), as
        the two boxes do."""
        for box in (self.label, self.mode):
            box.blockSignals(True)
        self.label.setCurrentIndex(self.label.findData(label) if label is not None else 0)
        self.mode.setCurrentIndex(self.mode.findData(mode))
        for box in (self.label, self.mode):
            box.blockSignals(False)
        self._label_choice_changed()  # one redraw for both

    def _label_choice_changed(self, *_: Any) -> None:
        mode = self.mode.currentData()
        self.label.setEnabled(mode != "plain")
        self.studio.set_label_choice(None if mode == "plain" or not self.label_bar.isVisibleTo(self)
                                     else LabelChoice(mode, self.label.currentData()))

    def _engine_state(self, state: str) -> None:
        if state == "loading" and self.studio.last_sample is None:
            self.grid.set_message(LOADING, "fa5s.hourglass-half")
        elif state == "failed":
            self.grid.set_message(FAILED, "fa5s.cube")

    def show_result(self, result: Any) -> None:
        if result.labels is not None and result.cols:
            self._show_label_rows(result)
            return
        images, cols = ImageGrid.square(result.images)
        seeds = [f"seed {s}" for s in result.seeds]
        seeds += [""] * (images.shape[0] * cols - len(seeds))  # the ragged last row has no cells there
        captions = [seeds[r * cols:(r + 1) * cols] for r in range(images.shape[0])]
        marks = cell_marks(result)
        marks += [""] * (images.shape[0] * cols - len(marks))
        self.grid.set_images(images, captions, marks=[marks[r * cols:(r + 1) * cols] for r in range(images.shape[0])])
        self.summary.setText(describe_sample(result))
        self.notice.show_text(*grid_notice(result))

    def _show_label_rows(self, result: Any) -> None:
        """A row per label, named on the left; same-style columns are named by their shared seed."""
        grid = result.labels
        rows, cols = grid.images.shape[:2]
        images = result.images.reshape(rows, cols, *result.images.shape[1:])
        same = grid.kind == "same_style"  # seeds name the columns; by label, a cell's seed is in its dialog
        marks = cell_marks(result)
        self.grid.set_images(images, None, column_labels=[f"seed {s}" for s in grid.seeds[0]] if same else None,
                             row_labels=[grid.names[k] for k in grid.labels],
                             marks=[marks[r * cols:(r + 1) * cols] for r in range(rows)])
        self.summary.setText(describe_sample(result))
        self.notice.show_text(*grid_notice(result))

    def cell_index(self, row: int, col: int) -> int:
        return row * self.grid.images.shape[1] + col

    def open_cell(self, row: int, col: int) -> CellDialog:
        self.cell_dialog = CellDialog(self.studio, self.studio.last_sample, self.cell_index(row, col), self)
        self.cell_dialog.show()
        return self.cell_dialog

    def cell_menu(self, row: int, col: int) -> CellMenu:
        """The menu of a cell of the grid on screen."""
        return CellMenu(self.studio, self.studio.last_sample, self.cell_index(row, col), self)

    def show_cell_menu(self, row: int, col: int, at: QPoint) -> None:
        self.cell_menu(row, col).exec(at)

    def ask_export(self) -> None:
        path = ask_export_path(self, "Export grid", "samples.png", self.studio.prefs)
        if path:
            self.studio.export("grid", path)

    def ask_export_cells(self) -> ExportCellsDialog | None:
        if self.studio.last_sample is None:
            self.studio.notifier.info("Nothing to export yet", "Wait for the samples to appear, then export again.")
            return None
        dialog = ExportCellsDialog(self.studio, self.studio.last_sample, self)
        dialog.open()
        return dialog


def _first_cell(window: Any) -> QWidget:
    """Screenshot state: the first sample enlarged."""
    return window.panels["samples"].open_cell(0, 0)


def _history(window: Any) -> None:
    """Screenshot state: a few past grids in the history, two of them starred."""
    from flowstudio.studio._qt.screenshots import wait_until_idle

    studio = window.studio
    for lam, seed in ((0.3, 11), (0.7, 12), (0.5, 13), (0.4, 14)):
        studio.edit.change_params(lam=lam, seed=seed)
        wait_until_idle(window)
        studio.history.record(studio.last_sample)
    for entry in studio.history.entries[1:3]:
        studio.history.set_starred(entry.uid, True)
    window.show_panel("samples")


def _compare(window: Any) -> QWidget:
    _history(window)
    entries = window.studio.history.entries
    return window.panels["samples"].history.open_compare(entries[1].uid, entries[0].uid)


def _cell_menu(window: Any) -> QWidget:
    view = window.panels["samples"]
    menu = view.cell_menu(0, 1)
    menu.popup(view.grid.mapToGlobal(view.grid.cell_rect(0, 1).center().toPoint()))
    return menu


register_panel(PanelSpec("samples", "Samples", "fa5s.th", "center", SamplesView, order=10,
                         screenshots=(ScreenshotSpec("main", show_tab("samples")),
                                      ScreenshotSpec("sample-cell", _first_cell),
                                      ScreenshotSpec("history", _history),
                                      ScreenshotSpec("compare", _compare),
                                      ScreenshotSpec("cell-menu", _cell_menu))))
