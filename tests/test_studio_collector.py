"""Cyclic garbage is collected on the GUI thread only while the studio runs (see ``_qt/collector.py``)."""

from __future__ import annotations

import gc
import threading

from tests.studio_support import make_window, studio_home, wait_idle  # noqa: F401


def test_garbage_cycles_are_collected_on_the_gui_thread_only(qtbot, studio_home):
    collections: list[int] = []

    def record(phase, info):
        if phase == "start":
            collections.append(threading.get_ident())

    gc.callbacks.append(record)
    try:
        window = make_window(qtbot)
        assert not gc.isenabled()
        wait_idle(qtbot, window)
        collections.clear()

        def churn():  # a worker that makes far more cyclic garbage than the thresholds allow
            for _ in range(20_000):
                a = []
                a.append(a)

        worker = threading.Thread(target=churn)
        worker.start()
        worker.join()
        assert collections == []  # CPython would have collected on the worker several times
        qtbot.waitUntil(lambda: bool(collections), timeout=5000)
        assert set(collections) == {threading.get_ident()}
        window.close_now()
        assert gc.isenabled()
    finally:
        gc.callbacks.remove(record)


def test_a_collector_deleted_without_stopping_gives_collection_back(qtbot):
    from flowstudio.studio._qt.collector import GuiThreadCollector

    collector = GuiThreadCollector()
    collector.start()
    assert not gc.isenabled()
    collector.deleteLater()  # a window dropped without close_now
    qtbot.waitUntil(gc.isenabled, timeout=5000)
