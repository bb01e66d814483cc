"""The Train tab with real ``flowstudio train`` processes (a tiny Glow on digits): progress, pause, cancel, resume.

These tests check behaviour only: the GUI thread keeps handling events while
the child trains and waits (a timer keeps firing), and every step happens
within generous time-outs.  How long the GUI thread may stall is a figure,
measured by ``benchmarks/gui_latency.py``: a test that asserted it failed
whenever other processes used the CPU.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QMessageBox

from tests.studio_support import studio_home, wait_idle, window  # noqa: F401

from flowstudio.studio.eta import rough_duration
from flowstudio.studio.paths import runs_dir
from flowstudio.studio.runs import list_runs

TINY = ["--arch", "levels=2", "--arch", "steps=1", "--arch", "hidden=8", "--batch-size", "16",
        "--init-batch-size", "64", "--warmup", "5"]
EVENT_MS = 60_000


class Ticker:
    """Counts the ticks of a 20 ms timer: they go on only while the GUI thread handles events."""

    def __init__(self):
        self.ticks = 0
        self.timer = QTimer(interval=20, timeout=self._tick)
        self.timer.start()

    def _tick(self):
        self.ticks += 1


def _events(view):
    seen: list[dict] = []
    view.training.event.connect(seen.append)
    return seen


def _kinds(seen):
    return [e["event"] for e in seen]


def test_training_runs_from_the_panel_pauses_cancels_and_resumes(qtbot, window, monkeypatch):
    view, training = window.panels["train"], window.studio.training
    window.show_panel("train")
    seen = _events(view)
    ticker = Ticker()
    view.data.setCurrentIndex(view.data.findData("digits"))
    view.steps.setValue(3000)
    view.name.setText("tiny")
    view.extra = list(TINY)
    view.start_button.click()
    assert training.running and not view.start_button.isEnabled()

    qtbot.waitUntil(lambda: len(view.plot.train) >= 2 and view.bar.value() > 0, timeout=EVENT_MS)
    assert "start" in _kinds(seen) and view.bar.maximum() == 3000
    assert "images/s" in view.detail.text() and " left" in view.detail.text()  # time left, on a line of its own
    indicator = window.training_indicator  # on any tab, the status bar says a run is going
    assert indicator.isVisible() and "Training “tiny”: step" in indicator.button.text()
    assert " left" in indicator.button.text() and indicator.bar.maximum() == 3000
    window.show_panel("samples")
    indicator.button.click()
    assert window.tabs.currentWidget() is view
    view.pause_button.click()
    qtbot.waitUntil(lambda: training.paused and view.pause_button.text() == "Resume", timeout=EVENT_MS)
    row = next(view.runs.topLevelItem(i) for i in range(view.runs.topLevelItemCount())
               if view.runs.topLevelItem(i).text(0) == "tiny")
    assert row.text(4) == "paused" and indicator.button.text().startswith("Paused “tiny”")
    view.refresh_runs()  # read again from the folder, a paused run is still paused, not "running"
    assert view.runs.findItems("tiny", Qt.MatchFlag.MatchExactly)[0].text(4) == "paused"
    paused_at = view.bar.value()
    ticks = ticker.ticks
    qtbot.waitUntil(lambda: ticker.ticks > ticks + 5, timeout=EVENT_MS)  # the GUI goes on handling events
    assert view.bar.value() == paused_at and training.paused  # while the child waits
    view.pause_button.click()
    qtbot.waitUntil(lambda: "resumed" in _kinds(seen) and view.bar.value() > paused_at, timeout=EVENT_MS)

    # The quit guard asks while a training runs.
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a[2]) or QMessageBox.StandardButton.No)
    assert not window.close() and window.isVisible() and "Training “tiny”" in asked[0]

    view.cancel_button.click()
    qtbot.waitUntil(lambda: not training.running, timeout=EVENT_MS)
    assert not indicator.isVisible()
    cancelled = next(e for e in seen if e["event"] == "cancelled")
    assert cancelled["checkpoint"] and cancelled["step"] > 0
    run = next(r for r in list_runs(runs_dir()) if r.path.name == "tiny")
    assert run.state == "cancelled" and run.resumable and run.step == cancelled["step"]

    view.refresh_runs()
    view.select_run(run.path)
    assert view.resume_button.isEnabled() and not view.open_button.isEnabled()
    seen.clear()
    view.resume_button.click()
    qtbot.waitUntil(lambda: any(e["event"] == "step" and e["step"] > cancelled["step"] for e in seen),
                    timeout=EVENT_MS)
    start = next(e for e in seen if e["event"] == "start")
    assert start["resumed_from_step"] == cancelled["step"]
    ticks = ticker.ticks
    view.cancel_button.click()
    qtbot.waitUntil(lambda: not training.running and ticker.ticks > ticks, timeout=EVENT_MS)


def test_a_finished_run_is_listed_and_its_model_opens_in_one_click(qtbot, window):
    view, studio = window.panels["train"], window.studio
    seen = _events(view)
    view.data.setCurrentIndex(view.data.findData("digits"))
    view.steps.setValue(20)
    view.name.setText("done")
    view.extra = list(TINY)
    view.start()
    qtbot.waitUntil(lambda: "exited" in _kinds(seen), timeout=EVENT_MS)
    assert "done" in _kinds(seen) and "samples" in _kinds(seen)
    assert view.samples.pixmap() is not None and not view.samples.pixmap().isNull()
    assert view.plot.held_out  # the final held-out bits/dim
    view.select_run(runs_dir() / "done")
    item = view.runs.selectedItems()[0]
    assert item.text(4) == "finished" and item.text(2) == "20 / 20" and view.open_button.isEnabled()
    view.open_button.click()
    qtbot.waitUntil(lambda: studio.host.info is not None and "done" in studio.host.info.path, timeout=EVENT_MS)
    wait_idle(qtbot, window)
    assert studio.host.info.image_shape == (1, 8, 8)


def test_the_panel_measures_how_long_each_size_takes_before_a_run(qtbot, window):
    view = window.panels["train"]
    window.show_panel("train")
    view.data.setCurrentIndex(view.data.findData("digits"))
    view.family.setCurrentIndex(view.family.findData("nice"))
    assert view.estimate.text() == "Measuring how long this takes here…" and view.times.busy
    wait_idle(qtbot, window)  # the measuring child counts as work
    times = view.times.step_s[("digits", "nice", "auto")]
    assert set(times) == {"small", "medium", "large"} and all(t > 0 for t in times.values())
    assert times["small"] < times["large"]
    assert [view.preset.itemText(i).split(" · ")[0] for i in range(3)] == ["Small", "Medium", "Large"]
    assert all(" · " in view.preset.itemText(i) for i in range(3))
    view.preset.setCurrentIndex(view.preset.findData("small"))
    view.steps.setValue(100_000)  # the label follows the steps at once, without measuring again
    assert not view.times.busy
    expected = rough_duration(times["small"] * 100_000).capitalize()
    assert view.estimate.text() == f"{expected} on this machine · {times['small']:.2f} s a step"
    window.show_panel("samples")  # measuring only while the panel is shown
    view.family.setCurrentIndex(view.family.findData("realnvp"))
    assert not view.times.busy and ("digits", "realnvp", "auto") not in view.times.step_s


def test_the_size_note_follows_the_steps_setting(window):
    view = window.panels["train"]
    view.preset.setCurrentIndex(view.preset.findData("small"))
    view.steps.setValue(300)
    assert view.arch.text().endswith(", 300 steps")
    view.steps.setValue(2500)
    assert view.arch.text().endswith(", 2,500 steps")
