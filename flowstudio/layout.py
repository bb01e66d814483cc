"""Named slices of a flat latent (no torch): which entries of ``eps`` belong to which level or variable.

A multi-scale flow's ``eps`` is the concatenation of its factored-out
latents, in level order, then the top (the deepest, coarsest level); a
conditional flow's latent will be ``z`` then ``c``.  Code that needs "the
deepest level" asks the layout by name (``layout.deepest``,
``layout.slice("top")``) instead of computing offsets, and the model card
stores the layout so a front end can show it without building the model.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from flowstudio.errors import UserInputError


@dataclass(frozen=True)
class LatentPart:
    """One named block of the flat latent: entries ``offset .. offset + size`` reshape to ``shape``."""

    name: str
    shape: tuple[int, ...]
    offset: int

    @property
    def size(self) -> int:
        return math.prod(self.shape)

    @property
    def slice(self) -> slice:
        return slice(self.offset, self.offset + self.size)


@dataclass(frozen=True)
class LatentLayout:
    """The parts of a latent, in the order they are concatenated."""

    parts: tuple[LatentPart, ...]

    @classmethod
    def of(cls, named_shapes: Iterable[tuple[str, Sequence[int]]]) -> LatentLayout:
        """Consecutive parts from ``(name, shape)`` pairs."""
        parts, offset = [], 0
        for name, shape in named_shapes:
            part = LatentPart(str(name), tuple(int(s) for s in shape), offset)
            parts.append(part)
            offset += part.size
        names = [p.name for p in parts]
        if len(set(names)) != len(names) or not parts:
            raise ValueError(f"a latent layout needs unique part names, got {names}")
        return cls(tuple(parts))

    @property
    def dim(self) -> int:
        return sum(p.size for p in self.parts)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.parts)

    @property
    def deepest(self) -> LatentPart:
        """The last part: a multi-scale flow's top (coarsest) level, the one factored out last."""
        return self.parts[-1]

    def part(self, name: str) -> LatentPart:
        for p in self.parts:
            if p.name == name:
                return p
        raise UserInputError(f"this model's latent has no part {name!r}; its parts are {', '.join(self.names)}")

    def slice(self, name: str) -> slice:
        return self.part(name).slice

    def take(self, eps: Any, name: str) -> Any:
        """The entries of part ``name`` of flat latents ``eps [..., dim]`` (a tensor or an array), still flat."""
        return eps[..., self.slice(name)]

    def to_json(self) -> list[dict[str, Any]]:
        return [{"name": p.name, "shape": list(p.shape)} for p in self.parts]

    @classmethod
    def from_json(cls, data: Any) -> LatentLayout:
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            raise ValueError("a latent layout is a list of {name, shape} objects")
        return cls.of((d["name"], d["shape"]) for d in data)
