"""``flowstudio selfcheck``: every check runs for real and says ok, or says what failed."""

from __future__ import annotations

import os
import subprocess
import sys

from flowstudio.selfcheck import Check, checks
from flowstudio.studio import paths
from tests.studio_support import studio_home  # noqa: F401  (a fixture)


def test_the_headless_checks_pass_here_and_train_in_a_child_process(tmp_path, studio_home):
    results = {check.name: check for check in checks(tmp_path)}
    assert set(results) == {"version", "bundled files", "user folders", "sampling", "training process"}
    failed = [check.line() for check in results.values() if not check.ok]
    assert not failed, failed
    assert "python -m flowstudio train" in results["training process"].detail
    assert (tmp_path / "run" / "model.safetensors").is_file()
    assert str(paths.runs_dir()) in results["user folders"].detail


def test_a_failing_check_is_a_line_that_says_so(tmp_path, studio_home, monkeypatch):
    monkeypatch.setenv("FLOWSTUDIO_RESOURCES", str(tmp_path / "nothing-here"))
    results = {check.name: check for check in checks(tmp_path)}
    assert not results["bundled files"].ok and "MISSING" in results["bundled files"].detail
    assert not results["sampling"].ok and not results["training process"].ok
    assert results["user folders"].ok
    assert Check("x", False, "why").line() == "FAILED x: why"


def test_the_gui_check_opens_the_studio_trains_from_the_panel_and_cancels(qtbot, studio_home):
    from flowstudio.studio._qt.selfcheck import run_gui_checks

    seen: list[Check] = []
    assert run_gui_checks(seen.append), [c.line() for c in seen]
    assert [c.name for c in seen] == ["window", "first samples", "training from the Train panel"]
    assert "cancelled with Cancel" in seen[2].detail
    assert os.environ["FLOWSTUDIO_HOME"] == str(studio_home)  # the throwaway home is undone afterwards


def test_the_command_exits_1_and_names_the_failure(tmp_path):
    env = {**os.environ, "FLOWSTUDIO_HOME": str(tmp_path / "home"),
           "FLOWSTUDIO_RESOURCES": str(tmp_path / "nothing-here")}
    done = subprocess.run([sys.executable, "-m", "flowstudio", "selfcheck"], env=env, capture_output=True,
                          text=True, timeout=300)
    assert done.returncode == 1
    assert "FAILED bundled files" in done.stdout and "some checks FAILED" in done.stdout


def test_the_about_box_and_version_agree_and_say_where_things_live(qtbot, studio_home):
    from PySide6.QtWidgets import QTextBrowser

    from flowstudio import __version__
    from flowstudio.studio._qt.dialogs import about_dialog

    done = subprocess.run([sys.executable, "-m", "flowstudio", "--version"], capture_output=True, text=True,
                          timeout=120)
    assert done.stdout.strip() == f"flowstudio {__version__}"
    dialog = about_dialog(None, None)
    qtbot.addWidget(dialog)
    shown = dialog.findChild(QTextBrowser).toPlainText()
    assert f"Flow Studio {__version__}" in shown
    assert "Run from Python" in shown and str(paths.runs_dir()) in shown
