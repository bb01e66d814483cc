"""Coming back to the studio: the next start reopens the last project, File → Recent projects, Quit → Save quits."""

from __future__ import annotations

import json
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox

from tests.studio_support import (make_window, messages, studio_home, wait_for_files, wait_idle,  # noqa: F401
                                  window)
from tests.test_studio_session import run_python

from flowstudio.resources import default_model_path, example_sets, resources_dir
from flowstudio.studio._qt.settings import MAX_RECENT

PORTRAITS = resources_dir() / "models" / "portraits_glow.safetensors"


def portraits_project(qtbot, window, path: Path) -> Path:
    """A new project on the portraits model with its red-hair examples and λ = 0.3 m, saved at ``path``."""
    studio = window.studio
    studio.projects.new()
    studio.load_model(str(PORTRAITS))
    studio.evidence.add([example_sets("portraits")["red-hair"]])
    studio.edit.change_params(lam=0.3, count=9)
    wait_idle(qtbot, window)
    studio.projects.save(path)
    wait_for_files(qtbot, window)
    return path


def shows_project(window, path: Path) -> bool:
    """The window shows the saved portraits project, drawn from its own model and examples."""
    studio = window.studio
    return (studio.projects.path == path and not studio.projects.modified
            and studio.host.info.path == str(PORTRAITS) and [s.name for s in studio.doc.sets] == ["red-hair"]
            and studio.doc.params.likelihood.lam == 0.3 and studio.last_sample.m == 8
            and studio.last_sample.images.shape == (9, 3, 32, 32))


def test_the_next_start_reopens_the_last_project_with_its_model_and_sets(qtbot, studio_home, tmp_path):
    first = make_window(qtbot)
    project = portraits_project(qtbot, first, tmp_path / "faces.flowstudio.json")
    first.close_now()

    second = make_window(qtbot)
    try:
        assert shows_project(second, project) and second.windowTitle().startswith("faces.flowstudio.json")
        assert second.prefs.recent_projects == [str(project)]
        second.studio.projects.new()  # an untitled project last: the next start is the welcome state
    finally:
        second.close_now()
    third = make_window(qtbot)
    try:
        assert third.studio.projects.path is None and third.prefs.last_project is None
        # the last model (portraits) with one of its own example sets, never the Fashion-MNIST sneakers
        assert third.studio.host.info.path == str(PORTRAITS)
        assert [s.name for s in third.studio.doc.sets] == [next(iter(example_sets("portraits")))]
        assert third.studio.last_sample.m == 8 and third.studio.last_sample.images.shape[1] == 3
    finally:
        third.close_now()


def test_a_last_project_that_was_deleted_starts_the_welcome_state_of_the_bundled_model(qtbot, studio_home, tmp_path):
    first = make_window(qtbot)
    project = portraits_project(qtbot, first, tmp_path / "faces.flowstudio.json")
    first.studio.load_model(str(default_model_path()))  # the last model used is Fashion-MNIST's
    wait_idle(qtbot, first)
    first.close_now()
    project.unlink()
    second = make_window(qtbot)
    try:
        assert second.studio.projects.path is None and second.studio.host.info.path == str(default_model_path())
        assert [s.name for s in second.studio.doc.sets] == ["sneakers"] and second.studio.last_sample.m == 8
    finally:
        second.close_now()


CRASH_IN_PROJECT = """
    import os, sys
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from flowstudio.studio._qt.main_window import MainWindow
    studio = MainWindow().studio
    assert studio.projects.open(sys.argv[1])
    studio.edit.change_params(lam=0.7)
    studio.projects.autosave_now()
    studio.host.io.pool.waitForDone(60_000)
    os._exit(3)  # a crash: the recovery file stays
"""


def test_declining_a_crash_restore_keeps_the_reopened_project(qtbot, studio_home, tmp_path):
    first = make_window(qtbot)
    project = portraits_project(qtbot, first, tmp_path / "faces.flowstudio.json")
    first.close_now()
    crashed = run_python(CRASH_IN_PROJECT, studio_home, str(project))
    assert crashed.returncode == 3, crashed.stderr

    second = make_window(qtbot)
    try:
        offer = next(t for t in second.toasts.toasts if "did not close properly" in t.message.title)
        qtbot.mouseClick(offer.button("Discard"), Qt.MouseButton.LeftButton)
        wait_idle(qtbot, second)
        assert shows_project(second, project)  # its λ, not the crashed session's 0.7
        assert list((studio_home / "autosave").glob("*.json")) in ([], [second.studio.projects.autosave.path])
    finally:
        second.close_now()


def test_recent_projects_menu_lists_opens_marks_missing_and_clears(qtbot, window, tmp_path):
    studio, prefs = window.studio, window.prefs
    paths = [tmp_path / f"p{i}.flowstudio.json" for i in range(MAX_RECENT + 2)]
    for path in paths:
        studio.projects.save(path)
        wait_for_files(qtbot, window)
    assert prefs.recent_projects == [str(p) for p in reversed(paths)][:MAX_RECENT]  # bounded, newest first
    paths[-2].unlink()

    menu = window.recent_menu
    menu.aboutToShow.emit()
    entries = [a for a in menu.actions() if not a.isSeparator()]
    assert [a.text() for a in entries[:2]] == [f"&1  p{MAX_RECENT + 1} — {tmp_path}",
                                               f"&2  p{MAX_RECENT} — {tmp_path}  (missing)"]
    assert [a.isEnabled() for a in entries[:3]] == [True, False, True]
    assert entries[1].toolTip() == f"{paths[-2]} was moved or deleted"
    studio.edit.change_params(lam=0.3)  # unsaved: opening asks first (Discard here)
    answer_next_dialog(lambda box: box.button(QMessageBox.StandardButton.Discard).click())
    entries[2].trigger()
    wait_idle(qtbot, window)
    assert studio.projects.path == paths[-3] and prefs.recent_projects[0] == str(paths[-3])
    assert studio.doc.params.likelihood.lam == 0.5 and not studio.projects.modified

    tidy, clear = [a for a in menu.actions() if a.text() in ("Remove missing projects", "&Clear recent projects")]
    assert tidy.isEnabled() and clear.isEnabled()
    tidy.trigger()
    assert str(paths[-2]) not in prefs.recent_projects and len(prefs.recent_projects) == MAX_RECENT - 1
    clear = next(a for a in menu.actions() if a.text() == "&Clear recent projects")
    clear.trigger()
    assert prefs.recent_projects == []
    assert [(a.text(), a.isEnabled()) for a in menu.actions() if not a.isSeparator()] == [
        ("No recent projects", False), ("Remove missing projects", False), ("&Clear recent projects", False)]


def answer_next_dialog(act) -> None:
    """Run ``act(dialog)`` on the next modal dialog, from the event loop the dialog itself runs."""
    def poll() -> None:
        dialog = QApplication.activeModalWidget()
        if dialog is None or not dialog.isVisible():
            QTimer.singleShot(20, poll)
        else:
            act(dialog)

    QTimer.singleShot(0, poll)


def click(button: QMessageBox.StandardButton):
    return lambda box: box.button(button).click()


def save_as(path: Path | None):
    """Answer the Save As dialog with ``path``, or cancel it (None)."""
    def act(dialog: QFileDialog) -> None:
        if path is None:
            dialog.reject()
        else:
            dialog.selectFile(str(path))
            dialog.accept()
    return act


def test_quit_then_save_writes_the_untitled_project_and_closes_the_window(qtbot, window, tmp_path):
    studio = window.studio
    studio.edit.change_params(lam=0.3)
    answer_next_dialog(click(QMessageBox.StandardButton.Cancel))
    assert not window.close() and window.isVisible() and studio.projects.modified

    def save_then(path: Path | None):
        return lambda box: (answer_next_dialog(save_as(path)), click(QMessageBox.StandardButton.Save)(box))

    answer_next_dialog(save_then(None))  # Save, then cancel the Save As dialog: nothing is lost
    assert not window.close()
    qtbot.wait(200)
    assert window.isVisible() and studio.projects.modified and list(tmp_path.glob("*.json")) == []

    project = tmp_path / "kept.flowstudio.json"
    answer_next_dialog(save_then(project))
    window.actions_by_key["quit"].trigger()
    qtbot.waitUntil(lambda: window._closed, timeout=30_000)  # closed (and deleted) once the file was written
    assert json.loads(project.read_text())["params"]["likelihood"]["lam"] == 0.3


def test_quit_then_save_or_discard_in_an_open_project(qtbot, studio_home, tmp_path):
    first = make_window(qtbot)
    project = tmp_path / "shoes.flowstudio.json"
    first.studio.projects.save(project)
    wait_for_files(qtbot, first)
    first.studio.edit.change_params(lam=0.7)
    answer_next_dialog(click(QMessageBox.StandardButton.Save))
    assert not first.close()  # closes once the file is written
    qtbot.waitUntil(lambda: first._closed, timeout=30_000)
    assert json.loads(project.read_text())["params"]["likelihood"]["lam"] == 0.7

    second = make_window(qtbot)
    assert second.studio.projects.path == project and second.studio.doc.params.likelihood.lam == 0.7
    second.studio.edit.change_params(lam=0.3)
    answer_next_dialog(click(QMessageBox.StandardButton.Discard))
    assert second.close() and second._closed
    assert json.loads(project.read_text())["params"]["likelihood"]["lam"] == 0.7
    assert not any(m.level == "error" for m in messages(second))
