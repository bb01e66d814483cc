"""Python's cyclic garbage collector, run on the GUI thread only.

CPython runs the collector in whichever thread happens to allocate when a
threshold is crossed.  When that is a worker thread (loading a model,
decoding a grid), it walks PySide's wrappers of Qt objects while the GUI
thread changes them, and the process can crash: seen here as a segfault in
``visit_decref`` through shiboken's traverse, on the model-loading thread.
The remedy is the one pyqtgraph uses (``GarbageCollector``): automatic
collection off, and a timer on the GUI thread that collects each generation
when CPython's own thresholds say so.  Reference counting still frees all
acyclic garbage at once, on any thread.

A full collection walks every tracked object (about 230,000 once torch is
loaded: some 60 ms, a visible hitch).  So once the first grid is drawn,
what exists then (modules, the model) is collected once and frozen
(:func:`gc.freeze`): later full collections walk only what came after.
"""

from __future__ import annotations

import gc
from functools import partial

from PySide6.QtCore import QObject, QTimer

INTERVAL_MS = 1000


class GuiThreadCollector(QObject):
    """While started, cyclic garbage is collected by this object's timer, on the GUI thread.

    Automatic collection comes back when the last started collector is
    stopped, or deleted without being stopped (a window that was never closed).
    """

    _active: set[int] = set()  # ids of the started collectors in this process (one per window)
    _was_enabled = True

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS):
        super().__init__(parent)
        self._timer = QTimer(self, interval=interval_ms, timeout=self.collect)
        self._frozen = False
        self.destroyed.connect(partial(_release, id(self)))

    def start(self) -> None:
        if not GuiThreadCollector._active:
            GuiThreadCollector._was_enabled = gc.isenabled()
            gc.disable()
        GuiThreadCollector._active.add(id(self))
        self._timer.start()

    def stop(self) -> None:
        """Collect what is left here, on the GUI thread, and give collection back to CPython."""
        if not self._timer.isActive():
            return
        self._timer.stop()
        if self._frozen:
            gc.unfreeze()
        gc.collect()
        _release(id(self))

    def collect(self) -> int:
        """Collect the oldest generation whose count passed its threshold (as CPython would); returns
        the number of unreachable objects found."""
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                return gc.collect(generation)
        return 0

    def freeze_startup_objects(self) -> None:
        """Collect once, then leave everything alive now out of later collections (once per collector)."""
        if self._frozen or not self._timer.isActive():
            return
        self._frozen = True
        gc.collect()
        gc.freeze()


def _release(collector_id: int, *_: object) -> None:
    active = GuiThreadCollector._active
    if collector_id in active:
        active.discard(collector_id)
        if not active and GuiThreadCollector._was_enabled:
            gc.enable()
