"""Names and sizes of the packaged build, shared by the PyInstaller spec, ``build.py`` and ``smoke_test.py``.

The bundle is named ``FlowStudio-VERSION-OS-ARCH`` (e.g. ``FlowStudio-0.1.0-linux-x86_64``) so that
an archive says what it holds and builds for several platforms can sit side by side.
"""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
OS_NAMES = {"linux": "linux", "win32": "windows", "darwin": "macos"}
DESKTOP_ID = "io.github.flowstudio.FlowStudio"
"""The freedesktop id: the .desktop and metainfo names (``flowstudio.studio._qt.app.DESKTOP_ID`` at run time)."""


def platform_tag() -> str:
    machine = platform.machine().lower()
    arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    return f"{OS_NAMES.get(sys.platform, sys.platform)}-{arch}"


def bundle_name(version: str) -> str:
    return f"FlowStudio-{version}-{platform_tag()}"


def version() -> str:
    """The app's version, read from the source without importing the package (no torch needed)."""
    for line in (ROOT / "flowstudio" / "__init__.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise RuntimeError("flowstudio/__init__.py has no __version__")


def executable(folder: Path) -> Path:
    """The bundle's command-line executable inside an unpacked onedir folder."""
    name = "flowstudio-cli.exe" if sys.platform == "win32" else "FlowStudio"
    return folder / name


def tree_size(path: Path) -> int:
    """Bytes under ``path`` (files only; links are not followed)."""
    if path.is_file():
        return path.stat().st_size
    return sum(os.path.getsize(os.path.join(top, f)) for top, _, files in os.walk(path) for f in files
               if not os.path.islink(os.path.join(top, f)))
