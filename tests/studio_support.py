"""Shared fixtures and helpers for the desktop app's tests (imported by tests/test_studio_*.py).

Every test gets its own settings/data folder (``FLOWSTUDIO_HOME``), so no
test reads or writes the user's real preferences or recovery files, and a
real main window on the bundled model (small: encoding 8 images and
drawing 16 samples take a fraction of a second).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl  # noqa: E402
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QImage  # noqa: E402
from PySide6.QtWidgets import QAbstractScrollArea, QApplication  # noqa: E402

from flowstudio.resources import example_sets  # noqa: E402

IDLE_TIMEOUT_MS = 60_000


@pytest.fixture
def studio_home(tmp_path, monkeypatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("FLOWSTUDIO_HOME", str(home))
    return home


def make_window(qtbot, start: bool = True):
    from flowstudio.studio._qt.main_window import MainWindow

    window = MainWindow()
    window.show()
    qtbot.waitExposed(window)
    if start:
        window.start()
        wait_idle(qtbot, window)
    return window


@pytest.fixture
def window(qtbot, studio_home):
    """A started main window: the bundled model with the example sneakers set, samples drawn."""
    win = make_window(qtbot)
    yield win
    win.close_now()


def wait_idle(qtbot, window, timeout: int = IDLE_TIMEOUT_MS) -> None:
    from flowstudio.studio._qt.screenshots import is_idle

    qtbot.waitUntil(lambda: is_idle(window), timeout=timeout)


def wait_for_files(qtbot, window) -> None:
    """Until the file thread (exports, saves, dropped PNGs) is done."""
    qtbot.waitUntil(lambda: not window.studio.host.io.active, timeout=IDLE_TIMEOUT_MS)
    wait_idle(qtbot, window)


def grid_pixels(window) -> np.ndarray:
    """What the sample grid shows on screen, as an RGB array."""
    image = window.panels["samples"].grid.grab().toImage().convertToFormat(QImage.Format.Format_RGB888)
    rows = np.array(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    return rows[:, :image.width() * 3].reshape(image.height(), image.width(), 3)  # without row padding


def example(name: str) -> Path:
    return example_sets()[name]


def write_images(folder: Path, n: int, seed: int = 0, size: int = 28) -> list[Path]:
    """``n`` small random greyscale PNGs (distinct content) in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(n):
        path = folder / f"img-{i:04d}.png"
        Image.fromarray(rng.integers(0, 256, (size, size), dtype=np.uint8)).save(path)
        paths.append(path)
    return paths


def messages(window, level: str | None = None) -> list:
    return [m for m in window.studio.notifier.history if level is None or m.level == level]


def simulate_drop(widget, paths: list[str]) -> bool:
    """Drag ``paths`` over ``widget`` (its viewport for scroll areas) and drop them, as a file manager does.

    Real ``QDragEnterEvent``/``QDropEvent`` go through Qt's event delivery, so
    the widget's own drop handling runs (Qt delivers a drop to the widget that
    accepted the drag's enter event).  Returns whether the drop was accepted.
    """
    target = widget.viewport() if isinstance(widget, QAbstractScrollArea) else widget
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    args = (QPointF(target.rect().center()), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
            Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(*args)
    QApplication.sendEvent(target, enter)
    drop = QDropEvent(*args)
    QApplication.sendEvent(target, drop)
    return enter.isAccepted() and drop.isAccepted()


def classify_fashion_classes(qtbot, window):
    """The Classify panel shown, with the bundled sneakers, trousers and bags sets as its classes."""
    studio, view = window.studio, window.panels["classify"]
    window.show_panel("classify")
    for name in ("trousers", "bags"):
        studio.evidence.open_example(name)
    wait_idle(qtbot, window)
    view.set_classes(["sneakers", "trousers", "bags"])
    return view
