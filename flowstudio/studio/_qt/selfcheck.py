"""The studio's part of ``flowstudio selfcheck --gui``: the window as the app opens it, then the Train panel.

Opened exactly as ``flowstudio gui`` opens it (:func:`~flowstudio.studio._qt.app.launch`), in a
throwaway settings folder, on whatever screen Qt is given (``QT_QPA_PLATFORM=offscreen`` works).
Timed from the process's start: until the window is on screen (the first turn of the event loop
after ``show``, as ``benchmarks/gui_latency.py`` measures it) and until the first samples are drawn.
Then a training is started from the Train panel's Start button on a bundled example set, in a child
process of the app's own executable, and cancelled with the Cancel button once it has stepped.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable

from PySide6.QtCore import QTimer

from flowstudio.selfcheck import TINY_MODEL, Check, print_check, process_start_time, training_folder
from flowstudio.studio._qt.screenshots import wait_until
from flowstudio.studio.paths import HOME_ENV
from flowstudio.training.events import FINAL_KINDS

WINDOW_TIMEOUT_S = 120.0
TRAINING_TIMEOUT_S = 300.0
SELFCHECK_STEPS = 5000
"""Steps asked for in the panel: far more than run before Cancel, so the cancel is what ends the run."""


def run_gui_checks(report: Callable[[Check], None] = print_check) -> bool:
    """Open the studio, time it, train from the Train panel and cancel; report each check; True if all passed."""
    started = process_start_time()
    before = os.environ.get(HOME_ENV)
    with tempfile.TemporaryDirectory(prefix="flowstudio-selfcheck-home-") as home:
        os.environ[HOME_ENV] = home  # the user's settings, projects and runs are never touched
        from flowstudio.studio._qt.app import create_app, launch

        create_app()
        window = launch()
        marks: dict[str, float] = {}
        QTimer.singleShot(0, lambda: marks.setdefault("window", time.time()))
        try:
            checks = [_window(window, marks, started), _samples(window, started), _train_and_cancel(window)]
        finally:
            window.close_now()
            if before is None:
                os.environ.pop(HOME_ENV)
            else:
                os.environ[HOME_ENV] = before
    for check in checks:
        report(check)
    return all(check.ok for check in checks)


def _window(window, marks: dict[str, float], started: float) -> Check:
    if not wait_until(lambda: "window" in marks, WINDOW_TIMEOUT_S):
        return Check("window", False, f"not on screen after {WINDOW_TIMEOUT_S:.0f} s")
    return Check("window", True, f"on screen {marks['window'] - started:.2f} s after the process started "
                                 f"(at {marks['window']:.3f})")


def _samples(window, started: float) -> Check:
    drawn = wait_until(lambda: window.studio.last_sample is not None and window.studio.last_sample.m, WINDOW_TIMEOUT_S)
    if not drawn:
        return Check("first samples", False, f"not drawn after {WINDOW_TIMEOUT_S:.0f} s")
    return Check("first samples", True, f"drawn {time.time() - started:.2f} s after the process started, "
                                        f"from {window.studio.last_sample.m} examples")


def _train_and_cancel(window) -> Check:
    view, training = window.panels["train"], window.studio.training
    seen: list[dict] = []
    training.event.connect(seen.append)
    window.show_panel("train")
    view.set_folder(str(training_folder()))
    view.steps.setValue(SELFCHECK_STEPS)
    view.name.setText("selfcheck")
    view.extra = list(TINY_MODEL)
    view.start_button.click()
    wait_until(lambda: any(e["event"] in ("step", *FINAL_KINDS) for e in seen), TRAINING_TIMEOUT_S)
    if not any(e["event"] == "step" for e in seen):
        errors = [e.get("message", "") for e in seen if e["event"] == "error"]
        return Check("training from the Train panel", False,
                     f"the run failed: {errors[0]}" if errors else f"no step within {TRAINING_TIMEOUT_S:.0f} s")
    view.cancel_button.click()
    if not wait_until(lambda: any(e["event"] == "cancelled" for e in seen) and not training.running,
                      TRAINING_TIMEOUT_S):
        return Check("training from the Train panel", False, "Cancel did not stop the run")
    step = next(e for e in seen if e["event"] == "cancelled")["step"]
    return Check("training from the Train panel", True, f"started with Start, cancelled with Cancel at step {step}")
