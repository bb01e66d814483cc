"""``flowstudio selfcheck``: try each part of this installation for real and print one line per check.

The checks are the core's (:mod:`flowstudio.selfcheck`) and, with ``--gui``, the studio's
(:mod:`flowstudio.studio._qt.selfcheck`).  Exit status 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "selfcheck", help="check that this installation works (model, sampling, training, and the window)",
        description="Check this installation for real, one line per check: the bundled model and example sets "
                    "are found, your settings and runs folders can be written, the bundled model draws "
                    "images, and a short training runs in a separate process. With --gui, also open the "
                    "studio window (in a throwaway settings folder), time how long it takes to appear, start "
                    "a training from the Train panel and cancel it. Nothing is kept.")
    p.add_argument("--gui", action="store_true", help="also check the studio window and its Train panel")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from flowstudio.selfcheck import run_checks

    ok = True
    if args.gui:  # first, so that the window's start is timed as a real start (torch not yet imported)
        from flowstudio.studio._qt.selfcheck import run_gui_checks

        ok = run_gui_checks()
    ok = run_checks() and ok
    print("all checks passed" if ok else "some checks FAILED (see above)")
    return 0 if ok else 1
