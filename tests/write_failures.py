"""Real folders that refuse writes, for the tests of full disks and read-only file systems.

* :func:`read_only` gives a folder that can be filled first and then made
  read-only: a tmpfs remounted ``ro`` when running as root (where
  ``chmod`` stops nothing), else a folder of mode ``0o555``;
* :func:`full_disk` gives a small tmpfs that can be filled to the last
  page (root only: mounting needs it; skipped with the reason otherwise).

Mounts are undone when the test ends.
"""

from __future__ import annotations

import errno
import functools
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@functools.cache
def mount_problem() -> str | None:
    """Why a tmpfs cannot be mounted here (``None`` if it can)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return "needs root to mount a small tmpfs (a full disk cannot be made otherwise)"
    import tempfile

    with tempfile.TemporaryDirectory() as probe:
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", probe], capture_output=True,
                              text=True)
        if done.returncode != 0:
            return f"running as root, but mount -t tmpfs is refused here: {done.stderr.strip() or done.returncode}"
        subprocess.run(["umount", probe], check=True)
    return None


@contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], check=True,
                   capture_output=True)
    try:
        yield path
    finally:
        if subprocess.run(["umount", str(path)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(path)], check=True)  # something still holds it open


class Folder:
    """A real folder; write what should already be there, then :meth:`lock` or :meth:`fill` it."""

    def __init__(self, path: Path, reason: str, lock=None):
        self.path, self.reason, self._lock = path, reason, lock

    def __truediv__(self, name: str) -> Path:
        return self.path / name

    def lock(self) -> None:
        """Read-only from now on."""
        self._lock()

    def refuse(self) -> None:
        """From now on writes fail with :attr:`reason`: locked if read-only, filled if a small disk."""
        self.lock() if self._lock is not None else self.fill()

    def fill(self) -> None:
        """Use every free byte, so that the next file written needs space that is not there."""
        with open(self.path / ".filler", "ab", buffering=0) as fh:
            try:
                while True:
                    fh.write(b"\0" * 4096)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc

    def listing(self) -> dict[str, bytes]:
        """Every file under the folder (but the filler) and its bytes: what a failed write must leave alone."""
        return {str(p.relative_to(self.path)): p.read_bytes() for p in sorted(self.path.rglob("*"))
                if p.is_file() and p.name != ".filler"}


@contextmanager
def read_only(path: Path) -> Iterator[Folder]:
    """A folder to fill, then :meth:`Folder.lock`: writes then fail with ``reason``."""
    if mount_problem() is None:
        with tmpfs(path, "1m"):
            def lock() -> None:
                subprocess.run(["mount", "-o", "remount,ro", str(path)], check=True, capture_output=True)

            yield Folder(path, "read-only file system", lock)
        return
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        pytest.skip(f"as root, chmod does not stop writes, and no read-only mount can be made: {mount_problem()}")
    path.mkdir(parents=True, exist_ok=True)

    def chmod_all(mode: int) -> None:
        for folder in [path, *(p for p in path.rglob("*") if p.is_dir())]:
            folder.chmod(mode)

    try:
        yield Folder(path, "permission denied", lambda: chmod_all(0o555))
    finally:
        chmod_all(0o755)


@contextmanager
def full_disk(path: Path, size: str = "64k") -> Iterator[Folder]:
    """A ``size`` tmpfs to fill (:meth:`Folder.fill`); skipped, with the reason, where none can be mounted."""
    problem = mount_problem()
    if problem is not None:
        pytest.skip(problem)
    with tmpfs(path, size):
        yield Folder(path, "no space left on device")


@pytest.fixture
def ro(tmp_path) -> Iterator[Folder]:
    with read_only(tmp_path / "read-only") as folder:
        yield folder


@pytest.fixture
def full(tmp_path) -> Iterator[Folder]:
    with full_disk(tmp_path / "full") as folder:
        yield folder


@pytest.fixture(params=["read-only", "full disk"])
def refusing(request, tmp_path) -> Iterator[Folder]:
    """A read-only folder, then a full one: write what should be kept, then :meth:`Folder.refuse`."""
    make = read_only if request.param == "read-only" else full_disk
    with make(tmp_path / request.param.replace(" ", "-")) as folder:
        yield folder
