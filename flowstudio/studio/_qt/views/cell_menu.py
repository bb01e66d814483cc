"""The right-click menu of a sample cell: open it larger, save, copy, copy its seed, reuse it as an example.

Built for one cell of one drawn grid (the grid's result stays the same
while the menu is open, even if a newer grid arrives).  "Add to" puts the
cell into an evidence set as a new example; "Send to interpolation" makes
it one end of the Interpolation tab's strip (as a one-image set), the other
end being the set the grid was drawn from.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QMenu, QWidget

from flowstudio.studio._qt.dialogs import ask_export_path
from flowstudio.studio._qt.icons import themed_icon
from flowstudio.studio._qt.views.cell_dialog import CellDialog
from flowstudio.studio._qt.workers import Job


def send_to_interpolation(window: Any, result: Any, index: int, end: str) -> Job | None:
    """Make cell ``index`` the ``"from"`` or ``"to"`` end of the interpolation and show that tab."""
    studio, view = window.studio, window.panels["interpolation"]
    grid_set = studio.doc.document.current

    def chosen(uid: str) -> None:
        other = grid_set if studio.doc.find_set(grid_set) is not None else view.set_a.uid
        view.choose(uid, other) if end == "from" else view.choose(other, uid)
        window.show_panel("interpolation")

    return studio.results.as_new_set(result, index, chosen)


class CellMenu(QMenu):
    """The menu of cell ``index`` of ``result``; ``parent`` is the grid's view (in the main window)."""

    def __init__(self, studio: Any, result: Any, index: int, parent: QWidget):
        super().__init__(parent)
        self.studio, self.result, self.index = studio, result, index
        self.seed = seed = result.seeds[index]
        results = studio.results
        self.setToolTipsVisible(True)
        title = self.addAction(f"Sample · seed {seed}")  # a title (sections lose their text under a stylesheet)
        title.setEnabled(False)
        font = title.font()
        font.setBold(True)
        title.setFont(font)
        self.addSeparator()
        self.open_larger = self._add("fa5s.search-plus", "Open larger", self.open_cell)
        self.save = self._add("fa5s.save", "Save PNG…", self.ask_save,
                              f"Save this sample at {results.upscale.factor}x with its seed and parameters")
        self.copy_image = self._add("fa5s.copy", "Copy image", lambda: results.copy_image(result, index))
        self.copy_seed = self._add("fa5s.hashtag", "Copy seed", lambda: results.copy_seed(result, index))
        self.use_seed = self._add("fa5s.dice", "Use as first seed", lambda: studio.edit.change_params(
            text=f"Use seed {seed}", seed=seed), "Make this seed the grid's first cell")
        self.addSeparator()
        current = studio.doc.current_set
        self.use_as_example = self._add(
            "fa5s.plus-square", f"Use as example in “{current.name}”" if current else "Use as example (new set)",
            lambda: results.add_to_set(result, index), "Add this sample to the current evidence set")
        others = [s for s in studio.doc.sets if current is None or s.uid != current.uid]
        if others:
            add_to = self.addMenu(themed_icon("fa5s.layer-group"), "Use as example in")
            for s in others:
                add_to.addAction(s.name, lambda uid=s.uid: results.add_to_set(result, index, uid))
        interpolation = self.addMenu(themed_icon("fa5s.exchange-alt"), "Send to interpolation")
        self.as_start = interpolation.addAction("As the start (From)", lambda: self._send("from"))
        self.as_end = interpolation.addAction("As the end (To)", lambda: self._send("to"))

    def _add(self, icon: str, text: str, slot: Any, tip: str = "") -> Any:
        action = self.addAction(themed_icon(icon), text, slot)
        action.setToolTip(tip or text)
        return action

    def open_cell(self) -> CellDialog:
        dialog = CellDialog(self.studio, self.result, self.index, self.parentWidget())
        dialog.show()
        return dialog

    def ask_save(self) -> None:
        path = ask_export_path(self.parentWidget(), "Save sample", f"sample-seed{self.seed}.png", self.studio.prefs)
        if path:
            self.studio.export("cell", path, self.result, self.index)

    def _send(self, end: str) -> Job | None:
        return send_to_interpolation(self.parentWidget().window(), self.result, self.index, end)
