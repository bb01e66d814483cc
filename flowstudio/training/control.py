"""Pausing and cancelling a running training, from another thread or process.

:class:`Control` holds two flags the engine checks between steps (and inside
long held-out evaluations and sample writes): *paused* and *cancelled*.
Anything may set them: :func:`listen` reads the commands ``pause``,
``resume`` and ``cancel`` (one per line) from a stream such as the training
process's stdin, which is how :class:`~flowstudio.training.runner.TrainingRunner`
steers a child process; :func:`cancel_on_signals` turns SIGINT (Ctrl-C) and
SIGTERM into a cancel, so the run still writes its checkpoint.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from typing import TextIO

class Cancelled(Exception):
    """Raised inside the engine when a cancel was requested; the engine checkpoints and stops."""


class Control:
    """Thread-safe pause/cancel flags."""

    def __init__(self) -> None:
        self._running = threading.Event()
        self._running.set()
        self._cancelled = threading.Event()

    @property
    def paused(self) -> bool:
        return not self._running.is_set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def pause(self) -> None:
        self._running.clear()

    def resume(self) -> None:
        self._running.set()

    def cancel(self) -> None:
        self._cancelled.set()
        self._running.set()  # a paused run wakes up to stop

    def command(self, text: str) -> bool:
        """Apply one command line (``pause``, ``resume`` or ``cancel``); False if unknown."""
        action = {"pause": self.pause, "resume": self.resume, "cancel": self.cancel}.get(text.strip().lower())
        if action is None:
            return False
        action()
        return True

    def check(self) -> None:
        """Raise :class:`Cancelled` if a cancel was requested (call inside long loops)."""
        if self.cancelled:
            raise Cancelled()

    def wait_while_paused(self) -> None:
        """Block while paused; return when resumed or cancelled."""
        self._running.wait()


def listen(control: Control, stream: TextIO) -> threading.Thread:
    """Apply commands read from ``stream`` on a daemon thread; end of input changes nothing."""

    def read() -> None:
        try:
            for line in stream:
                control.command(line)
        except (OSError, ValueError):  # a closed or unreadable stream (e.g. pytest's captured stdin)
            return

    thread = threading.Thread(target=read, name="flowstudio-train-control", daemon=True)
    thread.start()
    return thread


@contextlib.contextmanager
def cancel_on_signals(control: Control) -> Iterator[None]:
    """While active, SIGINT and SIGTERM cancel gracefully; a second SIGINT interrupts at once."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: object) -> None:
        if control.cancelled and signum == signal.SIGINT:
            raise KeyboardInterrupt
        control.cancel()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
