"""The main window's size and place on its screen: the default size where it fits, never more than the screen.

On a screen with room for :data:`DEFAULT_SIZE` (plus the title bar and
borders a window manager adds) the window opens at that size, centred.  On
a smaller one (a 1366x768 laptop) it opens maximized, so the sample grid's
buttons, the status bar and the dock tabs are all on screen.  A geometry
restored from the preferences (saved on a larger monitor, say) is clamped
to the screen the same way.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

DEFAULT_SIZE = QSize(1400, 900)
FRAME_ALLOWANCE = QSize(16, 40)
"""Room left for a window manager's title bar and borders (the frame is unknown before the window is shown)."""


def _screen(window: QWidget) -> QScreen:
    return window.screen() or QGuiApplication.primaryScreen()


def fits(size: QSize, available: QRect) -> bool:
    """Whether a window of ``size`` (plus its frame) fits in ``available``."""
    return (size.width() + FRAME_ALLOWANCE.width() <= available.width()
            and size.height() + FRAME_ALLOWANCE.height() <= available.height())


def fitted_size(wanted: QSize, available: QRect) -> QSize:
    """``wanted``, shrunk where needed so that it and its frame fit in ``available``."""
    return wanted.boundedTo(available.size() - FRAME_ALLOWANCE)


def _centre(window: QWidget, size: QSize, available: QRect) -> None:
    frame = QRect(0, 0, size.width() + FRAME_ALLOWANCE.width(), size.height() + FRAME_ALLOWANCE.height())
    frame.moveCenter(available.center())
    window.resize(size)
    window.move(frame.topLeft().x(), max(available.top(), frame.top()))


def open_fitted(window: QWidget, wanted: QSize = DEFAULT_SIZE) -> None:
    """Size ``window`` for its screen: ``wanted`` and centred where it fits, else maximized over a fitted size."""
    available = _screen(window).availableGeometry()
    _centre(window, fitted_size(wanted, available), available)
    state = window.windowState() & ~Qt.WindowState.WindowMaximized
    window.setWindowState(state if fits(wanted, available) else state | Qt.WindowState.WindowMaximized)


def clamp_to_screen(window: QWidget) -> None:
    """After restoring a saved geometry: shrink and move the window back onto its screen if it is off it."""
    if window.windowState() & (Qt.WindowState.WindowMaximized | Qt.WindowState.WindowFullScreen):
        return
    available = _screen(window).availableGeometry()
    size = window.size()
    if fits(size, available) and available.contains(window.geometry()):
        return
    _centre(window, fitted_size(size, available), available)


def set_window_size(window: QWidget, width: int, height: int) -> None:
    """Exactly this size, not maximized (``flowstudio screenshot --size``)."""
    window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMaximized)
    window.resize(width, height)
