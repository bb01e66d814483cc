"""Every third-party package the app imports is declared in pyproject.toml's runtime dependencies.

A clean checkout installs only what pyproject.toml names (``make install``); a module imported by
``flowstudio`` but installed by hand on a developer's machine passes every local test and fails there.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import flowstudio

ROOT = Path(flowstudio.__file__).parent


def imported_top_level_packages() -> set[str]:
    names = set()
    for path in ROOT.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return names - set(sys.stdlib_module_names) - {"flowstudio", "__future__"}


def declared_distributions() -> set[str]:
    project = tomllib.loads((ROOT.parent / "pyproject.toml").read_text())["project"]
    return {re.split(r"[<>=!~\[; ]", spec, maxsplit=1)[0].lower().replace("_", "-")
            for spec in project["dependencies"]}


def test_every_imported_package_is_a_declared_runtime_dependency():
    providers = packages_distributions()
    declared = declared_distributions()
    missing = {}
    for package in sorted(imported_top_level_packages()):
        dists = {d.lower().replace("_", "-") for d in providers.get(package, [package])}
        if not dists & declared:
            missing[package] = sorted(dists)
    assert "torch" in imported_top_level_packages() and "zuko" in imported_top_level_packages()
    assert missing == {}, f"imported by flowstudio but not in pyproject.toml's dependencies: {missing}"
