"""Labels styled by role (``heading``, ``hint``, ``value``: see the theme's stylesheet)."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QSizePolicy


def role_label(text: str = "", role: str | None = None, live: bool = False, wrap: bool = False) -> QLabel:
    """A label; ``live`` ones change text often and never resize the layout around them (long text is cut)."""
    widget = QLabel(text, wordWrap=wrap)
    if role:
        widget.setProperty("role", role)
    if live:
        widget.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        widget.setMinimumWidth(40)
    return widget
