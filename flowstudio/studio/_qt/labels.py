"""Labels styled by role (``heading``, ``hint``, ``value``: see the theme's stylesheet)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class LiveLabel(QWidget):
    """One line of text that changes often (a status, a summary, λ in numbers) without relayouting the window.

    ``QLabel.setText`` always calls ``updateGeometry()``, and that request
    climbs every layout up to the main window, which then lays out and
    repaints all its docks and the central view: several milliseconds of GUI
    thread per λ step, taken from the model decoding on the other core.
    Here the ``QLabel`` sits in a holder without a layout, one line high and
    as wide as its layout makes it, so the request stops at the holder
    (which passes it on only when the line height changes: a new font).
    Long text is cut at the holder's edge.
    """

    def __init__(self, text: str = "", role: str | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.label = QLabel(text, self)
        if role:
            self.label.setProperty("role", role)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(40)
        self._line_height = 0

    def text(self) -> str:
        return self.label.text()

    def setText(self, text: str) -> None:  # noqa: N802 (Qt naming)
        self.label.setText(text)

    def sizeHint(self) -> QSize:  # noqa: N802
        hint = self.label.sizeHint()
        self._line_height = hint.height()
        return QSize(min(hint.width(), 400), hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(40, self.sizeHint().height())

    def resizeEvent(self, event) -> None:  # noqa: N802
        self.label.setGeometry(self.rect())
        super().resizeEvent(event)

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:  # the label asks; pass it on only for a new line height
            if self.label.sizeHint().height() != self._line_height:
                self.updateGeometry()
            return True
        return super().event(event)


def role_label(text: str = "", role: str | None = None, wrap: bool = False) -> QLabel:
    """A label with a role; use :class:`LiveLabel` for text that changes while the user works."""
    widget = QLabel(text, wordWrap=wrap)
    if role:
        widget.setProperty("role", role)
    return widget
