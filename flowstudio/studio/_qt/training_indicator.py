"""The status bar's sign that a training run is going: its name, step, time left and a bar; a click opens Train.

Shown only while a run is going (paused included), so that on any tab the
artist sees a run is on and how long it has left (the same
:class:`~flowstudio.studio.eta.TrainingEta` the Train panel shows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QPushButton, QWidget

from flowstudio.studio.eta import format_duration
from flowstudio.studio._qt.icons import bind_icon


def indicator_text(training: Any) -> str:
    """``"Training “digits”: step 120 of 300 · 2:10 left"`` (or ``"Paused ..."``)."""
    name = training.run_dir.name if training.run_dir is not None else ""
    step = training.last_step or {}
    eta = training.eta
    total = eta.total_steps if eta is not None else 0
    where = f": step {int(step.get('step', 0)):,} of {total:,}" if step and total else ": starting"
    left = format_duration(eta.remaining()) if eta is not None and not training.paused else ""
    return f"{'Paused' if training.paused else 'Training'} “{name}”{where}" + (f" · {left} left" if left else "")


class TrainingIndicator(QWidget):
    """A flat button with the run's progress and a slim bar; ``open_train`` is called on a click."""

    def __init__(self, training: Any, open_train: Callable[[], Any], parent: QWidget | None = None):
        super().__init__(parent)
        self.training = training
        self.button = QPushButton(flat=True, toolTip="A model is training: click to see it in the Train tab")
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        bind_icon(self.button, "fa5s.dumbbell", "accent")
        self.button.clicked.connect(open_train)
        self.bar = QProgressBar(textVisible=False, maximumHeight=8, fixedWidth=120)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 6, 0)
        layout.addWidget(self.button)
        layout.addWidget(self.bar)
        training.event.connect(lambda _: self.refresh())
        training.runningChanged.connect(lambda _: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        running = self.training.running
        self.setVisible(running)
        if not running:
            return
        self.button.setText(indicator_text(self.training))
        eta = self.training.eta
        step = (self.training.last_step or {}).get("step", 0)
        self.bar.setRange(0, max(eta.total_steps if eta is not None else 0, 1))
        self.bar.setValue(int(step))
