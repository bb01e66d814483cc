"""The app across sessions and processes: crash recovery, projects, preferences, CLI parity, start-up, models."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt

from tests.conftest import randomized
from tests.studio_support import (example, make_window, messages, simulate_drop, studio_home,  # noqa: F401
                                  wait_for_files, wait_idle, window, write_images)

from flowstudio.checkpoint import default_card, save_checkpoint
from flowstudio.cli.main import main as cli_main
from flowstudio.imaging import read_png_params
from flowstudio.models import build_model
from flowstudio.resources import default_model_path
from flowstudio.studio._qt.panels.evidence_model import STATE_ROLE

ROOT = Path(__file__).resolve().parents[1]


def run_python(code: str, home: Path, *args: str, timeout: int = 120,
               platform: str = "offscreen") -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python with its own studio folder; ``platform`` is Qt's (a screen size, say)."""
    env = {**os.environ, "FLOWSTUDIO_HOME": str(home), "QT_QPA_PLATFORM": platform}
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code), *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


CRASHING_SESSION = """
    import os, sys
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from flowstudio.studio._qt.main_window import MainWindow
    from flowstudio.studio.state import EvidenceItem
    studio = MainWindow().studio
    studio.edit.add_set("my shoes")
    studio.doc.append_items(studio.doc.document.current, [EvidenceItem(p) for p in sys.argv[1:]])
    studio.edit.change_params(lam=0.3, seed=123)
    studio.projects.autosave_now()
    studio.host.io.pool.waitForDone(60_000)
    os._exit(3)  # a crash: no clean shutdown, the recovery file stays
"""


def test_after_a_crash_the_next_start_offers_the_unsaved_work_back(qtbot, studio_home):
    shoes = sorted(str(p) for p in example("ankle-boots").iterdir())[:2]
    crashed = run_python(CRASHING_SESSION, studio_home, *shoes)
    assert crashed.returncode == 3, crashed.stderr
    assert len(list((studio_home / "autosave").glob("*.flowstudio.json"))) == 1

    window = make_window(qtbot)
    try:
        offer = next(t for t in window.toasts.toasts if "did not close properly" in t.message.title)
        qtbot.mouseClick(offer.button("Restore"), Qt.MouseButton.LeftButton)
        wait_idle(qtbot, window)
        studio = window.studio
        assert [s.name for s in studio.doc.sets] == ["my shoes"] and studio.projects.modified
        assert studio.doc.params.likelihood.lam == 0.3 and studio.doc.params.seed == 123
        assert [i.path for i in studio.doc.current_set.items] == shoes
        assert studio.last_sample.m == 2 and studio.last_sample.seeds[0] == 123  # re-encoded and drawn
        assert [p.name for p in (studio_home / "autosave").glob("*.json")] in ([], [studio.projects.autosave.path.name])
    finally:
        window.close_now()
    assert list((studio_home / "autosave").glob("*.json")) == []  # a clean exit leaves nothing to recover
    again = make_window(qtbot, start=False)
    assert "did not close properly" not in " ".join(m.title for m in messages(again))
    again.close_now()


def test_projects_save_and_open_with_their_sets_and_parameters(qtbot, window, tmp_path):
    studio = window.studio
    simulate_drop(window, [str(example("bags"))])
    wait_idle(qtbot, window)
    studio.edit.set_included(studio.doc.current_set.uid, [studio.doc.current_set.items[0].uid], False)
    studio.edit.change_params(lam=0.7, covariance="diagonal")
    project = tmp_path / "shoes and bags.flowstudio.json"
    studio.projects.save(project)
    wait_for_files(qtbot, window)
    assert not studio.projects.modified and window.windowTitle().startswith("shoes and bags.flowstudio.json")
    data = json.loads(project.read_text())
    assert data["format"] == "flowstudio-project" and data["version"] == 2
    assert data["params"]["likelihood"] == {"lam": 0.7, "relative": True, "covariance": "diagonal", "floor": 0.01}
    assert data["model"]["sha256"] == studio.host.info.sha256

    studio.projects.new()
    wait_idle(qtbot, window)
    assert studio.doc.sets == [] and studio.last_sample.m == 0  # the model's own samples
    assert studio.projects.open(project)
    wait_idle(qtbot, window)
    assert [s.name for s in studio.doc.sets] == ["sneakers", "bags"] and studio.doc.current_set.name == "bags"
    assert studio.doc.params.likelihood.lam == 0.7 and studio.doc.params.likelihood.covariance == "diagonal"
    assert studio.last_sample.m == 7 and not studio.doc.current_set.items[0].included


def test_preferences_and_layout_survive_a_restart_and_reset_to_defaults(qtbot, studio_home):
    first = make_window(qtbot)
    first.set_theme("light")
    first.studio.edit.change_params(lam=0.3, temperature=0.5)
    first.docks["model"].close()
    first.close_now()

    second = make_window(qtbot)
    try:
        assert second.theme == "light" and second.actions_by_key["theme_light"].isChecked()
        assert second.studio.doc.params.likelihood.lam == 0.3 and second.studio.doc.params.temperature == 0.5
        assert second.docks["model"].isHidden() and not second.docks["posterior"].isHidden()
        assert second.prefs.recent_models == [str(default_model_path())]
        assert (studio_home / "settings.ini").is_file()
        second.reset_defaults()
        wait_idle(qtbot, second)
        assert second.theme == "dark" and second.studio.doc.params.likelihood.lam == 0.5
        assert not second.docks["model"].isHidden()
        assert second.prefs.recent_models == [str(default_model_path())]  # kept on reset
    finally:
        second.close_now()


def test_the_grid_equals_flowstudio_sample_for_the_same_parameters_and_seeds(qtbot, window, tmp_path):
    studio = window.studio
    studio.edit.change_params(lam=0.3, temperature=0.7, seed=5, count=9)
    wait_idle(qtbot, window)
    studio.export("grid", tmp_path / "gui.png")
    wait_for_files(qtbot, window)
    assert cli_main(["sample", str(example("sneakers")), "-o", str(tmp_path / "cli.png"), "-n", "9", "--seed", "5",
                     "--lam", "0.3", "-t", "0.7"]) == 0
    gui, cli = (np.asarray(Image.open(tmp_path / f"{n}.png")) for n in ("gui", "cli"))
    assert gui.shape == cli.shape and np.array_equal(gui, cli)
    gui_params, cli_params = read_png_params(tmp_path / "gui.png"), read_png_params(tmp_path / "cli.png")
    assert gui_params.pop("evidence_set") == "sneakers"
    for entry in gui_params["evidence"]:  # the studio also records where each image is
        assert Path(entry.pop("path")).name == entry["file"]
    assert Path(gui_params.pop("model_path")).name == "fashion_glow.safetensors"  # for "open that model"
    assert gui_params == cli_params


def tiny_checkpoint(folder: Path) -> Path:
    tiny = randomized(build_model({"family": "glow", "image_shape": [1, 28, 28], "levels": 2, "steps": 1,
                                   "hidden": 8}))
    return save_checkpoint(tiny, folder / "tiny.safetensors", default_card(tiny, name="tiny"))


def test_dropping_a_model_file_switches_the_model_and_rereads_the_evidence(qtbot, window, tmp_path):
    path = tiny_checkpoint(tmp_path)
    studio = window.studio
    old_bpd = [i.bpd for i in studio.doc.current_set.items]
    simulate_drop(window, [str(path)])
    wait_idle(qtbot, window)
    assert studio.host.info.model_id.startswith("tiny@") and studio.doc.document.model_path == str(path)
    assert studio.last_sample.m == 8 and [i.bpd for i in studio.doc.current_set.items] != old_bpd
    assert window.panels["model"].name.text() == "tiny" and studio.prefs.recent_models[0] == str(path)
    simulate_drop(window, [str(tmp_path / "missing.safetensors")])
    wait_idle(qtbot, window)
    assert messages(window, "error")[-1].title == "Could not open missing.safetensors"
    assert studio.host.info.model_id.startswith("tiny@")  # the open model stays


def test_cancelling_a_model_load_keeps_the_open_model_and_device(qtbot, window, tmp_path, monkeypatch):
    import flowstudio.devices as devices

    studio = window.studio
    kept = studio.host.info.model_id
    gate, choosing = threading.Event(), threading.Event()

    def held_resolve(name):  # the real device choice, held until the test has pressed Cancel
        choosing.set()
        gate.wait(30)
        return real_resolve(name)

    real_resolve = devices.resolve_device
    monkeypatch.setattr(devices, "resolve_device", held_resolve)
    job = studio.set_device("cpu")  # a reload on another device choice
    qtbot.waitUntil(choosing.is_set, timeout=30_000)
    qtbot.waitUntil(lambda: "choosing the device" in window.jobs.label.text(), timeout=10_000)
    assert window.jobs.cancel.isVisible() and studio.host.state == "loading"
    qtbot.mouseClick(window.jobs.cancel, Qt.MouseButton.LeftButton)  # the status bar's Cancel button
    assert window.jobs.label.text().endswith("cancelling…")
    gate.set()
    wait_idle(qtbot, window)
    assert job.state == "cancelled" and studio.host.state == "ready" and studio.host.info.model_id == kept
    assert messages(window, "info")[-1].title == f"Stopped loading {default_model_path().name}"
    assert studio.prefs.get("device") == "auto"  # the choice goes back with the model
    assert window.panels["model"].device.currentData() == "auto"
    studio.edit.change_params(lam=0.3)  # the kept model still draws
    wait_idle(qtbot, window)
    assert studio.last_sample.request.params.likelihood.lam == 0.3


def test_without_a_model_dropped_images_are_kept_and_read_by_the_next_model(qtbot, studio_home, monkeypatch):
    import flowstudio.devices as devices

    gate = threading.Event()
    real_resolve = devices.resolve_device
    monkeypatch.setattr(devices, "resolve_device", lambda name: (gate.wait(30), real_resolve(name))[1])
    window = make_window(qtbot, start=False)
    studio = window.studio
    window.start()  # the bundled model (held) and the example set queued behind it
    qtbot.waitUntil(lambda: "choosing the device" in window.jobs.label.text(), timeout=30_000)
    qtbot.mouseClick(window.jobs.cancel, Qt.MouseButton.LeftButton)
    gate.set()
    qtbot.waitUntil(lambda: not studio.busy, timeout=30_000)  # (idle means samples drawn: none without a model)
    assert studio.host.state == "failed" and studio.host.engine is None
    assert messages(window, "info")[-1].text.startswith("No model is open")
    assert not messages(window, "error")
    items = studio.doc.current_set.items
    assert studio.doc.current_set.name == "sneakers" and len(items) == 8 and not any(i.sha256 for i in items)
    assert window.panels["model"].state.text() == "No model is open."
    tiles = window.panels["evidence"].model
    assert {tiles.data(tiles.index(r), STATE_ROLE) for r in range(tiles.rowCount())} == {"waiting"}
    try:
        studio.load_model(str(default_model_path()))
        wait_idle(qtbot, window)
        assert all(i.sha256 and i.bpd is not None for i in studio.doc.current_set.items)
        assert studio.last_sample.m == 8
    finally:
        window.close_now()


def test_switching_models_while_images_are_added_loses_nothing(qtbot, window, tmp_path):
    studio = window.studio
    write_images(tmp_path / "many", 150)
    studio.evidence.add([tmp_path / "many"])
    studio.load_model(str(tiny_checkpoint(tmp_path)))  # queued behind the encoding
    wait_idle(qtbot, window)
    added = studio.doc.current_set
    assert added.name == "many" and len(added.items) == 150
    assert studio.host.info.model_id.startswith("tiny@") and all(i.bpd is not None for i in added.items)
    assert studio.last_sample.m == 150 and studio.last_sample.request.set_name == "many"


def test_flowstudio_without_arguments_shows_the_window_before_torch_and_then_samples(tmp_path):
    code = """
        import sys
        from PySide6.QtCore import QTimer
        from PySide6.QtWidgets import QApplication
        import flowstudio.studio._qt.app as app
        from flowstudio.cli.main import main
        launch = app.launch
        def observed_launch(*args):
            window = launch(*args)
            print("torch imported when the window was shown:", "torch" in sys.modules, flush=True)
            def done():
                if window.studio.last_sample is not None:
                    print("samples of", window.studio.last_sample.m, "examples", flush=True)
                    QApplication.quit()
            QTimer(window, interval=50, timeout=done).start()
            return window
        app.launch = observed_launch
        sys.exit(main([]))
    """
    out = run_python(code, tmp_path / "home")
    assert out.returncode == 0, out.stderr
    assert "torch imported when the window was shown: False" in out.stdout
    assert "samples of 8 examples" in out.stdout


def test_screenshot_command_renders_every_registered_view(tmp_path):
    out = run_python("import sys; from flowstudio.cli.main import main; sys.exit(main(sys.argv[1:]))",
                     tmp_path / "home", "screenshot", "--out", str(tmp_path / "shots"), "--size", "1000x700",
                     timeout=900)  # a guard against a hang (two playground runs inside)
    assert out.returncode == 0, out.stderr
    names = sorted(p.name for p in (tmp_path / "shots").iterdir())
    assert {"main.png", "lambda-sweep.png", "sample-cell.png", "main-light.png"} <= set(names)
    assert Image.open(tmp_path / "shots" / "main.png").size == (1000, 700)
