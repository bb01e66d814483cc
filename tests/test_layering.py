"""The headless core never imports Qt: every module outside ``flowstudio.studio`` imports without it."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from pathlib import Path

import flowstudio

QT_PACKAGES = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "superqt", "qtawesome", "qtpy", "pytestqt")
GUI_PACKAGE = "flowstudio.studio"


def core_modules() -> list[str]:
    names = [m.name for m in pkgutil.walk_packages(flowstudio.__path__, "flowstudio.")]
    return sorted(n for n in names if not n.startswith(GUI_PACKAGE) and n != "flowstudio.__main__")


def test_no_core_source_file_mentions_a_qt_import():
    root = Path(flowstudio.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        if (root / "studio") in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in QT_PACKAGES]
    assert offenders == []


def test_importing_every_core_module_loads_no_qt():
    modules = core_modules()
    assert "flowstudio.transflow.posterior" in modules and "flowstudio.cli.main" in modules
    code = ("import importlib, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            f"loaded = sorted(m for m in sys.modules if m.split('.')[0] in {QT_PACKAGES!r})\n"
            "print(','.join(loaded))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
