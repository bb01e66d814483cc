"""A model card as the rows a person reads: what the Model panel and the About box show."""

from __future__ import annotations

from typing import Any

from flowstudio.registry import FAMILIES


def card_rows(info: Any) -> list[tuple[str, str]]:
    """``(label, value)`` rows for a :class:`~flowstudio.studio.engine.session.ModelInfo`."""
    card = info.card
    c, h, w = info.image_shape
    bpd, std = card.test_bits_per_dim, card.test_bits_per_dim_std
    family = FAMILIES.get(card.family)
    if not card.has_exact_likelihood:
        score = "none (this kind of model has no exact image likelihood)"
    else:
        score = "unknown" if bpd is None else f"{bpd:.3f}" + (f" ± {std:.3f}" if std else "")
    rows = [
        ("Family", family.label if family else card.family),
        ("Images", f"{w} × {h}, {'greyscale' if c == 1 else 'colour'}, {card.n_bits}-bit"),
        ("Test bits/dim", score),
        ("Trained on", card.training_data or "unknown"),
        ("Licence", card.licence or "unknown"),
        ("Parameters", f"{info.parameters:,}"),
        ("Runs on", info.device.upper() if info.device in ("cpu", "mps") else info.device),
        ("Identifier", info.model_id),
    ]
    return rows
