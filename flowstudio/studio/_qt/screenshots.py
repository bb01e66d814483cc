"""Canonical screenshots of the app, rendered offscreen from the bundled model and example sets.

Each registered panel names its views (:class:`~.panels.ScreenshotSpec`);
every capture starts from the same state (the example sneakers set on the
Samples tab), applies the view's ``prepare``, and waits until every job and
redraw has finished (:func:`wait_until_idle`) before grabbing the widget.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from flowstudio.studio._qt.panels import registered_panels

POLL_MS = 20


def wait_until(predicate: Callable[[], bool], timeout_s: float = 120.0) -> bool:
    """Run the event loop until ``predicate()`` holds (checked every few ms); False on timeout."""
    if predicate():
        return True
    loop = QEventLoop()
    deadline = time.monotonic() + timeout_s
    timer = QTimer(interval=POLL_MS)
    timer.timeout.connect(lambda: (predicate() or time.monotonic() > deadline) and loop.quit())
    timer.start()
    loop.exec()
    timer.stop()
    return predicate()


def is_idle(window: Any) -> bool:
    """The model is loaded, nothing is running, and the grid (and sweep, when shown) is drawn."""
    s = window.studio
    return (s.host.ready and not s.busy and s.last_sample is not None
            and (not s.sweep_wanted or s.last_sweep is not None))


PREPARED_TIMEOUT_S = 900.0
"""How long a prepared view may take to finish its work before it is captured (a playground run of a thousand
steps on a busy two-core machine takes minutes): a guard against a hang, not a speed requirement."""


def wait_until_idle(window: Any, timeout_s: float = 120.0) -> bool:
    return wait_until(lambda: is_idle(window), timeout_s)


def _reset(window: Any) -> None:
    for dialog in window.findChildren(QDialog):
        dialog.close()
    window.studio.evidence.open_example("sneakers")
    window.show_panel("samples")


def capture(window: Any, out: Path, name: str, prepare: Callable[[Any], QWidget | None]) -> Path:
    _reset(window)
    wait_until_idle(window)
    target = prepare(window) or window
    if not wait_until_idle(window, PREPARED_TIMEOUT_S):
        raise RuntimeError(f"screenshot {name!r}: the app did not finish drawing in {PREPARED_TIMEOUT_S:.0f} s")
    QApplication.processEvents()
    path = out / f"{name}.png"
    if not target.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    return path


def take_screenshots(window: Any, out: Path) -> list[Path]:
    """Every registered view in the dark theme, then the main view in the light theme."""
    out.mkdir(parents=True, exist_ok=True)
    specs = registered_panels("center") + [s for s in registered_panels() if s.area != "center"]
    paths = [capture(window, out, shot.name, shot.prepare) for spec in specs for shot in spec.screenshots]
    window.set_theme("light")
    paths.append(capture(window, out, "main-light", lambda w: w.show_panel("samples")))
    window.set_theme("dark")
    return paths
