"""The window on small screens, dark and light drop-downs, and where an artist finds each panel."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PySide6.QtCore import QSize
from PySide6.QtGui import QImage, QKeySequence
from PySide6.QtWidgets import QApplication, QTabBar

from tests.studio_support import make_window, studio_home, wait_idle, window  # noqa: F401
from tests.test_studio_session import run_python

from flowstudio.studio._qt.panels import registered_panels

FIT_REPORT = """
    import json
    from PySide6.QtCore import QPoint, QRect
    from PySide6.QtWidgets import QApplication, QPushButton, QScrollArea, QTabBar
    app = QApplication([])
    from flowstudio.studio._qt.main_window import MainWindow
    from flowstudio.studio._qt.screenshots import wait_until_idle

    window = MainWindow()
    window.show()
    window.start()
    assert wait_until_idle(window)
    app.processEvents()

    def shown_whole(widget):
        # shown, and not cut off by any widget it sits in (the window included)
        parent = widget.parentWidget()
        while parent is not None:
            if not parent.rect().contains(QRect(widget.mapTo(parent, QPoint(0, 0)), widget.size())):
                return False
            parent = parent.parentWidget()
        return widget.isVisible() and screen.contains(QRect(widget.mapToGlobal(QPoint(0, 0)), widget.size()))

    def scrolls_sideways(key):
        window.show_panel(key)
        app.processEvents()
        return window.docks[key].widget().horizontalScrollBar().maximum() > 0

    screen = window.screen().availableGeometry()
    reroll = next(b for b in window.panels["samples"].findChildren(QPushButton) if b.text() == "New seed")
    switch = next(bar for bar in window.findChildren(QTabBar) if bar.parentWidget() is window
                  and {bar.tabText(i) for i in range(bar.count())} == {"Posterior", "Model"})
    print(json.dumps({
        "screen": [screen.width(), screen.height()],
        "on_screen": screen.contains(window.frameGeometry()),
        "minimum_fits": window.minimumSizeHint().width() <= screen.width()
                        and window.minimumSizeHint().height() <= screen.height(),
        "shown": {name: shown_whole(w) for name, w in (("reroll", reroll), ("status bar", window.statusBar()),
                                                      ("panel switch", switch),
                                                      ("lock", window.panels["posterior"].lock))},
        "docks_scroll_sideways": [key for key in window.docks if scrolls_sideways(key)],
    }))
    window.close_now()
"""


@pytest.mark.parametrize("width, height", [(1366, 768), (1280, 720)])
def test_on_a_small_screen_the_reroll_button_status_bar_and_panel_switch_are_on_screen(tmp_path, width, height):
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "laptop", "x": 0, "y": 0, "width": width, "height": height,
                                               "logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}))
    out = run_python(FIT_REPORT, tmp_path / "home", platform=f"offscreen:configfile={config}", timeout=300)
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["screen"] == [width, height] and report["on_screen"] and report["minimum_fits"]
    assert report["shown"] == {"reroll": True, "status bar": True, "panel switch": True, "lock": True}
    assert report["docks_scroll_sideways"] == []


def test_a_saved_geometry_larger_than_the_screen_is_brought_back_onto_it(qtbot, studio_home):
    first = make_window(qtbot, start=False)
    first.showNormal()
    first.setGeometry(200, 150, 1900, 1300)  # saved on a big monitor
    first.close_now()
    second = make_window(qtbot, start=False)
    try:
        screen = second.screen().availableGeometry()
        assert screen.size().boundedTo(QSize(1900, 1300)) == screen.size()  # the test screen is smaller
        assert screen.contains(second.frameGeometry())
    finally:
        second.close_now()


def luminance(rgb: np.ndarray) -> np.ndarray:
    c = rgb / 255.0
    c = np.where(c <= 0.03928, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    return c @ np.array([0.2126, 0.7152, 0.0722])


def text_contrast(image: QImage) -> float:
    """The WCAG contrast between an area's background (its commonest colour) and its text (the farthest from it)."""
    image = image.convertToFormat(QImage.Format.Format_RGB888)
    rows = np.array(image.constBits(), dtype=np.uint8).reshape(image.height(), image.bytesPerLine())
    pixels = rows[:, :image.width() * 3].reshape(-1, 3).astype(float)
    colours, counts = np.unique(pixels, axis=0, return_counts=True)
    lum = luminance(colours)
    background = lum[counts.argmax()]
    text = lum[np.abs(lum - background).argmax()]
    return (max(background, text) + 0.05) / (min(background, text) + 0.05)


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_the_current_item_of_a_drop_down_is_readable_closed_and_open(qtbot, window, theme):
    window.set_theme(theme)
    combo = window.panels["posterior"].covariance
    combo.setCurrentIndex(0)
    assert text_contrast(combo.grab().toImage()) >= 4.5
    combo.showPopup()
    view = combo.view()
    qtbot.waitUntil(view.isVisible)
    try:
        current, other = (view.visualRect(combo.model().index(row, 0)) for row in (0, 1))
        assert view.currentIndex().row() == 0
        shot = view.viewport().grab().toImage()
        assert text_contrast(shot.copy(current)) >= 4.5 and text_contrast(shot.copy(other)) >= 4.5
        row_colour = [QImage.pixelColor(shot, r.right() - 2, r.center().y()) for r in (current, other)]
        assert row_colour[0] != row_colour[1]  # the current item is marked
    finally:
        combo.hidePopup()


def test_every_panel_has_a_view_entry_with_a_shortcut_and_docks_show_their_tabs_on_top(qtbot, window):
    specs = registered_panels("center") + [s for s in registered_panels() if s.area != "center"]
    view = next(a.menu() for a in window.menuBar().actions() if a.text() == "&View")
    entries = [a for a in view.actions() if not a.isSeparator()][:len(specs)]
    assert [(a.text(), a.shortcut().toString()) for a in entries] == [
        (spec.title, f"Ctrl+{n}") for n, spec in enumerate(specs, 1)][:9]
    assert ("View", "Model", QKeySequence("Ctrl+9").toString(QKeySequence.SequenceFormat.NativeText)) in (
        window.shortcut_rows())

    switch = next(bar for bar in window.findChildren(QTabBar) if bar.parentWidget() is window
                  and {bar.tabText(i) for i in range(bar.count())} == {"Posterior", "Model"})
    assert switch.mapTo(window, switch.rect().bottomLeft()).y() <= window.docks["posterior"].geometry().top()
    assert not switch.tabIcon(0).isNull()
    window.actions_by_key["show_model"].trigger()
    assert switch.tabText(switch.currentIndex()) == "Model"
    window.actions_by_key["show_posterior"].trigger()
    assert switch.tabText(switch.currentIndex()) == "Posterior"
    window.status_model.click()  # the model's name in the status bar opens its panel
    assert switch.tabText(switch.currentIndex()) == "Model" and window.status_model.text().startswith("Model: ")
    window.actions_by_key["show_sweep"].trigger()
    assert window.tabs.currentWidget() is window.panels["sweep"]
    QApplication.processEvents()
