"""How long the GUI thread could not react: gaps between the ticks of a 2 ms timer (shared by the latency
benchmarks, which run as scripts from this folder)."""

from __future__ import annotations

import statistics
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def tick_gaps(interval_ms: int = 2) -> Iterator[list[float]]:
    """While the block runs the event loop, a precise ``interval_ms`` timer ticks on the GUI thread; the list
    yielded receives every gap (ms) between two ticks, the first (from the start) left out when it ends."""
    from PySide6.QtCore import QElapsedTimer, Qt, QTimer

    gaps: list[float] = []
    tick = QElapsedTimer()
    tick.start()

    def on_tick() -> None:
        gaps.append(tick.nsecsElapsed() / 1e6)
        tick.restart()

    ticker = QTimer(interval=interval_ms, timeout=on_tick)
    ticker.setTimerType(Qt.TimerType.PreciseTimer)
    ticker.start()
    try:
        yield gaps
    finally:
        ticker.stop()
        del gaps[:1]


def report(label: str, gaps: list[float], note: str, width: int = 28) -> None:
    """``label  <longest> ms  (p99 <p99> ms<note>)``."""
    print(f"{label:<{width}} {max(gaps):7.1f} ms  (p99 {statistics.quantiles(gaps, n=100)[98]:.1f} ms{note})")
