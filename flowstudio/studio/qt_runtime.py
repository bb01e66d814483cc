"""Before Qt starts on Linux: are the system libraries it needs there?  If not, say which, in words.

Qt's own message for a missing library is "qt.qpa.plugin: Could not load the Qt platform plugin
"xcb" ... This application failed to start", with no word on what to install; on a fresh Debian or
Ubuntu desktop the usual culprit is ``libxcb-cursor0``, which Qt 6.5+ needs and few systems have.
This module tries to load each library Qt's platform plugin links against (the list below was
read with ``ldd`` off PySide6's ``libqxcb.so``, ``libQt6XcbQpa.so`` and ``libQt6Gui.so``) and
names the Debian/Ubuntu packages that hold the missing ones.  No Qt import: it runs first.

Hand-written because no library does this: Qt reports the failure only after trying, and PySide6
has no pre-flight check.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from flowstudio.errors import FlowStudioError

GUI_LIBRARIES = {
    # Loaded by QtGui on every platform, the offscreen one included.
    "libEGL.so.1": "libegl1", "libGL.so.1": "libgl1", "libxkbcommon.so.0": "libxkbcommon0",
    "libfontconfig.so.1": "libfontconfig1", "libfreetype.so.6": "libfreetype6", "libglib-2.0.so.0": "libglib2.0-0",
    "libdbus-1.so.3": "libdbus-1-3", "libX11.so.6": "libx11-6", "libxcb.so.1": "libxcb1",
}
X11_LIBRARIES = {
    # Loaded by the xcb platform plugin (a window on an X11 screen, or XWayland).
    "libxcb-cursor.so.0": "libxcb-cursor0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0",
    "libxcb-icccm.so.4": "libxcb-icccm4", "libxcb-util.so.1": "libxcb-util1", "libxcb-image.so.0": "libxcb-image0",
    "libxcb-keysyms.so.1": "libxcb-keysyms1", "libxcb-randr.so.0": "libxcb-randr0",
    "libxcb-render-util.so.0": "libxcb-render-util0", "libxcb-render.so.0": "libxcb-render0",
    "libxcb-shm.so.0": "libxcb-shm0", "libxcb-sync.so.1": "libxcb-sync1", "libxcb-xfixes.so.0": "libxcb-xfixes0",
    "libxcb-shape.so.0": "libxcb-shape0", "libxcb-xkb.so.1": "libxcb-xkb1", "libX11-xcb.so.1": "libx11-xcb1",
}
"""``{soname: the Debian/Ubuntu package that holds it}``; ``make qt-deps`` installs the same packages."""


class QtRuntimeMissing(FlowStudioError):
    """Qt cannot start here: a system library is missing or there is no screen; the message says what to do."""


def platform_plugin(env: dict[str, str] | os._Environ = os.environ) -> str:
    """The Qt platform plugin Qt will pick on Linux: ``QT_QPA_PLATFORM``'s first choice, else by session."""
    chosen = env.get("QT_QPA_PLATFORM", "").split(";")[0].split(":")[0].strip()
    if chosen:
        return chosen
    if env.get("WAYLAND_DISPLAY") and env.get("XDG_SESSION_TYPE") == "wayland":
        return "wayland"
    return "xcb"


def _loadable(soname: str, search: Iterable[Path]) -> bool:
    if any((folder / soname).exists() for folder in search):
        return True  # shipped inside the bundle next to Qt (the bundle's own RPATH finds it)
    try:
        ctypes.CDLL(soname)
    except OSError:
        return False
    return True


def _bundle_folders() -> list[Path]:
    root = getattr(sys, "_MEIPASS", None)
    return [Path(root), Path(root) / "PySide6" / "Qt" / "lib"] if root else []


def missing_libraries(plugin: str, loadable: Callable[[str], bool] | None = None) -> dict[str, str]:
    """``{soname: package}`` of the libraries ``plugin`` needs that cannot be loaded here (Linux only)."""
    if not sys.platform.startswith("linux"):
        return {}
    folders = _bundle_folders()
    loadable = loadable or (lambda soname: _loadable(soname, folders))
    wanted = {**GUI_LIBRARIES, **(X11_LIBRARIES if plugin == "xcb" else {})}
    return {soname: package for soname, package in wanted.items() if not loadable(soname)}


def explain(missing: dict[str, str], plugin: str) -> str:
    packages = " ".join(sorted(set(missing.values())))
    screen = "an X11 screen" if plugin == "xcb" else f"the {plugin!r} platform"
    return ("Flow Studio cannot open its window: the system "
            f"{'library' if len(missing) == 1 else 'libraries'} {', '.join(sorted(missing))} that Qt needs to draw on "
            f"{screen} {'is' if len(missing) == 1 else 'are'} not installed.\n"
            f"On Debian or Ubuntu, install {'it' if len(missing) == 1 else 'them'} with:\n"
            f"    sudo apt-get install {packages}\n"
            "(other systems: the packages holding the same files, e.g. xcb-util-cursor on Fedora), "
            "then start Flow Studio again. The command line (flowstudio sample, train, ...) works without them.")


def check(env: dict[str, str] | os._Environ = os.environ) -> None:
    """Raise :class:`QtRuntimeMissing` with what to do if Qt cannot start; do nothing elsewhere than Linux."""
    if not sys.platform.startswith("linux"):
        return
    plugin = platform_plugin(env)
    if plugin == "xcb" and not env.get("DISPLAY"):
        if env.get("WAYLAND_DISPLAY"):
            plugin = "wayland"
        else:
            raise QtRuntimeMissing(
                "Flow Studio cannot open its window: no screen was found (DISPLAY is not set). "
                "Start it from a desktop session, or use the command line (flowstudio sample ...; "
                "flowstudio screenshot --out DIR renders the views without a screen).")
    missing = missing_libraries(plugin)
    if missing:
        raise QtRuntimeMissing(explain(missing, plugin))


DESKTOP_DIALOGS = (("zenity", "--error", "--no-wrap", "--title=Flow Studio", "--text"),
                   ("kdialog", "--title", "Flow Studio", "--error"),
                   ("xmessage", "-center"))
"""Small programs most Linux desktops have that show a message without Qt (GTK, KDE, plain X)."""


def show_on_desktop(message: str) -> None:
    """Show ``message`` in a desktop dialog when one of :data:`DESKTOP_DIALOGS` is there and a screen is."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return
    for program, *options in DESKTOP_DIALOGS:
        if shutil.which(program):
            subprocess.run([program, *options, message], check=False, timeout=600)
            return


def debian_packages() -> list[str]:
    """Every Debian/Ubuntu package the studio's window needs on Linux (``make qt-deps`` installs them)."""
    return sorted({*GUI_LIBRARIES.values(), *X11_LIBRARIES.values()})
