"""Starting the desktop app: the QApplication, the window on screen first, then the model in the background."""

from __future__ import annotations

import sys

from PySide6.QtCore import QCoreApplication, QEvent, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from flowstudio import __version__
from flowstudio.resources import resources_dir
from flowstudio.studio import qt_runtime

APP_NAME = "Flow Studio"
SWITCH_INTERVAL_S = 0.001
"""How long a worker thread may hold Python's GIL before the GUI thread gets a turn (Python's default is
5 ms): the GUI thread then answers within about a millisecond while the model runs."""


def create_app(argv: list[str] | None = None) -> QApplication:
    """The application object (or the existing one), with names used by Qt's settings and dialogs."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    app = QApplication.instance()
    if app is None:
        qt_runtime.check()  # a missing system library is named in words, before Qt's own cryptic abort
        QGuiApplication.setHighDpiScaleFactorRoundingPolicy(Qt.HighDpiScaleFactorRoundingPolicy.PassThrough)
        app = QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName(APP_NAME)
    app.setApplicationDisplayName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setOrganizationName("FlowStudio")
    app.setDesktopFileName(DESKTOP_ID)  # Wayland and the docks match the window to the menu entry's icon
    app.setWindowIcon(app_icon())
    return app


DESKTOP_ID = "io.github.flowstudio.FlowStudio"
"""The freedesktop application id: the name of the .desktop file and of the AppStream metainfo."""


def app_icon() -> QIcon:
    """The app's icon (``resources/icons``: rendered from ``flowstudio.svg`` by ``packaging/make_icons.py``)."""
    icon = QIcon()
    for path in sorted((resources_dir() / "icons").glob("flowstudio-*.png")):
        icon.addFile(str(path))
    return icon


def launch(project: str | None = None, model: str | None = None):
    """Show the main window, then start loading once it is on screen; returns the window.

    The caller runs the event loop.  Loading starts from the event loop, after
    the first paint, so importing torch on the worker thread never delays it.
    """
    from flowstudio.studio._qt.main_window import MainWindow

    window = MainWindow()
    window.show()
    QTimer.singleShot(0, lambda: window.start(project, model))
    return window


def run(project: str | None = None, model: str | None = None) -> int:
    app = create_app()
    window = launch(project, model)
    app.aboutToQuit.connect(window.close_now)  # also when the session ends without closing the window
    status = app.exec()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # widgets go before the interpreter
    return status
