"""A model card as the rows a person reads: what the Model panel and the About box show."""

from __future__ import annotations

from typing import Any


def card_rows(info: Any) -> list[tuple[str, str]]:
    """``(label, value)`` rows for a :class:`~flowstudio.studio.engine.session.ModelInfo`."""
    return info.card.rows() + [
        ("Parameters", f"{info.parameters:,}"),
        ("Runs on", info.device.upper() if info.device in ("cpu", "mps") else info.device),
        ("Identifier", info.model_id),
    ]
