"""The main window on the bundled model: drops, live redraws, PNG round trips, cancel, bad files, undo."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import QEvent, QObject, Qt

from tests.studio_support import (example, grid_pixels, messages, simulate_drop, studio_home,  # noqa: F401
                                  wait_for_files, wait_idle, window, write_images)

from flowstudio.imaging import make_grid, read_png_params
from flowstudio.likelihood import LikelihoodSpec
from flowstudio.resources import resources_dir
from flowstudio.studio._qt.panels.evidence_model import STATE_ROLE


def test_first_screen_shows_posterior_samples_of_the_example_set(window):
    studio = window.studio
    assert studio.doc.current_set.name == "sneakers" and len(studio.doc.current_set.usable_items()) == 8
    result = studio.last_sample
    assert result.m == 8 and result.images.shape == (16, 1, 28, 28) and result.seeds == tuple(range(16))
    assert window.panels["samples"].grid.images is not None
    assert "Posterior of 8 examples" in window.panels["samples"].summary.text()


def test_dropping_a_folder_creates_a_set_and_encodes_it(qtbot, window):
    studio = window.studio
    assert simulate_drop(window, [str(example("ankle-boots"))])
    wait_idle(qtbot, window)
    current = studio.doc.current_set
    assert current.name == "ankle-boots" and len(current.items) == 8
    assert all(item.sha256 and item.bpd is not None for item in current.items)
    assert all(studio.thumbnails.pixels(item.sha256) is not None for item in current.items)
    assert studio.last_sample.request.set_name == "ankle-boots" and studio.last_sample.m == 8
    assert [r[0] for r in studio.last_sample.request.evidence] == [i.path for i in current.items]
    # Loose files dropped on the sets list start another set; dropped on the thumbnails they join this one.
    bags = sorted(example("bags").iterdir())
    simulate_drop(window.panels["evidence"].sets, [str(p) for p in bags[:3]])
    wait_idle(qtbot, window)
    assert studio.doc.current_set.name == "New set" and len(studio.doc.current_set.items) == 3
    simulate_drop(window.panels["evidence"].view, [str(p) for p in bags[3:5]])
    wait_idle(qtbot, window)
    assert len(studio.doc.current_set.items) == 5 and window.panels["evidence"].model.rowCount() == 5


def test_moving_the_lambda_slider_redraws_the_grid_and_a_drag_is_one_undo_step(qtbot, window):
    studio, panel = window.studio, window.panels["posterior"]
    before = grid_pixels(window)
    undo_steps = studio.undo.count()
    panel.lam.sliderPressed.emit()
    for value in (0.45, 0.35, 0.25, 0.15):
        panel.lam.setValue(value)
    panel.lam.sliderReleased.emit()
    wait_idle(qtbot, window)
    qtbot.waitUntil(lambda: studio.last_sample.request.params.likelihood.lam == 0.15)
    assert studio.doc.params.likelihood.lam == 0.15 and studio.last_sample.posterior.lam_abs == 0.15 * 8
    assert not np.array_equal(before, grid_pixels(window))
    assert studio.undo.count() == undo_steps + 1
    studio.undo.undo()
    wait_idle(qtbot, window)
    assert studio.doc.params.likelihood.lam == 0.5 and panel.lam.value() == 0.5
    qtbot.waitUntil(lambda: np.array_equal(before, grid_pixels(window)))


def test_the_absolute_lambda_toggle_switches_the_one_spec_and_the_greyed_field_follows_the_lambda_in_use(
        qtbot, window):
    studio, panel = window.studio, window.panels["posterior"]
    panel.lam.setValue(0.7)  # 0.7 m of 8 examples: the greyed absolute field shows 5.6
    assert not panel.lam_abs.isEnabled() and panel.lam_abs.value() == pytest.approx(5.6)
    panel.absolute.setChecked(True)  # switching on keeps the λ in use, so the samples stay as they are
    assert studio.doc.params.likelihood == LikelihoodSpec(lam=5.6, relative=False)
    panel.lam_abs.setValue(6.0)
    assert studio.doc.params.likelihood == LikelihoodSpec(lam=6.0, relative=False)
    assert not panel.lam.isEnabled() and panel.lam.value() == 0.7
    panel.absolute.setChecked(False)  # back to the multiple of m the slider kept; the field follows it again
    assert studio.doc.params.likelihood == LikelihoodSpec(lam=0.7, relative=True)
    assert panel.lam_abs.value() == pytest.approx(5.6)
    panel.absolute.setChecked(True)
    panel.lam_abs.setValue(6.0)
    wait_idle(qtbot, window)
    assert "λ = 6 for 8 examples (0.75 × m)" == panel.lam_note.text()
    assert studio.last_sample.posterior.lam_abs == 6.0
    studio.undo.undo()
    studio.undo.undo()  # undo shows the spec it brings back
    assert studio.doc.params.likelihood.relative and not panel.absolute.isChecked() and panel.lam.isEnabled()


class LayoutRequests(QObject):
    """Counts the main window's re-layouts (each one repaints every dock and the central view)."""

    def __init__(self, window):
        super().__init__(window)  # owned by the window: never deleted while still filtering its events
        self.count = 0
        window.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        self.count += event.type() == QEvent.Type.LayoutRequest
        return False


def test_lambda_steps_and_new_grids_leave_the_window_layout_alone(qtbot, window):
    studio, panel = window.studio, window.panels["posterior"]
    panel.lam.setValue(0.3)  # the first λ edit renames the Undo action, which may resize the toolbar once
    wait_idle(qtbot, window)
    counter = LayoutRequests(window)
    try:
        for value in (0.45, 0.62, 0.7, 0.33):
            panel.lam.setValue(value)
            wait_idle(qtbot, window)
            qtbot.waitUntil(lambda v=value: studio.last_sample.request.params.likelihood.lam == v)
    finally:
        window.removeEventFilter(counter)
    assert "λ = 2.64 for 8 examples" == panel.lam_note.text()  # the live texts did change
    assert counter.count == 0


def test_exported_png_carries_parameters_and_dropping_it_restores_them(qtbot, window, tmp_path):
    studio = window.studio
    studio.edit.change_params(lam=0.3, temperature=0.6, seed=42, count=9, covariance="diagonal")
    wait_idle(qtbot, window)
    png = tmp_path / "grid.png"
    studio.export("grid", png)
    wait_for_files(qtbot, window)
    params = read_png_params(png)
    assert params["kind"] == "posterior_samples" and params["seeds"] == list(range(42, 51))
    assert params["likelihood"] == {"lam": 0.3, "relative": True, "covariance": "diagonal", "floor": 0.01}
    assert params["temperature"] == 0.6 and params["m"] == 8 and params["lam_abs"] == 0.3 * 8
    assert params["model_sha256"] == studio.host.info.sha256 and params["model"] == studio.host.info.model_id
    assert len(params["evidence"]) == 8 and all(len(e["sha256"]) == 16 for e in params["evidence"])
    assert params["version"] and params["evidence_set"] == "sneakers"

    studio.edit.change_params(lam=0.7, temperature=0.9, seed=1, count=16, covariance="isotropic")
    studio.edit.delete_set(studio.doc.current_set.uid)
    wait_idle(qtbot, window)
    simulate_drop(window, [str(png)])
    wait_for_files(qtbot, window)
    p = studio.doc.params
    assert p.likelihood == LikelihoodSpec(lam=0.3, covariance="diagonal")
    assert (p.temperature, p.seed, p.count) == (0.6, 42, 9)
    assert studio.doc.current_set.name == "sneakers" and len(studio.doc.current_set.usable_items()) == 8
    assert np.array_equal(np.asarray(make_grid(studio.last_sample.images, scale=4)), np.asarray(Image.open(png)))
    assert messages(window, "success")[-1].title == "Restored parameters from grid.png"


def test_dropping_a_png_whose_evidence_moved_restores_parameters_and_says_so(qtbot, window, tmp_path):
    studio = window.studio
    images = write_images(tmp_path / "moved", 3)
    studio.evidence.add([tmp_path / "moved"])
    wait_idle(qtbot, window)
    studio.edit.change_params(seed=77)
    wait_idle(qtbot, window)
    png = tmp_path / "cell.png"
    studio.export("cell", png, None, 0)
    wait_for_files(qtbot, window)
    assert read_png_params(png)["seeds"] == [77]
    for path in images:
        path.unlink()
    studio.edit.change_params(seed=1)
    simulate_drop(window, [str(png)])
    wait_for_files(qtbot, window)
    assert studio.doc.params.seed == 77
    warning = messages(window, "warning")[-1]
    assert "3 evidence images of cell.png could not be used" in warning.title
    assert all("not found" in line for line in warning.details)


def test_cancel_stops_an_encoding_job(qtbot, window, tmp_path):
    studio = window.studio
    folder = tmp_path / "many"
    write_images(folder, 600)
    undo_steps = studio.undo.count()
    job = studio.evidence.add([folder])[0]
    qtbot.waitUntil(lambda: job.done >= 32, timeout=30_000)
    assert "Adding images to “many”" in window.jobs.label.text() and window.jobs.isVisible()
    qtbot.mouseClick(window.jobs.cancel, Qt.MouseButton.LeftButton)  # the status bar's Cancel button
    qtbot.waitUntil(lambda: not job.active, timeout=10_000)
    wait_idle(qtbot, window)
    added = len(studio.doc.current_set.items)
    assert job.state == "cancelled" and 32 <= added < 600
    assert messages(window, "info")[-1].title == "Adding images cancelled"
    assert studio.undo.count() == undo_steps + 1  # the partial set is one undo step
    studio.undo.undo()
    assert all(s.name != "many" for s in studio.doc.sets)


def test_bad_files_show_one_message_and_the_rest_of_the_set_is_kept(qtbot, window, tmp_path):
    folder = tmp_path / "mixed"
    good = write_images(folder, 3)
    (folder / "notes.png").write_text("not an image")
    (folder / "empty.jpg").write_bytes(b"")
    simulate_drop(window, [str(folder), str(tmp_path / "missing.png")])
    wait_idle(qtbot, window)
    current = window.studio.doc.current_set
    assert current.name == "mixed" and [i.path for i in current.items] == [str(p) for p in good]
    warnings = [m for m in messages(window, "warning") if "could not be added" in m.title]
    assert len(warnings) == 2  # one per destination: the folder's set, and the loose file's
    details = "\n".join(d for m in warnings for d in m.details)
    assert "notes.png: not a recognised image file" in details and "empty.jpg: file is empty" in details
    assert "missing.png: no such file or folder" in details
    assert window.toasts.toasts and window.toasts.toasts[-1].message.level == "warning"


def test_undo_and_redo_of_evidence_edits(qtbot, window):
    studio, panel = window.studio, window.panels["evidence"]
    s = studio.doc.current_set
    first, second = s.items[0], s.items[1]
    panel.select_rows([0, 1])
    panel.remove_selected()
    wait_idle(qtbot, window)
    assert [i.uid for i in s.items[:1]] != [first.uid] and len(s.items) == 6 and studio.last_sample.m == 6
    studio.undo.undo()
    wait_idle(qtbot, window)
    assert [i.uid for i in s.items[:2]] == [first.uid, second.uid] and studio.last_sample.m == 8
    studio.undo.redo()
    assert len(s.items) == 6
    studio.undo.undo()
    model = panel.model
    assert model.setData(model.index(0), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    wait_idle(qtbot, window)
    assert not s.items[0].included and studio.last_sample.m == 7
    studio.undo.undo()
    wait_idle(qtbot, window)
    assert s.items[0].included and studio.last_sample.m == 8
    studio.edit.rename_set(s.uid, "kicks")
    studio.edit.duplicate_set(s.uid)
    assert [x.name for x in studio.doc.sets] == ["kicks", "kicks copy"]
    studio.undo.undo()
    studio.undo.undo()
    assert [x.name for x in studio.doc.sets] == ["sneakers"]


def test_reroll_changes_the_seed_unless_locked(qtbot, window):
    studio = window.studio
    window.actions_by_key["reroll"].trigger()
    assert studio.doc.params.seed != 0
    window.actions_by_key["lock_seed"].trigger()
    seed = studio.doc.params.seed
    assert studio.doc.params.seed_locked and not studio.reroll_seed() and studio.doc.params.seed == seed
    wait_idle(qtbot, window)
    assert studio.last_sample.seeds[0] == seed


def test_pasting_an_image_adds_it_to_the_current_set(qtbot, window, studio_home):
    from PySide6.QtGui import QGuiApplication, QImage

    image = QImage(40, 40, QImage.Format.Format_Grayscale8)
    image.fill(200)
    QGuiApplication.clipboard().setImage(image)
    window.actions_by_key["paste"].trigger()
    wait_idle(qtbot, window)
    pasted = window.studio.doc.current_set.items[-1]
    assert len(window.studio.doc.current_set.items) == 9 and pasted.bpd is not None
    assert Path(pasted.path).parent == studio_home / "pasted" and window.studio.last_sample.m == 9


def test_quitting_with_work_running_asks_first(qtbot, window, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    write_images(tmp_path / "many", 300)
    job = window.studio.evidence.add([tmp_path / "many"])[0]
    qtbot.waitUntil(lambda: job.done > 0, timeout=30_000)
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No)
    assert not window.close() and window.isVisible()  # the user said no: nothing is lost
    assert "is still running. Quit anyway?" in asked[0]
    job.cancel()
    wait_idle(qtbot, window)


def test_device_choices_this_machine_lacks_are_disabled_with_the_reason(window):
    import torch

    panel = window.panels["model"]
    items = {panel.device.itemData(i): panel.device.model().item(i) for i in range(panel.device.count())}
    assert items["cpu"].isEnabled() and items["auto"].isEnabled()
    if not torch.cuda.is_available():
        assert not items["cuda"].isEnabled() and "CUDA" in items["cuda"].toolTip()
    assert panel.device.currentData() == "auto"
    assert any(label.text() == "Test bits/dim" for label in panel.card.findChildren(type(panel.name)))


def test_images_far_less_likely_than_their_set_get_a_warning_badge(qtbot, window):
    """Two portraits dropped into the sneakers by mistake: 5-6 bits/dim against about 2.3 for the sneakers."""
    studio, panel = window.studio, window.panels["evidence"]
    portraits = resources_dir() / "evidence" / "portraits" / "red-hair"
    strangers = [str(p) for p in sorted(portraits.iterdir())[:2]]
    simulate_drop(panel.view, strangers)
    wait_idle(qtbot, window)
    items = studio.doc.current_set.items
    assert [i.unlikely for i in items] == [False] * 8 + [True, True]
    assert "robust std above the set's median" in items[-1].reason
    model = panel.model
    assert model.index(9).data(STATE_ROLE) == "unlikely" and "very unlikely" in model.index(9).data(
        Qt.ItemDataRole.ToolTipRole)
    assert "2 unlikely" in panel.set_stats.text()
    panel.select_rows([8])
    panel.remove_selected()  # with one left among clean sneakers, the set is judged again
    qtbot.waitUntil(lambda: len(studio.doc.current_set.items) == 9)
    wait_idle(qtbot, window)
    assert studio.doc.current_set.items[-1].unlikely
