"""A tab's content that scrolls instead of widening the window when the window is narrow.

The centre tabs share one area between the docks; a tab whose controls need
more room than a small window leaves them scrolls, so no tab sets a
minimum window size (``flowstudio screenshot --size 1000x700`` included).
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget


def scroll_body(outer: QWidget) -> QWidget:
    """Fill ``outer`` with a frameless scroll area and return the widget to lay the content out on."""
    area = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
    body = QWidget()
    area.setWidget(body)
    layout = QVBoxLayout(outer)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(area)
    return body
