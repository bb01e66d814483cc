"""A notice strip: a warning or note in plain words above what it is about (a grid, a set's thumbnails).

The grid's notice says when the examples are far outside the model, or some
of them are unlikely (the core's :func:`~flowstudio.transflow.assess_evidence`),
and when cells could not be drawn (:func:`~flowstudio.transflow.decode_checked`);
:func:`grid_notice` and :func:`cell_marks` turn a drawn grid into that text.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout

from flowstudio.studio._qt.icons import themed_icon
from flowstudio.studio._qt.labels import role_label

NOT_DRAWN = "could not be drawn"
CLIPPED = "clipped"


class Notice(QFrame):
    """An icon, a bold headline and a wrapped explanation; hidden while it has nothing to say."""

    def __init__(self, level: str = "warning", parent: Any = None):
        super().__init__(parent, objectName="notice")
        self.setProperty("level", level)
        self.icon = QLabel()
        self.icon.setPixmap(themed_icon("fa5s.exclamation-triangle" if level == "warning" else "fa5s.info-circle",
                                        role=level).pixmap(18, 18))
        self.headline = role_label("", "value", wrap=True)
        self.body = role_label("", "hint", wrap=True)
        text = QVBoxLayout()
        text.setContentsMargins(0, 0, 0, 0)
        text.setSpacing(2)
        text.addWidget(self.headline)
        text.addWidget(self.body)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.addWidget(self.icon, 0)
        layout.addLayout(text, 1)
        self.hide()

    def show_text(self, headline: str, body: str = "") -> None:
        """Show ``headline`` and ``body``; an empty headline hides the notice."""
        self.headline.setText(headline)
        self.body.setText(body)
        self.body.setVisible(bool(body))
        self.setVisible(bool(headline))


def grid_notice(result: Any) -> tuple[str, str]:
    """``(headline, body)`` for a drawn grid (a ``SampleResult``); empty strings when all is well."""
    n = len(result.seeds)
    broken = int((result.nonfinite | result.saturated).sum()) if len(result.nonfinite) else 0
    lost = (f"{broken} of {n} samples could not be drawn: the model's decoder went out of range on them "
            "(they are marked).") if broken else ""
    advice = result.advice
    if advice is not None:
        return advice.headline, " ".join(part for part in (lost, advice.advice("raise λ in the Posterior panel"))
                                         if part)
    if broken:
        return f"{broken} of {n} samples could not be drawn", ("The model's decoder went out of range on them "
                                                               "(they are marked). Try a lower temperature or a "
                                                               "higher λ.")
    return "", ""


def _mark(bad: bool, clipped: bool) -> str:
    return NOT_DRAWN if bad else CLIPPED if clipped else ""


def cell_marks(result: Any) -> list[str]:
    """Per cell, what went wrong in words (empty for a good cell)."""
    return [_mark(bad, clipped) for bad, clipped in zip(result.nonfinite.tolist(), result.saturated.tolist())]


def grid_marks(result: Any) -> list[list[str]]:
    """The same for a two-dimensional result (λ sweep, interpolation): ``marks[row][column]``."""
    return [[_mark(bad, clipped) for bad, clipped in zip(row_bad, row_clipped)]
            for row_bad, row_clipped in zip(result.nonfinite.tolist(), result.saturated.tolist())]
