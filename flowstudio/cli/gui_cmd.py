"""``flowstudio gui`` (also ``flowstudio`` with no arguments): open the desktop app.

Qt is imported only when the command runs, so the rest of the command line
never loads it; torch is imported later still, by the app's first model
load on a worker thread, after the window is on screen.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="open the Flow Studio desktop app (the default without a command)",
                       description="Open the Flow Studio desktop app: drop example images, move the lambda "
                                   "slider, and watch new images appear.")
    p.add_argument("project", nargs="?", type=Path, default=None,
                   help="a project to open (*.flowstudio.json); default: the example sneakers set")
    p.add_argument("--model", "-m", type=Path, default=None,
                   help="model to open (default: the last one used, else the bundled Fashion-MNIST Glow)")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flowstudio.studio import qt_runtime

    try:
        qt_runtime.check()
    except qt_runtime.QtRuntimeMissing as exc:
        show_on_desktop(str(exc))  # started from a menu, nobody reads standard error
        raise
    from flowstudio.studio._qt.app import run as run_app

    return run_app(str(args.project) if args.project else None, str(args.model) if args.model else None)


DESKTOP_DIALOGS = (("zenity", "--error", "--no-wrap", "--title=Flow Studio", "--text"),
                   ("kdialog", "--title", "Flow Studio", "--error"),
                   ("xmessage", "-center"))
"""Small programs most Linux desktops have that show a message without Qt (GTK, KDE, plain X)."""


def show_on_desktop(message: str) -> None:
    """Show ``message`` in a desktop dialog when one of :data:`DESKTOP_DIALOGS` is there and a screen is."""
    import os
    import shutil
    import subprocess

    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return
    for program, *options in DESKTOP_DIALOGS:
        if shutil.which(program):
            subprocess.run([program, *options, message], check=False, timeout=600)
            return
