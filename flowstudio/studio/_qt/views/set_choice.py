"""A combo box of the document's evidence sets that keeps its choice (by uid) as sets come and go."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QSizePolicy


class SetChoice(QComboBox):
    chosen = Signal(object)  # uid or None

    def __init__(self, doc: Any, tip: str):
        super().__init__(toolTip=tip, minimumContentsLength=12,
                         sizeAdjustPolicy=QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.doc = doc
        self.currentIndexChanged.connect(lambda _: self.chosen.emit(self.uid))
        doc.setsChanged.connect(self.refresh)
        doc.documentReplaced.connect(self.refresh)

    @property
    def uid(self) -> str | None:
        return self.currentData()

    def choose(self, uid: str | None) -> None:
        index = self.findData(uid)
        if index >= 0:
            self.setCurrentIndex(index)

    def refresh(self) -> None:
        keep = self.uid
        self.blockSignals(True)
        self.clear()
        for s in self.doc.sets:
            self.addItem(s.name, s.uid)
        index = self.findData(keep)
        self.setCurrentIndex(index if index >= 0 else (0 if self.count() else -1))
        self.blockSignals(False)
        if self.uid != keep:
            self.chosen.emit(self.uid)
