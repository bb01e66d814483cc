"""The model card (no torch): what a checkpoint says about its model, version 2, and the reader of version 1.

Version 2 describes what the families beyond bijective image flows need::

    {"card_version": 2, "name", "family",
     "architecture": {...},                       the config's settings
     "data": {"kind": "images", "shape": [C, H, W], "n_bits", "description"},
             or {"kind": "points", "shape": [D], "n_bits": null, "description"},
     "latent": [{"name": "level0", "shape": [...]}, ...],   the LatentLayout
     "conditioning": {"labels": null | ["T-shirt", ...]},
     "likelihood": {"kind": "exact" | "none", "test_bits_per_dim", "test_bits_per_dim_std"},
                or {"kind": "exact" | "none", "unit": "nats" | "loss", "test_score", "test_score_std"},
     "steps", "licence",
     "provenance": {"recipe", "preset", "seed", "device", "wall_time_s", "peer", ...}}

A points model (a flow on vectors) scores its held-out data in nats per
example, not bits/dim, so its card names the unit and stores the score as
``test_score``; in Python both are :attr:`ModelCard.test_bits_per_dim` and
``_std``, read with :attr:`ModelCard.score_unit`.  A card without ``unit`` is
in bits/dim (image models' cards do not name it, as before).  A model without an
exact likelihood (``"kind": "none"``: GLF, the VAE) states its held-out training
loss the same way, in unit ``loss``; cards written before kept that score in the
provenance (``test_score``, ``test_score_std``, ``score_unit``), and are read into
the same fields.

Version 1 cards (the bundled models, earlier users' runs and imports) were
flat: ``family, architecture, image_shape, n_bits, training_data,
test_bits_per_dim(_std), steps, licence`` and free facts; :meth:`ModelCard.from_json`
reads both, taking the latent layout of a version-1 card from the model.
Values are type-checked: a damaged card is a :class:`CardError`, never a
crash later in ``info`` or ``score``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flowstudio.errors import FlowStudioError
from flowstudio.jsonvalues import is_number, is_whole
from flowstudio.layout import LatentLayout
from flowstudio.registry import FAMILIES

CARD_VERSION = 2
LIKELIHOOD_KINDS = ("exact", "none")
DATA_KINDS = ("images", "points")
BPD_LIMIT = 64.0
"""Bits/dim beyond this (either sign) cannot come from a real evaluation of an image model."""
SCORE_LIMITS = {"bits/dim": BPD_LIMIT, "nats": 1e7, "loss": 1e7}
"""The held-out score units a card may state, and the largest magnitude each can really have (the nats of an
example of up to 256 dimensions; a training loss of nats and squared errors)."""
SCORE_ROWS = {"bits/dim": "Test bits/dim", "loss": "Likelihood"}
"""The row a person reads the held-out score under (a negative log-likelihood in any other unit)."""
OLD_SCORE_FACTS = ("test_score", "test_score_std", "score_unit")
"""Where cards of models without an exact likelihood kept the held-out score before it had its place."""
SCORE_KEYS = {"bits/dim": "test_bits_per_dim"}
"""The JSON name of the held-out score in each unit (``test_score`` in any other)."""
V1_FIELDS = ("family", "architecture", "image_shape", "n_bits", "training_data", "test_bits_per_dim",
             "test_bits_per_dim_std", "steps", "licence", "name")
FLAT_EXTRAS = ("data_kind", "unit")
"""Flat names beyond version 1's that :func:`flowstudio.checkpoint.default_card` gives a points model's card:
the data kind and the held-out score's unit (``image_shape`` then holds ``[D]``)."""


class CardError(FlowStudioError):
    """A model card whose values cannot be right; the message names the field."""


@dataclass(frozen=True)
class ModelCard:
    """A model's card: identity, data, latent, conditioning, likelihood and where it came from."""

    family: str
    image_shape: tuple[int, ...]
    """The shape of one example: ``[C, H, W]`` for images, ``[D]`` for points."""
    n_bits: int | None
    """Bits per pixel of an image model (``None`` for points)."""
    latent: LatentLayout
    name: str | None = None
    architecture: dict[str, Any] = field(default_factory=dict)
    data_kind: str = "images"
    training_data: str | None = None
    labels: tuple[str, ...] | None = None
    likelihood: str = "exact"
    test_bits_per_dim: float | None = None
    """The held-out score, in :attr:`score_unit` (bits/dim for image models)."""
    test_bits_per_dim_std: float | None = None
    score_unit: str = "bits/dim"
    steps: int = 0
    licence: str | None = None
    provenance: dict[str, Any] = field(default_factory=dict)

    @property
    def has_exact_likelihood(self) -> bool:
        return self.likelihood == "exact"

    def rows(self) -> list[tuple[str, str]]:
        """``(label, text)`` rows a person reads: ``flowstudio info`` and the studio's Model panel show these."""
        family = FAMILIES.get(self.family)
        if not self.has_exact_likelihood:
            score = "none (this kind of model has no exact image likelihood)"
            if self.test_bits_per_dim is not None:
                score += f"; held-out {self.score_unit} {self.test_bits_per_dim:.3f}"
        elif self.test_bits_per_dim is None:
            score = "unknown"
        else:
            std = self.test_bits_per_dim_std
            score = f"{self.test_bits_per_dim:.3f}" + (f" ± {std:.3f}" if std else "")
        latent = " · ".join(f"{p.name} {'×'.join(map(str, p.shape))}" for p in self.latent.parts)
        rows = [("Family", family.label if family else self.family),
                self._data_row(),
                ("Latent", latent),
                (SCORE_ROWS.get(self.score_unit, f"Test NLL ({self.score_unit})"), score),
                ("Trained on", self.training_data or "unknown"),
                ("Licence", self.licence or "unknown")]
        if self.labels:
            rows.insert(2, ("Labels", ", ".join(self.labels)))
        error = self.provenance.get("test_error")
        if is_number(error):
            labelled = self.provenance.get("labelled_examples")
            of = f" (trained with {labelled:,} labels)" if is_whole(labelled) else ""
            rows.insert(4, ("Test error", f"{100 * error:.1f}%{of}"))
        return rows

    def _data_row(self) -> tuple[str, str]:
        if self.data_kind == "points":
            return "Points", f"{self.image_shape[0]}-dimensional"
        c, h, w = self.image_shape
        return "Images", f"{w} × {h}, {'greyscale' if c == 1 else 'colour'}, {self.n_bits}-bit"

    # -- JSON ------------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        key = SCORE_KEYS.get(self.score_unit, "test_score")
        return {
            "card_version": CARD_VERSION,
            "name": self.name,
            "family": self.family,
            "architecture": dict(self.architecture),
            "data": {"kind": self.data_kind, "shape": list(self.image_shape), "n_bits": self.n_bits,
                     "description": self.training_data},
            "latent": self.latent.to_json(),
            "conditioning": {"labels": None if self.labels is None else list(self.labels)},
            "likelihood": {"kind": self.likelihood, key: self.test_bits_per_dim,
                           f"{key}_std": self.test_bits_per_dim_std,
                           **({} if self.score_unit == "bits/dim" else {"unit": self.score_unit})},
            "steps": self.steps,
            "licence": self.licence,
            "provenance": dict(self.provenance),
        }

    @classmethod
    def from_json(cls, data: Any, layout: LatentLayout | None = None) -> ModelCard:
        """Read a version-2 card, or migrate a version-1 one (which needs the model's ``layout``)."""
        if not isinstance(data, dict):
            raise CardError(f"the model card must be a JSON object, not {type(data).__name__}")
        version = data.get("card_version", 1)
        if version == 1:
            if layout is None:
                raise CardError("a version-1 card needs the model's latent layout to be read")
            return cls._from_v1(data, layout)
        if not isinstance(version, int) or isinstance(version, bool) or version < 1:
            raise CardError(f"card_version must be a whole number from 1, not {version!r}")
        if version > CARD_VERSION:
            raise CardError(f"card version {version} is newer than this Flow Studio reads ({CARD_VERSION}); "
                            "update Flow Studio")
        data_part, lik, provenance = _obj(data, "data"), _obj(data, "likelihood"), _obj(data, "provenance")
        if lik.get("kind") == "none" and "score_unit" in provenance and "unit" not in lik:  # written before 2026-12
            lik = {**lik, "unit": provenance["score_unit"], "test_score": provenance.get("test_score"),
                   "test_score_std": provenance.get("test_score_std")}
            provenance = {k: v for k, v in provenance.items() if k not in OLD_SCORE_FACTS}
        try:
            stored = LatentLayout.from_json(data.get("latent"))
        except (ValueError, KeyError, TypeError) as exc:
            raise CardError(f"card latent: {exc}") from None
        family = _text(data, "family", required=True)
        labels = _obj(data, "conditioning").get("labels")
        if labels is not None:
            if not isinstance(labels, list) or len(labels) < 2 or not all(isinstance(s, str) for s in labels):
                raise CardError("card conditioning labels must be a list of at least two names")
            entry = FAMILIES.get(family)
            if entry is not None and not entry.capabilities.label_conditioning:
                raise CardError(f"card conditioning names labels, but {entry.label} models take none")
        kind = _choice(data_part.get("kind", "images"), DATA_KINDS, "data kind")
        unit = _choice(lik.get("unit", "bits/dim"), tuple(SCORE_LIMITS), "likelihood unit")
        key, limit = SCORE_KEYS.get(unit, "test_score"), SCORE_LIMITS[unit]
        return cls(
            family=family, name=_text(data, "name"),
            image_shape=_shape(data_part.get("shape"), kind),
            n_bits=_whole(data_part, "n_bits", 1, 16) if kind == "images" else None,
            latent=stored, architecture=_obj(data, "architecture"),
            data_kind=kind,
            training_data=_text(data_part, "description"),
            labels=None if labels is None else tuple(labels),
            likelihood=_choice(lik.get("kind", "exact"), LIKELIHOOD_KINDS, "likelihood kind"),
            test_bits_per_dim=_number(lik, key, -limit, limit),
            test_bits_per_dim_std=_number(lik, f"{key}_std", 0.0, limit), score_unit=unit,
            steps=_whole(data, "steps", 0, 2**63 - 1, default=0), licence=_text(data, "licence"),
            provenance=provenance)

    @classmethod
    def _from_v1(cls, data: dict[str, Any], layout: LatentLayout) -> ModelCard:
        """The flat form (:data:`V1_FIELDS`, and :data:`FLAT_EXTRAS` for points models) as a card."""
        unit = data.get("unit", "bits/dim")
        key = SCORE_KEYS.get(unit, "test_score")
        v2 = {"card_version": CARD_VERSION, "name": data.get("name"), "family": data.get("family"),
              "architecture": data.get("architecture") or {},
              "data": {"kind": data.get("data_kind", "images"), "shape": data.get("image_shape"),
                       "n_bits": data.get("n_bits", 8), "description": data.get("training_data")},
              "latent": layout.to_json(), "conditioning": {"labels": None},
              "likelihood": {"kind": "exact", "unit": unit, key: data.get("test_bits_per_dim"),
                             f"{key}_std": data.get("test_bits_per_dim_std")},
              "steps": data.get("steps", 0), "licence": data.get("licence"),
              "provenance": {k: v for k, v in data.items() if k not in (*V1_FIELDS, *FLAT_EXTRAS)}}
        return cls.from_json(v2)


def _obj(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key) or {}
    if not isinstance(value, dict):
        raise CardError(f"card {key} must be a JSON object, not {type(value).__name__}")
    return dict(value)


def _text(data: dict[str, Any], key: str, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise CardError(f"card {key} must be text, not {value!r}")
    return value


def _number(data: dict[str, Any], key: str, low: float, high: float) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if not is_number(value) or not low <= value <= high:
        raise CardError(f"card {key} must be a number from {low:g} to {high:g}, not {value!r}")
    return float(value)


def _whole(data: dict[str, Any], key: str, low: int, high: int, default: int | None = None) -> int:
    value = data.get(key, default)
    if not is_whole(value) or not low <= value <= high:
        raise CardError(f"card {key} must be a whole number from {low} to {high}, not {value!r}")
    return int(value)


def _shape(value: Any, kind: str) -> tuple[int, ...]:
    form = "[C, H, W]" if kind == "images" else "[D]"
    if not isinstance(value, list) or len(value) != form.count(",") + 1 or not all(
            isinstance(v, int) and not isinstance(v, bool) and v > 0 for v in value):
        raise CardError(f"card data shape of {kind} must be {form} of positive whole numbers, not {value!r}")
    return tuple(value)


def _choice(value: Any, choices: tuple[str, ...], what: str) -> str:
    if value not in choices:
        raise CardError(f"card {what} must be one of {', '.join(choices)}, not {value!r}")
    return value
