"""``make package``: build the onedir bundle with PyInstaller, add the desktop files, archive it, print its sizes.

    .venv/bin/python packaging/build.py

Produces ``dist/FlowStudio-VERSION-OS-ARCH/`` and, next to it, ``.tar.gz`` (Linux, macOS) or ``.zip``
(Windows), then prints the folder's and the archive's sizes and the largest parts first, so that a
change that fattens the bundle shows at once.  ``SIZE_GOALS`` are the issue's goals; the build says
when they are missed, without failing (the size depends on torch's own libraries, which we cannot slim).
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import sys
import tarfile
import time
import zipfile
from pathlib import Path

from bundle import DESKTOP_ID, DIST, ROOT, bundle_name, tree_size, version

SPEC = ROOT / "packaging" / "flowstudio.spec"
LINUX = ROOT / "packaging" / "linux"
WORK = ROOT / "build" / "pyinstaller"
SIZE_GOALS = {"folder": 500e6, "archive": 200e6}
LARGEST = 15


def run_pyinstaller() -> Path:
    quiet = {**os.environ, "PYTHONWARNINGS": "ignore::DeprecationWarning"}  # torch's, as the hooks import it
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(DIST), "--workpath", str(WORK), str(SPEC)], check=True, cwd=ROOT, env=quiet)
    folder = DIST / bundle_name(version())
    if not folder.is_dir():
        raise SystemExit(f"PyInstaller finished but {folder} is not there")
    return folder


def add_linux_files(folder: Path) -> None:
    """The .desktop entry, the AppStream metainfo and ``install.sh`` (which puts them in the user's menu)."""
    share = folder / "share"
    share.mkdir(exist_ok=True)
    shutil.copy2(LINUX / f"{DESKTOP_ID}.desktop", share)
    metainfo = (LINUX / f"{DESKTOP_ID}.metainfo.xml").read_text(encoding="utf-8")
    metainfo = metainfo.replace("@VERSION@", version()).replace("@DATE@", datetime.date.today().isoformat())
    (share / f"{DESKTOP_ID}.metainfo.xml").write_text(metainfo, encoding="utf-8")
    shutil.copy2(LINUX / "install.sh", folder / "install.sh")


def is_elf(path: Path) -> bool:
    with path.open("rb") as f:
        return f.read(4) == b"\x7fELF"


def strip_binaries(folder: Path) -> None:
    """Strip the symbols of the bundle's shared libraries (libtorch_cpu.so: 434 MB to 345 MB;
    libpython: 23 MB to 5 MB).

    Not the libraries auditwheel grafted into wheels (``numpy.libs/``, ``pillow.libs/``, ...): they
    break when stripped (see the spec).  Not the executables either: PyInstaller appends the
    program's archive to them.
    """
    strip = shutil.which("strip")
    if strip is None or sys.platform == "win32":
        return
    libraries = [p for p in (folder / "_internal").rglob("*.so*")
                 if p.is_file() and not p.is_symlink() and not any(part.endswith(".libs") for part in p.parts)
                 and is_elf(p)]
    for start in range(0, len(libraries), 200):
        subprocess.run([strip, "--strip-unneeded", *map(str, libraries[start:start + 200])], check=True)


def archive(folder: Path) -> Path:
    if sys.platform == "win32":
        path = folder.with_name(folder.name + ".zip")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
            for file in sorted(folder.rglob("*")):
                z.write(file, file.relative_to(folder.parent))
        return path
    path = folder.with_name(folder.name + ".tar.gz")
    with tarfile.open(path, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=folder.name)
    return path


def mb(n: float) -> str:
    return f"{n / 1e6:7.1f} MB"


def report(folder: Path, packed: Path, seconds: float) -> None:
    parts: list[tuple[int, str]] = []
    internal = folder / "_internal"
    for top in [*folder.iterdir(), *(internal.iterdir() if internal.is_dir() else [])]:
        if top == internal or top.is_symlink():
            continue
        parts.append((tree_size(top), str(top.relative_to(folder))))
    torch_lib = internal / "torch" / "lib"
    if torch_lib.is_dir():
        parts += [(f.stat().st_size, str(f.relative_to(folder))) for f in torch_lib.iterdir() if f.is_file()]
    sizes = {"folder": tree_size(folder), "archive": packed.stat().st_size}
    print(f"\nbuilt in {seconds:.0f} s: {folder.relative_to(ROOT)}/ and {packed.relative_to(ROOT)}")
    for what, size in sizes.items():
        goal = SIZE_GOALS[what]
        print(f"  {what:8s} {mb(size)}   (goal: at most {goal / 1e6:.0f} MB{'' if size <= goal else ': MISSED'})")
    print(f"largest parts (of {folder.name}/):")
    for size, name in sorted(parts, reverse=True)[:LARGEST]:
        print(f"  {mb(size)}  {name}")


def main() -> int:
    started = time.monotonic()
    folder = run_pyinstaller()
    strip_binaries(folder)
    if sys.platform.startswith("linux"):
        add_linux_files(folder)
    packed = archive(folder)
    report(folder, packed, time.monotonic() - started)
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
