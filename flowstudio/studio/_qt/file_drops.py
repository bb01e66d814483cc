"""Accepting files dragged from the desktop onto any widget: one event filter, one handler call per drop.

The window, the evidence sets list and the thumbnails all accept drops; each
passes the dropped paths to its own handler (new set, current set, ...).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QMimeData, QObject
from PySide6.QtWidgets import QAbstractScrollArea, QWidget


def dropped_paths(mime: QMimeData) -> list[str]:
    """Local file and folder paths in drag-and-drop (or clipboard) data."""
    return [url.toLocalFile() for url in mime.urls() if url.isLocalFile()] if mime.hasUrls() else []


class FileDropFilter(QObject):
    def __init__(self, handler: Callable[[list[str]], None], parent: QObject):
        super().__init__(parent)
        self.handler = handler

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        kind = event.type()
        if kind in (QEvent.Type.DragEnter, QEvent.Type.DragMove) and dropped_paths(event.mimeData()):
            event.acceptProposedAction()
            return True
        if kind == QEvent.Type.Drop:
            paths = dropped_paths(event.mimeData())
            if paths:
                event.acceptProposedAction()
                self.handler(paths)
                return True
        return False


def accept_file_drops(widget: QWidget, handler: Callable[[list[str]], None]) -> FileDropFilter:
    """Make ``widget`` (its viewport, for scroll areas) call ``handler(paths)`` when files are dropped on it."""
    target = widget.viewport() if isinstance(widget, QAbstractScrollArea) else widget
    target.setAcceptDrops(True)
    drop_filter = FileDropFilter(handler, widget)
    target.installEventFilter(drop_filter)
    return drop_filter
