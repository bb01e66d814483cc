"""What the window asks the engine to draw (plain values: made on the GUI thread, used on a worker; no torch)."""

from __future__ import annotations

from dataclasses import dataclass

from flowstudio.studio.state import PosteriorParams


@dataclass(frozen=True)
class SampleRequest:
    """A grid (or sweep) to draw: each included image's path and hash, the parameters, the set's name."""

    evidence: tuple[tuple[str, str], ...]
    params: PosteriorParams
    set_name: str = ""


@dataclass(frozen=True)
class StripRequest:
    """An interpolation strip: two sets' included images (path, short hash), their names, the parameters
    and the strip's shape (see :func:`flowstudio.studio.engine.interpolation.draw_strip`)."""

    evidence_a: tuple[tuple[str, str], ...]
    evidence_b: tuple[tuple[str, str], ...]
    name_a: str
    name_b: str
    params: PosteriorParams
    steps: int = 9
    rows: int = 1
    direct: bool = False
