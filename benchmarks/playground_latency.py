"""How responsive the Playground tab is while a 2-D flow trains in it, and how fast it learns.

    QT_QPA_PLATFORM=offscreen python benchmarks/playground_latency.py [--seconds 8] [--density moons]
    QT_QPA_PLATFORM=offscreen python benchmarks/playground_latency.py --density labelled:moons [--labelled 10]

In the real main window (bundled model loaded, the Playground tab shown,
default family and size), a flow trains on the playground's worker thread
while a 2 ms timer runs on the GUI thread, as ``benchmarks/gui_latency.py``
measures stalls.  Prints:

1. **longest event-loop stall while training**: the longest gap between the
   timer's ticks (goal < 16 ms, one frame), with its 99th percentile, next to
   the same measure with the app idle (what the machine's other load costs);
2. **heat-map refreshes per second**: frames (target | learned heat map with
   samples | warped grid) painted per second of training (goal >= 10);
3. **time to a trained model**: training steps and wall time, and the
   held-out negative log-likelihood (nats per point) at step 0 and at the end,
   next to a long reference training of the same settings without the GUI
   (``--png`` saves the last frame, to see it); for a labelled toy
   (``--density labelled:moons``, ``labelled:circles``, ``labelled:8modes``;
   its family the first that fits) also the held-out test error.

Runs with a throwaway settings folder; the user's preferences are untouched.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("FLOWSTUDIO_HOME", tempfile.mkdtemp(prefix="flowstudio-bench-"))
WIDTH = 34


def stalls(seconds: float) -> list[float]:
    """Gaps (ms) between the ticks of a 2 ms timer on the GUI thread over ``seconds`` of event loop."""
    from event_loop import tick_gaps  # this folder's helper (the script's own folder is on sys.path)

    from flowstudio.studio._qt.screenshots import wait_until

    with tick_gaps() as gaps:
        wait_until(lambda: False, timeout_s=seconds)
    return gaps


def reference_nll(density: str, labelled: int | None, settings: dict, steps: int) -> tuple[float, float | None]:
    """Held-out NLL and test error (``None`` unlabelled) of the same settings trained ``steps`` steps headless
    (what "trained" means here)."""
    from flowstudio.playground.session import PlaygroundSession, PlaygroundSettings
    from flowstudio.studio._qt.views.playground_view import make_target

    session = PlaygroundSession(make_target(density, labelled), PlaygroundSettings(**settings))
    session.step(steps)
    return session.heldout_nll(), session.test_error()


def error_text(error: float | None) -> str:
    return "" if error is None else f" (test error {100 * error:.1f} %)"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=8.0, help="seconds of training measured (default: 8)")
    parser.add_argument("--density", default="moons", help="toy density to learn (default: moons)")
    parser.add_argument("--reference-steps", type=int, default=3000,
                        help="steps of the headless reference training (default: 3000)")
    parser.add_argument("--labelled", type=int, help="labelled points of a labelled toy (default: the toy's own: "
                        "10 for moons and circles, all for 8modes)")
    parser.add_argument("--png", help="also save the last frame there (to see what the measured time learnt)")
    args = parser.parse_args()

    import torch
    from event_loop import report

    from flowstudio.studio._qt.app import create_app
    from flowstudio.studio._qt.main_window import MainWindow
    from flowstudio.studio._qt.screenshots import wait_until, wait_until_idle

    create_app()
    window = MainWindow()
    window.show()
    window.start()
    assert wait_until_idle(window), "the app did not finish loading"
    window.show_panel("playground")
    view = window.panels["playground"]
    view._select(args.density)
    view._density_chosen(view.density.currentIndex())  # a labelled toy: its labelled points and families
    if args.labelled is not None:
        view.labelled.setValue(args.labelled)
    view.load()
    assert wait_until(lambda: view.runner.session is not None and not view.runner.busy, timeout_s=120)
    session = view.runner.session
    start_nll, start_error = session.heldout_nll(), session.test_error()
    painted: list[float] = []
    view.runner.framed.connect(lambda _: painted.append(time.perf_counter()))

    wait_until(lambda: False, timeout_s=1.0)  # past the studio's one full garbage collection after start-up
    idle = stalls(2.0)
    view.steps.setValue(1_000_000)
    t0 = time.perf_counter()
    view.train()
    training = stalls(args.seconds)
    view.runner.stop()
    wait_until(lambda: not view.runner.busy, timeout_s=30)
    elapsed = time.perf_counter() - t0
    steps = session.step_count
    end_nll, end_error = session.heldout_nll(), session.test_error()
    frames = [t for t in painted if t >= t0]
    report("longest stall while training", training, f"; {args.seconds:g} s of training, goal < 16 ms", WIDTH)
    report("  same, app idle", idle, ": what the machine's other load costs alone", WIDTH)
    third = (f"the decision map of {len(session.target.class_names)} classes" if session.target.labelled
             else f"{2 * session.settings.grid_lines} grid lines")
    rate = (len(frames) - 1) / (frames[-1] - frames[0]) if len(frames) > 1 else 0.0
    print(f"{'heat-map refreshes per second':<{WIDTH}} {rate:7.1f}     ({len(frames)} frames of "
          f"{session.settings.resolution}x{session.settings.resolution} cells, {session.settings.samples} samples "
          f"and {third}; goal >= 10)")
    print(f"{'training':<{WIDTH}} {steps:7d} steps in {elapsed:.1f} s ({steps / elapsed:.0f} steps/s; "
          f"{session.settings.family} {session.settings.preset}, batch {session.settings.batch_size}, "
          f"lr {session.settings.lr:g}; torch threads {torch.get_num_threads()})")
    settings, labelled = session.settings.params(), view.labelled.value() or None
    if args.png:
        session.export_png(view.pictures, args.png)
    window.close_now()
    reference, reference_error = reference_nll(args.density, labelled, settings, args.reference_steps)
    print(f"{'held-out NLL (nats per point)':<{WIDTH}} {start_nll:7.3f}{error_text(start_error)} at step 0 -> "
          f"{end_nll:.3f}{error_text(end_error)} at step {steps}; {reference:.3f}{error_text(reference_error)} "
          f"after {args.reference_steps} steps headless")


if __name__ == "__main__":
    main()
