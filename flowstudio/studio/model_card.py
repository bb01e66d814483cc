"""A model card as the rows a person reads: what the Model panel and the About box show."""

from __future__ import annotations

from typing import Any


def card_rows(info: Any) -> list[tuple[str, str]]:
    """``(label, value)`` rows for a :class:`~flowstudio.studio.engine.session.ModelInfo`."""
    card = info.card
    c, h, w = info.image_shape
    bpd = card.get("test_bits_per_dim")
    std = card.get("test_bits_per_dim_std")
    rows = [
        ("Family", str(card.get("family", "?")).capitalize()),
        ("Images", f"{w} × {h}, {'greyscale' if c == 1 else 'colour'}, {card.get('n_bits', 8)}-bit"),
        ("Test bits/dim", "unknown" if bpd is None else f"{bpd:.3f}" + (f" ± {std:.3f}" if std else "")),
        ("Trained on", str(card.get("training_data") or "unknown")),
        ("Licence", str(card.get("licence") or "unknown")),
        ("Parameters", f"{info.parameters:,}"),
        ("Runs on", info.device.upper() if info.device in ("cpu", "mps") else info.device),
        ("Identifier", info.model_id),
    ]
    return rows
