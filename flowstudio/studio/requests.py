"""What the window asks the engine to draw (plain values: made on the GUI thread, used on a worker; no torch)."""

from __future__ import annotations

from dataclasses import dataclass

from flowstudio.studio.state import PosteriorParams


@dataclass(frozen=True)
class LabelChoice:
    """What a label-conditioned model draws instead of the posterior grid (see :mod:`flowstudio.labelled`):
    ``"by_label"`` cells of ``label`` (``None``: a row per label, ``per_row`` cells each), or ``"same_style"``:
    ``per_row`` seeds decoded under every label (column ``j`` shares seed ``j``)."""

    mode: str = "by_label"
    label: int | None = None
    per_row: int = 8


@dataclass(frozen=True)
class SampleRequest:
    """A grid (or sweep) to draw: each included image's path and hash, the parameters, the set's name, and for
    a label-conditioned model what to draw by label (``None``: the plain grid)."""

    evidence: tuple[tuple[str, str], ...]
    params: PosteriorParams
    set_name: str = ""
    labels: LabelChoice | None = None


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
