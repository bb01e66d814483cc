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
    from flowstudio.studio._qt.app import run as run_app

    try:
        return run_app(str(args.project) if args.project else None, str(args.model) if args.model else None)
    except qt_runtime.QtRuntimeMissing as exc:  # raised by create_app before Qt loads its platform plugin
        qt_runtime.show_on_desktop(str(exc))  # started from a menu, nobody reads standard error
        raise
