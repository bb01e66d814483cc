"""Named presets of the sampling settings (no Qt): keep the current parameters under a name, apply them later.

A preset holds every field of :class:`~flowstudio.studio.state.PosteriorParams`:
the likelihood (λ, relative or absolute, covariance rule, floor), the
temperature, the number of samples, the seed and whether it is locked.
Applying a preset sets all of them, except the seed of a preset saved with
the seed unlocked: an unlocked seed is a rolling one, so the grid keeps the
seed it shows.  The list is kept in the preferences as JSON
(:func:`presets_to_json`); entries that cannot be read are skipped.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flowstudio.errors import UserInputError
from flowstudio.studio.state import SAMPLING_FIELDS, PosteriorParams

MAX_PRESETS = 50
MAX_NAME_LENGTH = 60


@dataclass(frozen=True)
class Preset:
    name: str
    params: PosteriorParams


def clean_name(name: str) -> str:
    """The name as it is stored: trimmed, single-spaced and at most :data:`MAX_NAME_LENGTH` characters."""
    return " ".join(name.split())[:MAX_NAME_LENGTH]


def preset_changes(preset: Preset) -> dict[str, Any]:
    """The parameter changes that applying ``preset`` makes (see the module docstring for the seed)."""
    p = preset.params
    return {name: getattr(p, name) for name in SAMPLING_FIELDS if name != "seed" or p.seed_locked}


def find_preset(presets: list[Preset], name: str) -> Preset | None:
    key = clean_name(name).casefold()
    return next((p for p in presets if p.name.casefold() == key), None)


def matching_preset(presets: list[Preset], params: PosteriorParams) -> Preset | None:
    """The first preset whose application would leave ``params`` as they are."""
    return next((p for p in presets if params.with_changes(**preset_changes(p)) == params), None)


def with_preset(presets: list[Preset], name: str, params: PosteriorParams) -> list[Preset]:
    """The list with ``name`` holding ``params``: replaced in place if the name exists, else added at the end.

    Names compare without regard to case; an empty name, or a new one past
    :data:`MAX_PRESETS`, is a :class:`~flowstudio.errors.UserInputError`.
    """
    name = clean_name(name)
    if not name:
        raise UserInputError("a preset needs a name")
    existing = find_preset(presets, name)
    if existing is None and len(presets) >= MAX_PRESETS:
        raise UserInputError(f"there are already {MAX_PRESETS} presets; delete one first")
    new = Preset(name, params)
    if existing is None:
        return [*presets, new]
    return [new if p is existing else p for p in presets]


def without_preset(presets: list[Preset], name: str) -> list[Preset]:
    gone = find_preset(presets, name)
    return [p for p in presets if p is not gone]


def presets_to_json(presets: list[Preset]) -> str:
    return json.dumps([{"name": p.name, "params": p.params.to_dict()} for p in presets])


def presets_from_json(text: str) -> list[Preset]:
    """The presets in ``text`` (an empty list if it is not a JSON list; unreadable entries are skipped)."""
    try:
        data = json.loads(text)
    except (TypeError, ValueError):
        return []
    presets: list[Preset] = []
    for entry in data if isinstance(data, list) else []:
        try:
            name = clean_name(str(entry["name"]))
            params = PosteriorParams.from_dict(entry["params"])
        except (KeyError, TypeError, ValueError):  # UserInputError is a ValueError
            continue
        if name and find_preset(presets, name) is None:
            presets.append(Preset(name, params))
    return presets[:MAX_PRESETS]
