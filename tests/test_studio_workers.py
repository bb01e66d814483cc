"""The worker layer on its own: the latest-wins renderer coalesces and drops stale results; jobs cancel."""

from __future__ import annotations

import threading
import time

from flowstudio.studio._qt.workers import JobRunner, LatestWinsRenderer


def test_renderer_draws_the_latest_request_without_a_backlog(qtbot):
    computed: list[int] = []
    shown: list[int] = []
    gate = threading.Event()

    def compute(n: int) -> int:
        gate.wait(5)
        computed.append(n)
        return n

    renderer = LatestWinsRenderer(compute, interval_ms=30)
    renderer.rendered.connect(lambda request, result: shown.append(result))
    for n in range(50):  # a slider drag: 50 values while the first draw is still running
        renderer.request(n)
    gate.set()
    qtbot.waitUntil(lambda: not renderer.busy, timeout=5000)
    assert computed == [0, 49] and shown == [0, 49]  # the first, then only the latest; nothing in between
    assert renderer.shutdown()


def test_renderer_drops_results_made_before_invalidate(qtbot):
    gate = threading.Event()
    shown: list[str] = []
    renderer = LatestWinsRenderer(lambda r: (gate.wait(5), r)[1], interval_ms=0)
    renderer.rendered.connect(lambda request, result: shown.append(result))
    renderer.request("old set")
    renderer.invalidate()  # e.g. another set was selected while "old set" was being drawn
    renderer.request("new set")
    gate.set()
    qtbot.waitUntil(lambda: not renderer.busy, timeout=5000)
    assert shown == ["new set"] and renderer.dropped == 1
    assert renderer.shutdown()


def test_renderer_throttles_starts(qtbot):
    """Renders are dispatched at least ``interval_ms`` apart (55 ms: a coarse Qt timer may fire 5% early).

    The dispatch times are the renderer's own; when a worker thread then runs
    depends on how busy the machine is, so it is not what is measured.
    """
    dispatched: list[float] = []
    renderer = LatestWinsRenderer(lambda r: r, interval_ms=60)
    for n in range(3):
        renderer.request(n)
        qtbot.waitUntil(lambda: not renderer.busy, timeout=5000)
        dispatched.append(renderer._last_start)
    assert all(b - a >= 0.055 for a, b in zip(dispatched, dispatched[1:]))
    assert renderer.shutdown()


def test_cancelled_job_stops_at_its_next_step(qtbot):
    steps: list[int] = []
    ended = []

    def job():
        for i in range(1000):
            time.sleep(0.005)
            yield i

    runner = JobRunner()
    running = runner.start("Counting", job, on_step=steps.append, on_end=ended.append)
    qtbot.waitUntil(lambda: len(steps) >= 3, timeout=5000)
    running.cancel()
    qtbot.waitUntil(lambda: bool(ended), timeout=5000)
    assert ended[0].state == "cancelled" and len(steps) < 100 and runner.active == []
    assert runner.shutdown()


def test_a_job_that_raises_runtime_error_fails_and_ends(qtbot):
    errors, ended = [], []

    def job():  # torch reports most failures as RuntimeError; superqt alone would never end this job
        yield 1
        raise RuntimeError("CUDA out of memory")

    runner = JobRunner()
    runner.start("Failing", job, on_error=errors.append, on_end=ended.append)
    qtbot.waitUntil(lambda: bool(ended), timeout=5000)
    assert ended[0].state == "failed" and str(errors[0]) == "CUDA out of memory" and runner.active == []
    assert runner.shutdown()
