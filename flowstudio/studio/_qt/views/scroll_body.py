"""Content that scrolls instead of enlarging the window when the window is small.

The centre tabs share one area between the docks; a tab whose controls need
more room than a small window leaves them scrolls, so no tab sets a
minimum window size (``flowstudio screenshot --size 1000x700`` included).
The docks' panels scroll the same way (:func:`scrolling`), so a 1280x720
screen reaches every control.
"""

from __future__ import annotations

from PySide6.QtWidgets import QFrame, QScrollArea, QVBoxLayout, QWidget


def scrolling(content: QWidget) -> QScrollArea:
    """``content`` in a frameless scroll area that fills it out when there is room."""
    area = QScrollArea(widgetResizable=True, frameShape=QFrame.Shape.NoFrame)
    area.setWidget(content)
    return area


def scroll_body(outer: QWidget) -> QWidget:
    """Fill ``outer`` with a frameless scroll area and return the widget to lay the content out on."""
    body = QWidget()
    layout = QVBoxLayout(outer)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(scrolling(body))
    return body
