"""Time left in a long job, from its progress so far (shown next to every progress bar), and in a training run."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable


class EtaEstimator:
    """Remaining seconds from the rate over the last few progress updates.

    A sliding window follows speed changes (the first batch is slower while
    caches warm up) without jumping at every update.
    """

    def __init__(self, total: int, window: int = 8, clock: Callable[[], float] = time.monotonic):
        self.total = max(int(total), 0)
        self._clock = clock
        self._points: deque[tuple[float, int]] = deque([(clock(), 0)], maxlen=window)

    def update(self, done: int, total: int | None = None) -> None:
        if total is not None:
            self.total = max(int(total), 0)
        self._points.append((self._clock(), int(done)))

    def remaining(self) -> float | None:
        """Seconds left, or ``None`` while there is not enough progress to tell."""
        (t0, d0), (t1, d1) = self._points[0], self._points[-1]
        if d1 <= d0 or t1 <= t0 or self.total <= 0:
            return None
        return max(self.total - d1, 0) * (t1 - t0) / (d1 - d0)


def format_duration(seconds: float | None) -> str:
    """``"0:07"``, ``"12:30"``, ``"1:02:03"``; empty when unknown."""
    if seconds is None:
        return ""
    s = int(round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def rough_duration(seconds: float) -> str:
    """A planning-sized duration: ``"under a minute"``, ``"about 12 min"``, ``"about 3.5 h"``, ``"about 4 days"``."""
    if seconds < 60:
        return "under a minute"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60)} min"
    hours = seconds / 3600
    if hours < 48:
        return f"about {hours:.1f} h" if hours < 10 else f"about {round(hours)} h"
    return f"about {round(hours / 24)} days"


class TrainingEta:
    """Time left in a training run: the measured seconds per step at first, then the live rate.

    ``estimate_s`` (seconds per step measured before the run, or by the run
    itself at its start) is the first guess.  Each :meth:`observe` of a step
    event (its step and the training seconds so far, pauses left out) gives
    the seconds per step since the previous one, and an exponential moving
    average ``s <- s + smoothing * (dt - s)`` follows the live rate: held-out
    evaluations and sample grids every few steps are averaged in, and a
    measurement that was far off (1.2 s a step estimated, 4 s live) is
    corrected within a few updates.
    """

    def __init__(self, total_steps: int, estimate_s: float | None = None, smoothing: float = 0.3,
                 start: tuple[int, float] | None = None):
        """``start``: ``(step, training seconds)`` where the run starts, when known (``(0, 0.0)`` for a new run)."""
        self.total_steps = max(int(total_steps), 0)
        self.step_s = estimate_s if estimate_s and estimate_s > 0 else None
        self.smoothing = smoothing
        self.step = start[0] if start else 0
        self._last: tuple[int, float] | None = start

    def observe(self, step: int, elapsed_s: float) -> None:
        """A step event: ``step`` done after ``elapsed_s`` seconds of training."""
        self.step = int(step)
        if self._last is not None and step > self._last[0] and elapsed_s >= self._last[1]:
            dt = (elapsed_s - self._last[1]) / (step - self._last[0])
            self.step_s = dt if self.step_s is None else self.step_s + self.smoothing * (dt - self.step_s)
        self._last = (int(step), float(elapsed_s))

    def remaining(self) -> float | None:
        """Seconds left, or ``None`` before anything is known."""
        if self.step_s is None:
            return None
        return max(self.total_steps - self.step, 0) * self.step_s
