"""Messages for the user that never block: toasts in the window's corner, each with optional details and actions.

Anything that goes wrong (a file that cannot be read, a model that does not
load, an export that fails) becomes one :class:`Message`: a title, one
readable line, and, for lists such as skipped files, a collapsible
"file: reason" list.  Information fades after a few seconds; warnings and
errors stay until dismissed.  Every message is also kept in
:attr:`Notifier.history` (the Help menu shows it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QSizePolicy, QToolButton,
                               QVBoxLayout, QWidget)

from flowstudio.studio._qt.icons import themed_icon

LEVEL_ICONS = {"info": "fa5s.info-circle", "success": "fa5s.check-circle", "warning": "fa5s.exclamation-triangle",
               "error": "fa5s.times-circle"}
AUTO_HIDE_MS = {"info": 6000, "success": 4000}
MAX_TOASTS = 3
TOAST_WIDTH = 380


@dataclass
class Message:
    """One notification.  ``actions`` are ``(label, callback)`` buttons; clicking one also dismisses it."""

    level: str
    title: str
    text: str = ""
    details: Sequence[str] = ()
    actions: Sequence[tuple[str, Callable[[], None]]] = ()
    time: float = field(default_factory=time.time)


class Notifier(QObject):
    """Where every part of the studio posts messages; the toast area shows them."""

    posted = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.history: list[Message] = []

    def post(self, level: str, title: str, text: str = "", details: Sequence[str] = (),
             actions: Sequence[tuple[str, Callable[[], None]]] = ()) -> Message:
        message = Message(level, title, text, tuple(details), tuple(actions))
        self.history.append(message)
        self.posted.emit(message)
        return message

    def info(self, title: str, text: str = "", **kw) -> Message:
        return self.post("info", title, text, **kw)

    def success(self, title: str, text: str = "", **kw) -> Message:
        return self.post("success", title, text, **kw)

    def warning(self, title: str, text: str = "", **kw) -> Message:
        return self.post("warning", title, text, **kw)

    def error(self, title: str, text: str = "", **kw) -> Message:
        return self.post("error", title, text, **kw)


class Toast(QFrame):
    """One message on screen."""

    closed = Signal(object)

    def __init__(self, message: Message, parent: QWidget):
        super().__init__(parent)
        self.message = message
        self.setObjectName("toast")
        self.setProperty("level", message.level)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Maximum)
        self.setFixedWidth(TOAST_WIDTH)

        icon = QLabel()
        icon.setPixmap(themed_icon(LEVEL_ICONS[message.level], role=message.level).pixmap(18, 18))
        title = QLabel(f"<b>{message.title}</b>")
        title.setWordWrap(True)
        close = QToolButton(autoRaise=True, toolTip="Dismiss")
        close.setIcon(themed_icon("fa5s.times"))
        close.clicked.connect(self.dismiss)
        head = QHBoxLayout()
        head.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        head.addWidget(title, 1)
        head.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 10, 8, 10)
        layout.setSpacing(6)
        layout.addLayout(head)
        if message.text:
            text = QLabel(message.text)
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            layout.addWidget(text)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        if message.details:
            self.details = QPlainTextEdit("\n".join(message.details), readOnly=True, visible=False)
            self.details.setMaximumHeight(140)
            self.details.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
            layout.addWidget(self.details)
            toggle = QPushButton(f"Show details ({len(message.details)})", flat=True, checkable=True)
            toggle.toggled.connect(lambda on: (self.details.setVisible(on), toggle.setText(
                f"{'Hide' if on else 'Show'} details ({len(message.details)})"), self.parent().relayout()))
            buttons.addWidget(toggle)
        for label, callback in message.actions:
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, cb=callback: (self.dismiss(), cb()))
            buttons.addWidget(button)
        if buttons.count() > 1:
            layout.addLayout(buttons)
        if message.level in AUTO_HIDE_MS and not message.actions:
            QTimer.singleShot(AUTO_HIDE_MS[message.level], self.dismiss)

    def button(self, label: str) -> QPushButton:
        """The action button labelled ``label`` (for keyboard users and tests)."""
        return next(b for b in self.findChildren(QPushButton) if b.text() == label)

    def dismiss(self) -> None:
        if self.isVisible() or self.parent() is not None:
            self.closed.emit(self)


class ToastArea(QWidget):
    """A transparent overlay on the bottom-right of its parent that stacks the newest toasts."""

    def __init__(self, notifier: Notifier, parent: QWidget):
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, False)
        self.toasts: list[Toast] = []
        notifier.posted.connect(self.show_message)
        parent.installEventFilter(self)
        self.hide()

    def show_message(self, message: Message) -> Toast:
        toast = Toast(message, self)
        toast.closed.connect(self._remove)
        self.toasts.append(toast)
        while len(self.toasts) > MAX_TOASTS:
            self._remove(self.toasts[0])
        toast.show()
        self.relayout()
        return toast

    def _remove(self, toast: Toast) -> None:
        if toast in self.toasts:
            self.toasts.remove(toast)
            toast.hide()
            toast.deleteLater()
            self.relayout()

    def relayout(self) -> None:
        """Stack the toasts upwards from the bottom-right corner of the parent."""
        parent = self.parentWidget()
        if not self.toasts:
            self.hide()
            return
        margin, gap, y = 16, 8, 0
        heights = [t.layout().totalHeightForWidth(TOAST_WIDTH) for t in self.toasts]
        height = sum(heights) + gap * (len(heights) - 1)
        bottom = parent.height() - margin - (parent.statusBar().height() if hasattr(parent, "statusBar") else 0)
        self.setGeometry(parent.width() - TOAST_WIDTH - margin, bottom - height, TOAST_WIDTH, height)
        for toast, h in zip(self.toasts, heights):
            toast.setGeometry(0, y, TOAST_WIDTH, h)
            y += h + gap
        self.show()
        self.raise_()

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Resize:
            self.relayout()
        return False
