"""What the window asks the engine to draw (plain values: made on the GUI thread, used on a worker)."""

from __future__ import annotations

from dataclasses import dataclass

from flowstudio.studio.state import PosteriorParams


@dataclass(frozen=True)
class SampleRequest:
    """A grid (or sweep) to draw: each included image's path and hash, the parameters, the set's name."""

    evidence: tuple[tuple[str, str], ...]
    params: PosteriorParams
    set_name: str = ""
