"""The Playground tab in the real window: a tiny flow trains live, Cancel and Pause stop it, Reset clears, exports."""

from __future__ import annotations

import numpy as np
from PIL import Image

from flowstudio.imaging import read_png_params
from tests.studio_support import IDLE_TIMEOUT_MS, messages, simulate_drop, studio_home, window  # noqa: F401

TINY = {"preset": "tiny", "resolution": 16, "samples": 50, "grid_lines": 5, "batch_size": 64}


def ready_view(qtbot, window):
    view = window.panels["playground"]
    window.show_panel("playground")
    view.overrides = dict(TINY)
    view.load()
    qtbot.waitUntil(lambda: view.runner.session is not None and not view.runner.busy, timeout=IDLE_TIMEOUT_MS)
    return view


def test_training_updates_the_view_live_and_cancel_stops_it(qtbot, window):
    assert window.panels["playground"].runner.session is None  # nothing is made before the tab is first shown
    view = ready_view(qtbot, window)
    assert view.family.count() >= 2 and view.family.findData("maf") >= 0  # every family that learns points
    shown = []
    view.runner.framed.connect(lambda pictures: shown.append(pictures.step))
    view.steps.setValue(1_000_000)
    view.train_button.click()
    assert view.runner.state == "training" and not view.train_button.isEnabled()
    qtbot.waitUntil(lambda: len(shown) >= 3, timeout=IDLE_TIMEOUT_MS)
    assert shown == sorted(shown) and shown[-1] > shown[0]  # frames arrive as the flow trains
    assert view.status.text().startswith(f"Step {shown[-1]:,}")
    assert len(view.panels.images) == 3 and not view.panels.images[1].isNull()
    view.cancel_button.click()
    assert view.runner.state == "idle"
    qtbot.waitUntil(lambda: not view.runner.busy, timeout=IDLE_TIMEOUT_MS)
    stopped = view.runner.session.step_count
    qtbot.wait(300)
    assert view.runner.session.step_count == stopped  # nothing trains after Cancel
    assert view.train_button.isEnabled() and view.train_button.text() == "Train"


def test_pause_keeps_the_steps_left_and_train_resumes_to_the_goal(qtbot, window):
    view = ready_view(qtbot, window)
    view.steps.setValue(40)
    view.train_button.click()
    qtbot.waitUntil(lambda: view.runner.step > 0, timeout=IDLE_TIMEOUT_MS)
    view.pause_button.click()
    assert view.runner.state == "paused" and view.train_button.text() == "Resume"
    qtbot.waitUntil(lambda: not view.runner.busy, timeout=IDLE_TIMEOUT_MS)
    view.train_button.click()
    qtbot.waitUntil(lambda: view.runner.state == "idle" and not view.runner.busy, timeout=IDLE_TIMEOUT_MS)
    assert view.runner.session.step_count == 40 == view.runner.step


def test_reset_clears_the_training_and_the_recording(qtbot, window):
    view = ready_view(qtbot, window)
    untrained = view.panels.images[1].copy()
    view.steps.setValue(30)
    view.train_button.click()
    qtbot.waitUntil(lambda: view.runner.state == "idle" and not view.runner.busy, timeout=IDLE_TIMEOUT_MS)
    assert view.runner.session.step_count == 30 and view.runner.session.recording.frames
    assert view.panels.images[1] != untrained
    view.reset_button.click()
    qtbot.waitUntil(lambda: not view.runner.busy, timeout=IDLE_TIMEOUT_MS)
    assert view.runner.session.step_count == 0 and not view.runner.session.recording.frames
    assert view.status.text().startswith("Step 0 ") and view.panels.images[1] == untrained


def test_export_png_gif_and_model_write_valid_files(qtbot, window, tmp_path):
    view = ready_view(qtbot, window)
    view.steps.setValue(20)
    view.train_button.click()
    qtbot.waitUntil(lambda: view.runner.state == "idle" and not view.runner.busy, timeout=IDLE_TIMEOUT_MS)
    png, gif, model = tmp_path / "frame.png", tmp_path / "run.webp", tmp_path / "flow.safetensors"
    view.export_png(str(png))
    view.export_animation(str(gif))
    view.save_model(str(model))
    qtbot.waitUntil(lambda: not view.runner.busy, timeout=IDLE_TIMEOUT_MS)
    assert read_png_params(png)["step"] == 20
    with Image.open(gif) as im:
        assert im.format == "WEBP" and getattr(im, "n_frames", 1) >= 1
    from flowstudio.checkpoint import load_checkpoint

    assert load_checkpoint(model).card.steps == 20


def test_a_csv_dropped_on_the_tab_becomes_the_density(qtbot, window, tmp_path):
    view = ready_view(qtbot, window)
    path = tmp_path / "ring.csv"
    t = np.linspace(0, 2 * np.pi, 400)
    np.savetxt(path, np.stack([2 * np.cos(t), 2 * np.sin(t)], 1), delimiter=",")
    assert simulate_drop(view, [path])
    qtbot.waitUntil(lambda: view.runner.session is not None and view.runner.session.target.name == "ring.csv"
                    and not view.runner.busy, timeout=IDLE_TIMEOUT_MS)
    assert view.density.currentText() == "ring.csv"
    bad = tmp_path / "three.csv"
    np.savetxt(bad, np.zeros((5, 3)), delimiter=",")
    assert simulate_drop(view, [bad])
    qtbot.waitUntil(lambda: any("3 columns" in m.text for m in messages(window, "error")), timeout=IDLE_TIMEOUT_MS)
    assert view.runner.session.target.name == "ring.csv"  # the flow learning the ring is kept
    assert view.density.currentText() == "ring.csv" and view.density.findText("three.csv") < 0
