"""Results as files and as examples: the cell menu, drops on the Evidence panel, batch export, the export folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QFileDialog

from tests.studio_support import (messages, simulate_drop, studio_home, wait_for_files, wait_idle,  # noqa: F401
                                  window)

from flowstudio.imaging import read_png_params
from flowstudio.resources import resources_dir
from flowstudio.studio._qt.views.cell_dialog import CellDialog
from flowstudio.studio._qt.views.export_cells_dialog import ExportCellsDialog
from flowstudio.studio.paths import default_export_dir, results_as_examples_dir


def answer_save_dialog(monkeypatch, path: Path) -> list[str]:
    """The user picks ``path`` in every save dialog; returns the folders the dialogs opened in."""
    opened_in: list[str] = []

    def pick(parent, title, start, filter=""):
        opened_in.append(str(Path(start).parent))
        return str(path), filter

    monkeypatch.setattr(QFileDialog, "getSaveFileName", pick)
    return opened_in


def test_cell_menu_save_writes_the_cell_enlarged_with_its_seed_and_parameters(qtbot, window, tmp_path, monkeypatch):
    studio, view = window.studio, window.panels["samples"]
    answer_save_dialog(monkeypatch, tmp_path / "cell.png")
    menu = view.cell_menu(1, 2)  # cell 6 of the 4 x 4 grid: seed 6
    assert menu.seed == 6
    menu.save.trigger()
    wait_for_files(qtbot, window)
    params = read_png_params(tmp_path / "cell.png")
    assert params["seeds"] == [6] and params["upscale"] == 4 and params["upscale_filter"] == "sharp"
    assert params["model_path"] == studio.host.info.path and params["evidence_set"] == "sneakers"
    expected = studio.last_sample.images[6][0].repeat(4, 0).repeat(4, 1)
    assert np.array_equal(np.asarray(Image.open(tmp_path / "cell.png")), expected)


def test_cell_menu_copies_the_seed_and_the_image_and_opens_the_cell_larger(qtbot, window):
    view = window.panels["samples"]
    view.cell_menu(0, 3).copy_seed.trigger()
    assert QGuiApplication.clipboard().text() == "3"
    view.cell_menu(0, 1).copy_image.trigger()
    copied = QGuiApplication.clipboard().image()
    assert (copied.width(), copied.height()) == (112, 112)
    view.cell_menu(0, 2).open_larger.trigger()
    dialogs = [d for d in window.findChildren(CellDialog) if d.isVisible()]
    assert [d.seed for d in dialogs] == [2]


def test_cell_menu_use_as_example_adds_the_cell_to_the_current_set(qtbot, window):
    studio, view = window.studio, window.panels["samples"]
    sneakers = studio.doc.current_set
    undo_steps = studio.undo.count()
    view.cell_menu(0, 0).use_as_example.trigger()
    wait_for_files(qtbot, window)
    qtbot.waitUntil(lambda: len(sneakers.items) == 9)
    wait_idle(qtbot, window)
    added = sneakers.items[-1]
    assert Path(added.path).parent == results_as_examples_dir() and added.usable and added.bpd is not None
    assert read_png_params(added.path)["seeds"] == [0] and Image.open(added.path).size == (28, 28)
    assert studio.last_sample.m == 9 and studio.undo.count() == undo_steps + 1
    studio.undo.undo()
    assert len(sneakers.items) == 8


def test_cell_menu_send_to_interpolation_makes_the_cell_the_strips_end(qtbot, window):
    studio, view = window.studio, window.panels["samples"]
    sneakers = studio.doc.current_set
    view.cell_menu(0, 1).as_end.trigger()
    wait_for_files(qtbot, window)
    interpolation = window.panels["interpolation"]
    qtbot.waitUntil(lambda: interpolation.result is not None, timeout=30_000)
    end = studio.doc.find_set(interpolation.set_b.uid)
    assert end.name == "Seed 1" and len(end.items) == 1 and end.items[0].usable
    assert interpolation.set_a.uid == sneakers.uid and studio.doc.current_set is sneakers
    assert window.tabs.currentWidget() is interpolation
    assert interpolation.result.request.name_b == "Seed 1"


def test_a_png_dropped_on_the_evidence_panel_is_added_and_can_restore_its_settings_instead(qtbot, window, tmp_path):
    studio = window.studio
    studio.edit.change_params(seed=42, lam=0.3)
    wait_idle(qtbot, window)
    png = tmp_path / "grid.png"
    studio.export("grid", png)
    wait_for_files(qtbot, window)
    studio.edit.change_params(seed=1, lam=0.7)
    sneakers = studio.doc.current_set
    assert simulate_drop(window.panels["evidence"].view, [str(png)])
    wait_for_files(qtbot, window)
    assert studio.doc.current_set is sneakers and [i.path for i in sneakers.items][-1] == str(png)
    assert (studio.doc.params.seed, studio.doc.params.likelihood.lam) == (1, 0.7)  # not restored
    offer = next(m for m in messages(window, "info") if m.title == "grid.png was added as an example")
    toast = next(t for t in window.toasts.toasts if t.message is offer)
    toast.button("Restore its settings instead").click()
    wait_for_files(qtbot, window)
    assert (studio.doc.params.seed, studio.doc.params.likelihood.lam) == (42, 0.3)
    assert str(png) not in sneakers.paths() and studio.doc.current_set is sneakers

    simulate_drop(window, [str(png)])  # anywhere else: its settings are restored, nothing is added
    wait_for_files(qtbot, window)
    assert str(png) not in sneakers.paths()
    assert messages(window, "success")[-1].title == "Restored parameters from grid.png"


def test_the_different_model_warning_opens_the_model_that_made_the_png(qtbot, window, tmp_path):
    studio = window.studio
    png = tmp_path / "fashion.png"
    studio.export("grid", png)
    wait_for_files(qtbot, window)
    fashion = studio.host.info.path
    studio.load_model(str(resources_dir() / "models" / "portraits_glow.safetensors"))
    wait_idle(qtbot, window)
    assert studio.host.info.path != fashion
    simulate_drop(window, [str(png)])
    wait_for_files(qtbot, window)
    warning = next(m for m in reversed(messages(window, "warning")) if m.title == "Made with a different model")
    assert [label for label, _ in warning.actions] == ["Open that model"]
    next(t for t in window.toasts.toasts if t.message is warning).button("Open that model").click()
    wait_idle(qtbot, window)
    assert studio.host.info.path == fashion


def test_every_cell_exports_as_its_own_png_at_the_chosen_enlargement(qtbot, window, tmp_path):
    studio = window.studio
    result = studio.last_sample
    dialog = window.panels["samples"].ask_export_cells()
    dialog.folder.setText(str(tmp_path / "cells"))
    dialog.stem.setText("my sneakers")
    dialog.factor.setValue(3)
    assert "16 PNGs of 84 × 84 pixels" in dialog.note.text()
    dialog.export()
    wait_for_files(qtbot, window)
    written = sorted((tmp_path / "cells").glob("*.png"))
    assert [p.name for p in written[:2]] == ["my-sneakers-01-seed0.png", "my-sneakers-02-seed1.png"]
    assert len(written) == 16
    for i, path in enumerate(written):
        params = read_png_params(path)
        assert params["seeds"] == [i] and params["upscale"] == 3 and params["kind"] == "posterior_samples"
        assert np.array_equal(np.asarray(Image.open(path)), result.images[i][0].repeat(3, 0).repeat(3, 1))
    assert messages(window, "success")[-1].title == "Saved 16 PNGs in cells"

    smooth = ExportCellsDialog(studio, result, window)  # the choice is remembered; smooth this time
    assert smooth.factor.value() == 3 and smooth.folder.text() == str(tmp_path / "cells")
    smooth.stem.setText("my sneakers")
    smooth.filter.setCurrentIndex(1)
    smooth.factor.setValue(8)
    smooth.export()
    wait_for_files(qtbot, window)
    again = sorted((tmp_path / "cells").glob("my-sneakers-01-seed0*.png"))
    assert [p.name for p in again] == ["my-sneakers-01-seed0-2.png", "my-sneakers-01-seed0.png"]
    assert Image.open(again[0]).size == (224, 224) and read_png_params(again[0])["upscale_filter"] == "smooth"


def test_exports_remember_their_own_folder_apart_from_the_examples_folder(qtbot, window, tmp_path, monkeypatch):
    prefs = window.studio.prefs
    examples = tmp_path / "my examples"
    examples.mkdir()
    prefs.set("last_dir", str(examples))  # where the user last added example images from
    exports = tmp_path / "renders"
    exports.mkdir()
    opened_in = answer_save_dialog(monkeypatch, exports / "grid.png")
    window.panels["samples"].ask_export()
    wait_for_files(qtbot, window)
    assert opened_in == [str(default_export_dir())]  # Pictures/Flow Studio at first, not the examples folder
    assert default_export_dir().is_dir() and (exports / "grid.png").is_file()
    window.panels["sweep"].ask_export()
    window.panels["interpolation"].ask_export_png()
    assert opened_in[1:] == [str(exports), str(exports)]
    assert prefs.get("last_dir") == str(examples) and prefs.get("export_dir") == str(exports)
