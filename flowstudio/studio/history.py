"""The history of results: the last grids a project drew, with their parameters, bounded on disk (no Qt, no torch).

Every project names its history (:attr:`~flowstudio.studio.state.Document.history_id`,
saved in the project file), and the history lives in the user's data folder
under that name (:func:`flowstudio.studio.paths.history_dir`):

* ``history.json``, the index: one record per grid, newest first, with the
  parameters (seed included), the evidence set's name and images (path and
  short hash), the model, and whether the user starred it;
* ``<uid>.npz``, the grid's images (uint8 ``[N, C, H, W]``, compressed).

The bound: at most :data:`HISTORY_LIMIT` grids that are not starred; adding
one more drops the oldest of those.  Starred grids are never dropped.
Histories of projects not used for a while are pruned as a whole
(:func:`prune_histories`) unless they hold a starred grid.

The store changes in memory at once (on the GUI thread) and returns a
:class:`HistoryWrite`, the files to write and delete, which the caller
applies on its file thread: new image files first, then the index
(atomically), then the files of dropped grids, so that a crash in between
never leaves the index naming a file that is not there.
"""

from __future__ import annotations

import io
import json
import shutil
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from flowstudio.files import atomic_write_bytes, make_folder
from flowstudio.studio.state import PosteriorParams, new_uid

HISTORY_LIMIT = 60
"""Grids kept per project, not counting starred ones (each is a few kB to a few hundred kB)."""
HISTORY_PROJECTS = 20
"""Histories of the most recently used projects that are kept whole; older ones keep only starred grids."""
INDEX = "history.json"
FORMAT = "flowstudio-history"
IMAGES_SUFFIX = ".npz"


@dataclass(frozen=True)
class HistoryEntry:
    """One grid that was on screen: how it was drawn, and whether the user starred it.

    ``evidence`` holds each used image's path and short hash (empty for the
    model's own samples); ``m`` is their number.
    """

    params: PosteriorParams
    set_name: str = ""
    set_uid: str | None = None
    evidence: tuple[tuple[str, str], ...] = ()
    model_path: str | None = None
    model_id: str | None = None
    model_sha256: str | None = None
    summary: str = ""
    starred: bool = False
    created: float = field(default_factory=time.time)
    uid: str = field(default_factory=new_uid)

    @property
    def m(self) -> int:
        return len(self.evidence)

    @property
    def seeds(self) -> list[int]:
        return self.params.seeds

    def same_result(self, other: HistoryEntry) -> bool:
        """Whether both would draw the same grid (the seed lock and the star do not change the images)."""
        return (replace(self.params, seed_locked=False) == replace(other.params, seed_locked=False)
                and self.evidence == other.evidence and self.model_sha256 == other.model_sha256)

    def to_dict(self) -> dict[str, Any]:
        return {"uid": self.uid, "created": self.created, "params": self.params.to_dict(),
                "set_name": self.set_name, "set_uid": self.set_uid,
                "evidence": [{"path": p, "sha256": d} for p, d in self.evidence],
                "model": {"path": self.model_path, "id": self.model_id, "sha256": self.model_sha256},
                "summary": self.summary, "starred": self.starred}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> HistoryEntry:
        model = data.get("model") or {}
        return cls(params=PosteriorParams.from_dict(data["params"]), set_name=str(data.get("set_name", "")),
                   set_uid=data.get("set_uid"),
                   evidence=tuple((str(e["path"]), str(e["sha256"])) for e in data.get("evidence", [])),
                   model_path=model.get("path"), model_id=model.get("id"), model_sha256=model.get("sha256"),
                   summary=str(data.get("summary", "")), starred=bool(data.get("starred", False)),
                   created=float(data.get("created", 0.0)), uid=str(data["uid"]))


@dataclass(frozen=True)
class HistoryWrite:
    """What one change to a history does on disk (see the module docstring for the order)."""

    folder: Path
    index: str
    files: dict[str, bytes] = field(default_factory=dict)
    delete: tuple[str, ...] = ()

    def apply(self) -> Path:
        """Write it (on a worker thread); a file that cannot be written raises :class:`~flowstudio.errors.WriteError`."""
        make_folder(self.folder)
        for name, data in self.files.items():
            atomic_write_bytes(self.folder / name, data)
        atomic_write_bytes(self.folder / INDEX, self.index.encode("utf-8"))
        for name in self.delete:
            (self.folder / name).unlink(missing_ok=True)
        return self.folder


def _images_bytes(images: np.ndarray) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, images=np.ascontiguousarray(images, dtype=np.uint8))
    return buf.getvalue()


def _images_file(uid: str) -> str:
    return f"{uid}{IMAGES_SUFFIX}"


class HistoryStore:
    """The grids of one project, newest first, with their images in memory (see the module docstring)."""

    def __init__(self, folder: str | Path, limit: int = HISTORY_LIMIT):
        self.folder = Path(folder)
        self.limit = limit
        self.entries: list[HistoryEntry] = []
        self.images: dict[str, np.ndarray] = {}

    # -- reading --------------------------------------------------------------------
    @classmethod
    def read(cls, folder: str | Path, limit: int = HISTORY_LIMIT) -> HistoryStore:
        """The history in ``folder`` (empty if there is none); grids whose files are damaged or gone are left out."""
        store = cls(folder, limit)
        try:
            data = json.loads((store.folder / INDEX).read_text(encoding="utf-8"))
            records = data["entries"] if data.get("format") == FORMAT else []
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            records = []
        for record in records:
            try:
                entry = HistoryEntry.from_dict(record)
                with np.load(store.folder / _images_file(entry.uid)) as arrays:
                    images = arrays["images"]
            except (OSError, ValueError, KeyError, TypeError):
                continue
            store.entries.append(entry)
            store.images[entry.uid] = images
        return store

    def find(self, uid: str) -> HistoryEntry | None:
        return next((e for e in self.entries if e.uid == uid), None)

    @property
    def starred(self) -> list[HistoryEntry]:
        return [e for e in self.entries if e.starred]

    def index_text(self) -> str:
        return json.dumps({"format": FORMAT, "version": 1, "entries": [e.to_dict() for e in self.entries]}, indent=1)

    # -- changing -------------------------------------------------------------------
    def add(self, entry: HistoryEntry, images: np.ndarray) -> HistoryWrite | None:
        """Put ``entry`` first; drop the oldest unstarred grids beyond the limit.  ``None`` when the newest
        grid already is this result (nothing changes)."""
        if self.entries and self.entries[0].same_result(entry):
            return None
        self.entries.insert(0, entry)
        self.images[entry.uid] = np.asarray(images, dtype=np.uint8)
        dropped = self._evict()
        return HistoryWrite(self.folder, self.index_text(), {_images_file(entry.uid): _images_bytes(images)},
                            tuple(_images_file(uid) for uid in dropped))

    def set_starred(self, uid: str, starred: bool) -> HistoryWrite | None:
        """Star (never dropped) or unstar a grid; unstarring may drop the oldest grids beyond the limit."""
        entry = self.find(uid)
        if entry is None or entry.starred == starred:
            return None
        self.entries[self.entries.index(entry)] = replace(entry, starred=starred)
        dropped = self._evict()
        return HistoryWrite(self.folder, self.index_text(), delete=tuple(_images_file(u) for u in dropped))

    def remove(self, uid: str) -> HistoryWrite | None:
        entry = self.find(uid)
        if entry is None:
            return None
        self.entries.remove(entry)
        self.images.pop(uid, None)
        return HistoryWrite(self.folder, self.index_text(), delete=(_images_file(uid),))

    def _evict(self) -> list[str]:
        unstarred = [e for e in self.entries if not e.starred]
        dropped = [e.uid for e in unstarred[self.limit:]]
        self.entries = [e for e in self.entries if e.uid not in dropped]
        for uid in dropped:
            self.images.pop(uid, None)
        return dropped


def prune_histories(root: str | Path, keep: str, projects: int = HISTORY_PROJECTS) -> list[Path]:
    """Delete the histories in ``root`` beyond the ``projects`` most recently changed ones (never ``keep``'s,
    never one with a starred grid: of those, only the unstarred grids go).  Returns the folders changed."""
    root = Path(root)
    if not root.is_dir():
        return []
    folders = sorted((p for p in root.iterdir() if p.is_dir() and p.name != keep),
                     key=lambda p: _changed_at(p), reverse=True)
    changed = []
    for folder in folders[max(projects - 1, 0):]:
        store = HistoryStore.read(folder, limit=0)
        if not store.starred:
            shutil.rmtree(folder, ignore_errors=True)
            changed.append(folder)
            continue
        kept = {_images_file(e.uid) for e in store.starred}
        extra = tuple(p.name for p in folder.glob(f"*{IMAGES_SUFFIX}") if p.name not in kept)
        if extra or len(store.entries) != len(store.starred):
            store.entries = store.starred
            HistoryWrite(folder, store.index_text(), delete=extra).apply()
            changed.append(folder)
    return changed


def _changed_at(folder: Path) -> float:
    try:
        return (folder / INDEX).stat().st_mtime
    except OSError:
        return 0.0


def differences(a: HistoryEntry, b: HistoryEntry) -> list[str]:
    """What differs between two grids, in words (``"seed 0 → 1234"``, ``"λ 0.5 m → 0.3 m"``, ...)."""
    def lam(e: HistoryEntry) -> str:
        spec = e.params.likelihood
        return f"{spec.lam:g} m" if spec.relative else f"{spec.lam:g}"

    pairs = [("examples", a.set_name or "none", b.set_name or "none"), ("λ", lam(a), lam(b)),
             ("covariance", a.params.likelihood.covariance, b.params.likelihood.covariance),
             ("temperature", f"{a.params.temperature:g}", f"{b.params.temperature:g}"),
             ("seed", str(a.params.seed), str(b.params.seed)), ("samples", str(a.params.count), str(b.params.count)),
             ("model", a.model_id or "?", b.model_id or "?")]
    out = [f"{what} {x} → {y}" for what, x, y in pairs if x != y]
    if a.set_name == b.set_name and a.evidence != b.evidence:
        out.insert(0, f"example images {a.m} → {b.m}" if a.m != b.m else "other example images")
    return out
