"""The pre-flight check for the system libraries Qt needs on Linux (flowstudio.studio.qt_runtime)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from flowstudio.studio import qt_runtime

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the check runs on Linux only")


@pytest.mark.parametrize("env, plugin", [
    ({}, "xcb"),
    ({"QT_QPA_PLATFORM": "offscreen"}, "offscreen"),
    ({"QT_QPA_PLATFORM": "wayland;xcb"}, "wayland"),
    ({"QT_QPA_PLATFORM": "offscreen:size=1366x768"}, "offscreen"),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "wayland"}, "wayland"),
    ({"WAYLAND_DISPLAY": "wayland-0", "XDG_SESSION_TYPE": "x11"}, "xcb"),
])
def test_the_platform_plugin_is_the_one_qt_will_pick(env, plugin):
    assert qt_runtime.platform_plugin(env) == plugin


@linux
def test_a_library_that_cannot_be_loaded_is_named_with_its_package():
    absent = {"libxcb-cursor.so.0", "libxkbcommon-x11.so.0"}
    missing = qt_runtime.missing_libraries("xcb", loadable=lambda soname: soname not in absent)
    assert missing == {"libxcb-cursor.so.0": "libxcb-cursor0", "libxkbcommon-x11.so.0": "libxkbcommon-x11-0"}
    text = qt_runtime.explain(missing, "xcb")
    assert "sudo apt-get install libxcb-cursor0 libxkbcommon-x11-0" in text
    assert "libxcb-cursor.so.0" in text and "X11 screen" in text and "are not installed" in text
    one = qt_runtime.explain({"libxcb-cursor.so.0": "libxcb-cursor0"}, "xcb")
    assert "library libxcb-cursor.so.0" in one and "is not installed" in one


@linux
def test_the_offscreen_platform_needs_no_x11_libraries():
    asked: list[str] = []
    qt_runtime.missing_libraries("offscreen", loadable=lambda soname: asked.append(soname) or True)
    assert "libxcb-cursor.so.0" not in asked and "libEGL.so.1" in asked


@linux
def test_loading_is_tried_for_real_and_a_bundled_copy_counts(tmp_path):
    assert qt_runtime._loadable("libc.so.6", [])
    assert not qt_runtime._loadable("libflowstudio-no-such-library.so.9", [])
    (tmp_path / "libflowstudio-no-such-library.so.9").write_bytes(b"")
    assert qt_runtime._loadable("libflowstudio-no-such-library.so.9", [tmp_path])


@linux
def test_this_machine_has_what_the_offscreen_tests_need():
    qt_runtime.check({"QT_QPA_PLATFORM": "offscreen"})


@linux
def test_no_screen_is_said_in_words():
    with pytest.raises(qt_runtime.QtRuntimeMissing, match="no screen was found"):
        qt_runtime.check({})


@linux
def test_the_gui_command_without_a_screen_prints_one_line_and_no_qt_abort():
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    done = subprocess.run([sys.executable, "-m", "flowstudio", "gui"], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2
    assert "no screen was found" in done.stderr and "Traceback" not in done.stderr
    assert "qt.qpa" not in done.stderr


def test_every_named_package_is_a_debian_package_name():
    names = qt_runtime.debian_packages()
    assert "libxcb-cursor0" in names and "libegl1" in names
    assert all(name == name.lower() and " " not in name for name in names)


def test_the_readme_names_every_package():
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert all(name in readme for name in qt_runtime.debian_packages())
