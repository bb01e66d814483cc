"""``flowstudio screenshot``: render the app's canonical views to PNGs, offscreen.

Uses the bundled model (or ``--model``) and example sets, a throwaway settings folder (the
user's preferences and recovery files are never touched) and Qt's offscreen
platform unless another is set, so it runs on machines without a display.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

from flowstudio.cli.options import add_number


def _size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT, e.g. 1400x900, not {text!r}") from None
    return w, h


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("screenshot", help="save screenshots of the desktop app's main views",
                       description="Render the desktop app offscreen with the bundled model (or --model) and example sets, "
                                   "wait until every view has finished drawing, and save one PNG per view.")
    p.add_argument("--out", type=Path, required=True, help="folder for the PNGs (created if needed)")
    p.add_argument("--size", type=_size, default=(1400, 900), metavar="WxH", help="window size (default: 1400x900)")
    p.add_argument("-m", "--model", type=Path, default=None,
                   help="open this checkpoint instead of the bundled model (e.g. a GLF model)")
    p.add_argument("--labelled", type=Path, default=None, metavar="MODEL",
                   help="instead of the canonical views, capture a label-conditioned MODEL's: by label, the same "
                        "style under every label, and Classify with its p(y | x)")
    add_number(p, "--scale", whole=False, low=0.25, high=4, default=1.0,
               help="device pixel ratio to render at, e.g. 2 for a high-DPI screen")
    p.set_defaults(run=run)


def offscreen_screen(folder: Path, size: tuple[int, int]) -> str:
    """``QT_QPA_PLATFORM`` for Qt's offscreen platform with one screen of ``size`` (its default is
    800x800, and the window fits itself to its screen): a screen configuration file in ``folder``."""
    config = folder / "offscreen-screen.json"
    config.write_text(json.dumps({"screens": [{"name": "screenshot", "x": 0, "y": 0, "width": size[0],
                                               "height": size[1], "logicalDpi": 96, "logicalBaseDpi": 96}]}))
    return f"offscreen:configfile={config}"


def run(args: argparse.Namespace) -> int:
    if args.scale != 1.0:
        os.environ["QT_SCALE_FACTOR"] = str(args.scale)
    with tempfile.TemporaryDirectory(prefix="flowstudio-screenshot-") as home:
        if os.environ.get("QT_QPA_PLATFORM", "offscreen") == "offscreen":
            os.environ["QT_QPA_PLATFORM"] = offscreen_screen(Path(home), args.size)
        os.environ["FLOWSTUDIO_HOME"] = home
        from flowstudio.studio._qt.app import create_app
        from flowstudio.studio._qt.main_window import MainWindow
        from flowstudio.studio._qt.screen_fit import set_window_size
        from flowstudio.studio._qt.labelled_screenshots import take_labelled_screenshots
        from flowstudio.studio._qt.screenshots import take_screenshots

        create_app()
        window = MainWindow()
        set_window_size(window, *args.size)
        window.show()
        window.start()
        try:
            if args.model is not None:
                window.studio.load_model(str(args.model))
            paths = (take_labelled_screenshots(window, args.labelled, args.out) if args.labelled is not None
                     else take_screenshots(window, args.out))
        finally:
            window.close_now()
    for path in paths:
        print(f"wrote {path}")
    return 0
