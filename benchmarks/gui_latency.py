"""How responsive the desktop app is, on the bundled model.

    QT_QPA_PLATFORM=offscreen python benchmarks/gui_latency.py [--repeats 20]

Prints four measurements:

1. **lambda -> drawn grid**: from a lambda change (as the slider makes it)
   until the 4x4 sample grid has been painted with the new samples, next to
   the raw decode time of the same 16 latents (``decode_latents`` called
   directly, on the GUI thread, after the same idle pause).  Goal: within
   1.2x, i.e. the studio adds little to the decode.
2. **longest event-loop stall while sampling**: a 2 ms timer runs on the GUI
   thread while lambda is dragged back and forth (a new value every 16 ms,
   like a mouse) for a few seconds; the longest gap between its ticks is the
   longest the window could not react.  Goal: under 16 ms (one frame).
3. **longest event-loop stall while training**: the same 2 ms timer while a
   real training run (digits, small Glow) streams its progress events into
   the Train panel's plot and progress bar.  Goal: under 16 ms.
4. **time to first window**: a fresh ``python`` process until the main window
   is on screen (and until the first samples are drawn), next to a process
   that only runs ``import torch``; medians of a few runs.

Runs with a throwaway settings folder; the user's preferences are untouched.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("FLOWSTUDIO_HOME", tempfile.mkdtemp(prefix="flowstudio-bench-"))

ROOT = Path(__file__).resolve().parents[1]

FIRST_WINDOW = """
import sys, time
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
import flowstudio.studio._qt.app as app
launch = app.launch
def timed_launch(*args):
    window = launch(*args)
    def shown():
        print("window", time.time(), flush=True)
    def drawn():
        if window.studio.last_sample is not None and window.studio.last_sample.m:
            print("samples", time.time(), flush=True)
            QApplication.quit()
    QTimer.singleShot(0, shown)
    QTimer(window, interval=5, timeout=drawn).start()
    return window
app.launch = timed_launch
from flowstudio.cli.main import main
sys.exit(main(["gui"]))
"""


def process_times(code: str, marks: tuple[str, ...]) -> dict[str, float]:
    """Seconds from starting ``python -c code`` until it prints each mark (``"<mark> <unix time>"``)."""
    start = time.time()
    proc = subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    out, _ = proc.communicate(timeout=300)
    end = time.time()
    times = {line.split()[0]: float(line.split()[1]) - start for line in out.splitlines() if line.split()}
    return {mark: times.get(mark, end - start) for mark in marks}


def startup(repeats: int) -> None:
    window, samples, torch_only = [], [], []
    for _ in range(repeats):
        t = process_times(FIRST_WINDOW, ("window", "samples"))
        window.append(t["window"])
        samples.append(t["samples"])
        torch_only.append(process_times("import torch", ("end",))["end"])
    print(f"time to first window         {statistics.median(window) * 1000:7.0f} ms  "
          f"(first samples drawn: {statistics.median(samples) * 1000:.0f} ms)")
    print(f"python -c 'import torch'     {statistics.median(torch_only) * 1000:7.0f} ms  "
          f"(median of {repeats} runs each)")


def in_app(repeats: int) -> None:
    from PySide6.QtCore import QElapsedTimer, QEventLoop, QTimer
    import torch
    from event_loop import report, tick_gaps  # this folder's helper (the script's own folder is on sys.path)

    from flowstudio.studio._qt.app import create_app
    from flowstudio.studio._qt.main_window import MainWindow
    from flowstudio.studio._qt.screenshots import wait_until, wait_until_idle
    from flowstudio.transflow import decode_latents

    create_app()
    window = MainWindow()
    window.show()
    window.start()
    assert wait_until_idle(window), "the app did not finish loading"
    studio, grid = window.studio, window.panels["samples"].grid
    studio.edit.change_params(count=16)
    wait_until_idle(window)

    # 1. lambda change -> painted grid, next to the raw decode of the same batch (interleaved, so both
    #    see the same machine load).
    model = studio.host.engine.model
    drawn: list[float] = []
    decode: list[float] = []
    for i in range(repeats):
        lam = round(0.3 + 0.4 * (i % 2) + 0.01 * (i % 5), 2)
        time.sleep(0.06)  # past the renderer's throttle interval: time a drag's first frame
        clock, loop = QElapsedTimer(), QEventLoop()
        state = {"rendered": False}

        def rendered(result, lam=lam) -> None:
            state["rendered"] = result.request.params.likelihood.lam == lam

        def painted() -> None:
            if state["rendered"]:
                loop.quit()

        studio.sampleRendered.connect(rendered)
        grid.framePainted.connect(painted)
        clock.start()
        studio.edit.change_params(lam=lam)
        loop.exec()
        drawn.append(clock.nsecsElapsed() / 1e6)
        studio.sampleRendered.disconnect(rendered)
        grid.framePainted.disconnect(painted)
        eps = studio.last_sample.posterior.sample(list(studio.last_sample.seeds), 0.8)
        time.sleep(0.06)  # the same pause as before the lambda change: both start from an idle core
        t0 = time.perf_counter()
        decode_latents(model, eps)
        decode.append((time.perf_counter() - t0) * 1000)
    d, r = statistics.median(drawn), statistics.median(decode)
    print(f"lambda change -> drawn 4x4   {d:7.1f} ms  (median of {repeats})")
    print(f"raw decode of the 16 latents {r:7.1f} ms  -> {d / r:.2f}x (goal <= 1.2x; torch threads: "
          f"{torch.get_num_threads()})")

    # 2. The GUI thread's longest stall while lambda is dragged, next to the same measure with the app idle
    #    (what the machine's other load alone costs).
    def stalls(dragging: bool, seconds: float = 3.0) -> tuple[list[float], int, int]:
        values = iter([round(0.1 + 0.9 * abs(((i * 0.02) % 2) - 1), 2) for i in range(int(seconds * 1000 / 16))])
        drag = QTimer(interval=16)
        drag.timeout.connect(lambda: studio.edit.change_params(lam=next(values, 0.5), drag="bench"))
        drawn: list[object] = []
        studio.sampleRendered.connect(drawn.append)
        with tick_gaps() as gaps:
            if dragging:
                drag.start()
            wait_until(lambda: False, timeout_s=seconds)
            drag.stop()
            wait_until_idle(window)
        studio.sampleRendered.disconnect(drawn.append)
        return gaps, len(drawn), int(seconds * 1000 / 16) if dragging else 0

    idle_gaps, _, _ = stalls(dragging=False)
    gaps, grids, requests = stalls(dragging=True)
    report("longest event-loop stall", gaps, f"; dragging lambda for 3 s, goal < 16 ms; {requests} lambda values "
                                             f"-> {grids} grids drawn, the rest coalesced")
    report("  same, app idle", idle_gaps, ": what the machine's other load costs alone")
    draw, last = studio.grid.compute, studio.last_sample
    decode_s = statistics.median(decode) / 1000
    studio.grid.compute = lambda job: (time.sleep(decode_s), last)[1]  # the GUI's own share, without the model
    sleep_gaps, _, _ = stalls(dragging=True)
    studio.grid.compute = draw
    report("  same, model work as sleep", sleep_gaps, ": the window's own work while dragging, no model running")

    # 3. The GUI thread's longest stall while a training process streams events into the Train panel.
    from flowstudio.registry import DEFAULT_FAMILY
    from flowstudio.training.runner import TrainRequest

    events: list[dict] = []
    studio.training.event.connect(events.append)
    run_dir = Path(os.environ["FLOWSTUDIO_HOME"]) / "bench-run"
    studio.training.start(TrainRequest(data="digits", family=DEFAULT_FAMILY, preset="small", steps=100_000,
                                       name="bench"), run_dir)
    assert wait_until(lambda: any(e["event"] == "step" for e in events), timeout_s=120), "training did not start"
    train_gaps, _, _ = stalls(dragging=False, seconds=5.0)
    steps = [e for e in events if e["event"] == "step"]
    studio.training.cancel()
    wait_until(lambda: not studio.training.running, timeout_s=10)
    report("stall while training", train_gaps, f"; 5 s of a digits run, {len(steps)} step events received, "
                                               "goal < 16 ms")
    window.close_now()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=20, help="lambda changes timed (default: 20)")
    parser.add_argument("--startups", type=int, default=3, help="process starts timed (default: 3)")
    args = parser.parse_args()
    in_app(args.repeats)
    startup(args.startups)


if __name__ == "__main__":
    main()
