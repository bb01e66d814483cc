"""The GUI's typed, torch-free handle on the engine (flowstudio.studio.engine.api)."""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys

from flowstudio.studio.engine import api

GUI_THREAD_MODULES = ("flowstudio.studio.engine.api", "flowstudio.studio.requests", "flowstudio.studio.state",
                      "flowstudio.studio.recipes", "flowstudio.studio.drops", "flowstudio.loading",
                      "flowstudio.likelihood")


def _facades():
    for name, fn in inspect.getmembers(api, inspect.isfunction):
        if fn.__module__ != api.__name__:
            continue
        module, target = re.match(r":func:`([\w.]+)\.(\w+)`", fn.__doc__).groups()
        module = f"flowstudio.studio.engine{module}" if module.startswith(".") else module
        yield fn, getattr(importlib.import_module(module), target)


def test_importing_what_the_gui_thread_uses_loads_no_torch():
    code = (f"import importlib, sys\nfor m in {GUI_THREAD_MODULES!r}: importlib.import_module(m)\n"
            "print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_every_facade_has_its_engine_function_signature_and_kind():
    pairs = list(_facades())
    assert {fn.__name__ for fn, _ in pairs} >= {"open_engine", "inspect_png", "save_grid", "draw_strip", "classify",
                                                 "save_strip_frames", "write_csv", "copy_into_folders"}
    for facade, engine_fn in pairs:
        assert facade.__name__ == engine_fn.__name__
        assert list(inspect.signature(facade).parameters) == list(inspect.signature(engine_fn).parameters)
        assert [p.default for p in inspect.signature(facade).parameters.values()] == [
            p.default for p in inspect.signature(engine_fn).parameters.values()]
        # A generator stays a generator: the job runners make each yielded value a cancellable step.
        assert inspect.isgeneratorfunction(facade) == inspect.isgeneratorfunction(engine_fn), facade.__name__


def test_a_facade_returns_what_its_engine_generator_returns(tmp_path):
    from flowstudio.studio.engine import session

    (tmp_path / "a.png").write_bytes(b"")
    steps = list(api.list_unread([tmp_path]))
    assert steps == list(session.list_unread([tmp_path])) and steps[0].unread == [str(tmp_path / "a.png")]
    missing = api.open_engine(tmp_path / "missing.safetensors", "cpu")
    try:
        next(missing)
    except Exception as exc:  # the loader's own error, raised through the facade
        assert "no such checkpoint" in str(exc)
    else:
        raise AssertionError("a missing checkpoint was not refused")
