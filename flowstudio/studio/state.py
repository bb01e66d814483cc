"""The studio's document: evidence sets, posterior parameters and the model reference (no Qt, no torch).

A :class:`Document` is what a project file (``*.flowstudio.json``) and the
crash-recovery autosave hold.  Widgets never edit it directly: they go
through the Qt adapter (:mod:`flowstudio.studio._qt.document`), which wraps
every user edit in an undo command and turns changes into signals.

Per image, the document keeps what the user decided (path, included) and
what the current model said about it (short content hash, bits/dim, the
"very unlikely" verdict and its reason, or why the file cannot be used).
Latents are never stored: they are a cache of the engine, recomputed from
the files when a project is opened.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from flowstudio import __version__
from flowstudio.errors import UserInputError
from flowstudio.fewshot_methods import METHODS
from flowstudio.likelihood import RECORD_KEY, LikelihoodSpec
from flowstudio.scores import BITS_PER_DIM

FORMAT = "flowstudio-project"
FORMAT_VERSION = 2
"""2: the parameters hold the likelihood as one record (``params.likelihood``); 1 (still read) had
``lam``/``absolute``/``lam_abs``/``covariance``/``floor`` side by side."""
PROJECT_SUFFIX = ".flowstudio.json"
MAX_COUNT = 64
MAX_SEED = 2**31 - 1


class ProjectError(Exception):
    """A project file that cannot be read; the message says why, in one line."""


def new_uid() -> str:
    """A short random identifier: sets and items keep it across undo/redo and renames."""
    return uuid.uuid4().hex[:12]


@dataclass
class PosteriorParams:
    """How samples are drawn and images sorted: the likelihood rule, the sampling knobs, the Classify method.

    ``likelihood`` is the one description of lambda and the covariance rule,
    the core's :class:`~flowstudio.likelihood.LikelihoodSpec` (``lam``
    relative to the evidence count unless ``relative`` is false).  Cell ``j``
    of a grid is drawn with seed ``seed + j``, exactly as ``flowstudio sample --seed``.
    """

    likelihood: LikelihoodSpec = field(default_factory=LikelihoodSpec)
    temperature: float = 0.7  # Glow's usual sampling temperature; the CLI default too
    count: int = 16
    seed: int = 0
    seed_locked: bool = False
    classify_method: str = "isotropic"
    """The Classify panel's rule, a name of :data:`~flowstudio.fewshot_methods.METHODS` (``classify --method``)."""

    def __post_init__(self) -> None:
        if self.classify_method not in METHODS:
            raise UserInputError(f"classify method must be one of {', '.join(METHODS)}, not {self.classify_method!r}")
        if not isinstance(self.likelihood, LikelihoodSpec):
            raise UserInputError(f"likelihood must be a LikelihoodSpec, got {type(self.likelihood).__name__}")
        if not 0 <= self.temperature <= 10:
            raise UserInputError(f"temperature must be between 0 and 10, not {self.temperature}")
        self.count = min(max(int(self.count), 1), MAX_COUNT)
        self.seed = min(max(int(self.seed), 0), MAX_SEED)

    def with_changes(self, **changes: Any) -> PosteriorParams:
        """A validated copy with ``changes`` applied (unknown names are an error).

        The likelihood's own fields (``lam``, ``relative``, ``covariance``,
        ``floor``) may be given directly: they change :attr:`likelihood`.
        """
        spec_changes = {k: changes.pop(k) for k in list(changes) if k in LIKELIHOOD_FIELDS}
        if spec_changes:
            changes["likelihood"] = replace(changes.get("likelihood", self.likelihood), **spec_changes)
        return replace(self, **changes)

    @property
    def seeds(self) -> list[int]:
        """The seed of every grid cell: ``seed, seed + 1, ...`` (``count`` of them)."""
        return list(range(self.seed, self.seed + self.count))

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "likelihood": self.likelihood.to_record()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PosteriorParams:
        """Read saved parameters, ignoring names this version does not know.

        Also reads the parameters of project files (and preferences) written
        before the document held a :class:`LikelihoodSpec`: ``lam`` (a
        multiple of m), ``absolute`` and ``lam_abs``, ``covariance``, ``floor``.
        """
        known = {f.name for f in fields(cls)} - {"likelihood"}
        values: dict[str, Any] = {k: v for k, v in data.items() if k in known}
        if RECORD_KEY in data:
            values["likelihood"] = LikelihoodSpec.from_record(data[RECORD_KEY])
        else:
            values["likelihood"] = _legacy_likelihood(data)
        return cls(**values)


SAMPLING_FIELDS = tuple(f.name for f in fields(PosteriorParams) if f.name != "classify_method")
"""The fields that say how a grid is drawn: what a preset or a past grid's "Use settings" restores (the Classify
method is the Classify panel's own choice, which neither changes)."""
LIKELIHOOD_FIELDS = frozenset(f.name for f in fields(LikelihoodSpec))
"""Names :meth:`PosteriorParams.with_changes` applies to the likelihood."""
LEGACY_ABSOLUTE_LAMBDA = 4.0
"""The absolute lambda that parameters written before version 2 held when they did not use it."""


def _legacy_likelihood(data: dict[str, Any]) -> LikelihoodSpec:
    """The likelihood of parameters written by Flow Studio 0.1 (format version 1)."""
    absolute = data.get("absolute", False)
    if not isinstance(absolute, bool):
        raise UserInputError(f"absolute must be true or false, got {absolute!r}")
    record: dict[str, Any] = {"relative": not absolute}
    key = "lam_abs" if absolute else "lam"
    if key in data:
        record["lam"] = data[key]
    elif absolute:
        record["lam"] = LEGACY_ABSOLUTE_LAMBDA
    for key in ("covariance", "floor"):
        if key in data:
            record[key] = data[key]
    return LikelihoodSpec.from_record(record)


@dataclass
class EvidenceItem:
    """One evidence image: the user's choices and the current model's verdict on it."""

    path: str
    sha256: str = ""
    """Short content hash (:func:`flowstudio.imaging.file_digest`); empty until the file was read."""
    included: bool = True
    bpd: float | None = None
    """The model's score of the image in ``unit``: bits/dim, or the latent NLL of a model without an exact
    image likelihood (GLF); the name is kept so saved projects read unchanged."""
    unlikely: bool = False
    reason: str = ""
    error: str = ""
    """Why the file cannot be used (missing, unreadable); empty when it is fine."""
    unit: str = BITS_PER_DIM
    """Unit of ``bpd`` (:mod:`flowstudio.scores`)."""
    reconstruction: float | None = None
    """Mean squared reconstruction error, for models whose decode reconstructs (GLF); else ``None``."""
    uid: str = field(default_factory=new_uid)

    @property
    def name(self) -> str:
        return Path(self.path).name

    @property
    def usable(self) -> bool:
        """Included, read, and without an error: it takes part in the posterior."""
        return self.included and bool(self.sha256) and not self.error

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "uid"}

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: Path | None = None) -> EvidenceItem:
        path = Path(str(data["path"]))
        if base is not None and not path.is_absolute():
            path = base / path
        known = {f.name for f in fields(cls)} - {"path", "uid"}
        return cls(path=str(path), **{k: v for k, v in data.items() if k in known})


@dataclass
class EvidenceSet:
    """A named list of evidence images; its included images make one posterior."""

    name: str
    items: list[EvidenceItem] = field(default_factory=list)
    uid: str = field(default_factory=new_uid)

    def usable_items(self) -> list[EvidenceItem]:
        return [item for item in self.items if item.usable]

    def index_of(self, uid: str) -> int:
        return next(i for i, item in enumerate(self.items) if item.uid == uid)

    def paths(self) -> set[str]:
        return {item.path for item in self.items}

    def copy(self, name: str) -> EvidenceSet:
        """A duplicate with fresh identities (so edits to one never touch the other)."""
        return EvidenceSet(name, [replace(item, uid=new_uid()) for item in self.items])

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "items": [item.to_dict() for item in self.items]}

    @classmethod
    def from_dict(cls, data: dict[str, Any], base: Path | None = None) -> EvidenceSet:
        return cls(str(data["name"]), [EvidenceItem.from_dict(d, base) for d in data.get("items", [])])


@dataclass
class Document:
    """Everything a project holds.  ``current`` is the uid of the selected set (or ``None``)."""

    sets: list[EvidenceSet] = field(default_factory=list)
    current: str | None = None
    params: PosteriorParams = field(default_factory=PosteriorParams)
    model_path: str | None = None
    model_sha256: str | None = None
    device: str = "auto"
    history_id: str = field(default_factory=new_uid)
    """Names the project's history of results (:mod:`flowstudio.studio.history`); saved with the project."""

    def find_set(self, uid: str | None) -> EvidenceSet | None:
        return next((s for s in self.sets if s.uid == uid), None)

    def set_index(self, uid: str) -> int:
        return next(i for i, s in enumerate(self.sets) if s.uid == uid)

    @property
    def current_set(self) -> EvidenceSet | None:
        return self.find_set(self.current)

    def unique_set_name(self, base: str) -> str:
        """``base``, or ``base 2``, ``base 3``, ... whichever no set has yet."""
        names = {s.name for s in self.sets}
        if base not in names:
            return base
        return next(f"{base} {n}" for n in range(2, len(names) + 3) if f"{base} {n}" not in names)

    # -- JSON ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        current = next((i for i, s in enumerate(self.sets) if s.uid == self.current), None)
        return {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "app_version": __version__,
            "model": {"path": self.model_path, "sha256": self.model_sha256},
            "device": self.device,
            "history": self.history_id,
            "params": self.params.to_dict(),
            "sets": [s.to_dict() for s in self.sets],
            "current_set": current,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    @classmethod
    def from_dict(cls, data: Any, base: Path | None = None, history_fallback: str | None = None) -> Document:
        """Read a project; relative image paths are taken relative to ``base`` (the project's folder).

        A project saved before histories existed gets ``history_fallback`` as its history's name.
        """
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ProjectError("not a Flow Studio project file")
        version = data.get("version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise ProjectError(f"project format version {version!r} is newer than this Flow Studio "
                               f"reads ({FORMAT_VERSION}); update Flow Studio to open it")
        try:
            sets = [EvidenceSet.from_dict(d, base) for d in data.get("sets", [])]
            params = PosteriorParams.from_dict(data.get("params", {}))
        except (KeyError, TypeError, ValueError) as exc:
            raise ProjectError(f"damaged project file ({exc})") from None
        current = data.get("current_set")
        model = data.get("model") or {}
        return cls(sets=sets, params=params,
                   current=sets[current].uid if isinstance(current, int) and 0 <= current < len(sets) else None,
                   model_path=model.get("path"), model_sha256=model.get("sha256"),
                   device=str(data.get("device", "auto")),
                   history_id=str(data.get("history") or history_fallback or new_uid()))

    @classmethod
    def from_json(cls, text: str, base: Path | None = None, history_fallback: str | None = None) -> Document:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ProjectError(f"not valid JSON ({exc.msg}, line {exc.lineno})") from None
        return cls.from_dict(data, base, history_fallback)

    @classmethod
    def load(cls, path: str | Path) -> Document:
        """Read a project file (errors are :class:`ProjectError` with the file's name)."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ProjectError(f"{path.name}: {exc.strerror or exc}") from None
        try:
            return cls.from_json(text, base=path.parent,
                                 history_fallback=hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12])
        except ProjectError as exc:
            raise ProjectError(f"{path.name}: {exc}") from None
