"""Writing files so that a failure never leaves half a file, and says why in one line (no torch, no Qt).

Every file Flow Studio writes goes through :func:`atomic_write_bytes`
(checkpoints, PNGs, animations, CSV/JSON tables, run folders' ``run.json``,
projects and autosaves) or :func:`copy_file`; folders are made by
:func:`make_folder`.  A full disk, a read-only file system or a missing
permission raises :class:`~flowstudio.errors.WriteError`, whose message
names the file and the reason in words and says whether the file that was
there before is intact (it always is: the new bytes go to a temporary file
in the same folder, which is renamed over the old one only once complete).
The original :class:`OSError` is its ``__cause__``.  Callers add what they
kept and what to do (:meth:`WriteError.also`); they never catch
``OSError`` themselves.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

from flowstudio.errors import WriteError, reason_in_words


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, fsync and rename.

    Keeps the mode of the file it replaces (new files get ``rw-r--r--``).
    Raises :class:`WriteError` if the bytes cannot be written; the previous
    file, if any, is then untouched and no temporary file is left behind.
    """
    _write(Path(path), data, None)


def copy_file(source: str | os.PathLike, dest: str | os.PathLike) -> Path:
    """Copy ``source`` to ``dest`` with its mode and times (as :func:`shutil.copy2`), atomically.

    Reading ``source`` fails with the plain :class:`OSError` (it is not a
    write problem); writing ``dest`` fails with :class:`WriteError`, and a
    file already at ``dest`` is then intact.
    """
    source, dest = Path(source), Path(dest)
    _write(dest, source.read_bytes(), source)
    return dest


def file_sha256(path: str | os.PathLike) -> str:
    """The full SHA-256 of a file's bytes (a model file's identity in every record)."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def make_folder(path: str | os.PathLike) -> Path:
    """``mkdir -p path``; :class:`WriteError` naming the folder that could not be made, and why."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WriteError.of(exc, exc.filename or path, "create the folder") from exc
    return path


def _write(path: Path, data: bytes, stat_from: Path | None) -> None:
    previous = path.is_file()
    try:
        mode = path.stat().st_mode & 0o777 if previous else 0o644
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise WriteError.of(exc, path, previous=previous) from exc
    try:
        os.fchmod(fd, mode)  # mkstemp creates 0600; keep the file's mode (or rw-r--r--)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if stat_from is not None:
            shutil.copystat(stat_from, tmp)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            Path(tmp).unlink(missing_ok=True)
        except OSError:
            pass
        if isinstance(exc, OSError):
            raise WriteError.of(exc, path, previous=previous) from exc
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError as exc:
        reason = reason_in_words(exc)
        raise WriteError(f"{path} was written, but its folder could not be synced to disk: {reason}",
                         path, reason) from exc
