"""The Model panel: which model draws the samples, where it runs, and its card.

Open a checkpoint (Flow Studio ``.safetensors``, or a peer Glow
``.pt``/``.pth``/``.pkg`` imported on the fly), pick one of the bundled or
recently used models, choose the device (choices this machine lacks are
disabled, with the reason as their tooltip), and read the model card.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import QComboBox, QFormLayout, QFrame, QPushButton, QVBoxLayout, QWidget

from flowstudio.resources import bundled_models
from flowstudio.studio._qt.dialogs import MODEL_FILTER, ask_open_paths
from flowstudio.studio._qt.labels import LiveLabel, role_label
from flowstudio.studio._qt.icons import bind_icon
from flowstudio.studio._qt.panels import PanelSpec, ScreenshotSpec, register_panel
from flowstudio.studio.model_card import card_rows

DEVICES = (("auto", "Automatic"), ("cpu", "CPU"), ("cuda", "NVIDIA GPU (CUDA)"), ("mps", "Apple GPU (MPS)"))


class ModelPanel(QWidget):
    def __init__(self, studio: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        self.name = role_label("Loading…", "heading", wrap=True)
        self.state = LiveLabel("", "hint")
        open_button = QPushButton("Open model…", toolTip="Open a .safetensors model, or a Glow checkpoint "
                                                         "(.pt/.pth/.pkg) from y0ast, rosinality or chaiyujin")
        bind_icon(open_button, "fa5s.folder-open")
        open_button.clicked.connect(self.ask_open)
        self.choices = QComboBox(toolTip="Bundled models and the ones you opened recently", minimumContentsLength=14,
                                 sizeAdjustPolicy=QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.choices.activated.connect(self._choice_activated)
        self.device = QComboBox(toolTip="Where the model runs")
        for key, label in DEVICES:
            self.device.addItem(label, key)
        self.device.activated.connect(lambda i: studio.set_device(self.device.itemData(i)))
        self.card = QFrame(objectName="card")
        self.card_form = QFormLayout(self.card)
        self.card_form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.card_form.setContentsMargins(12, 10, 12, 10)
        self.card_form.setVerticalSpacing(6)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        layout.addWidget(self.name)
        layout.addWidget(self.state)
        layout.addWidget(open_button)
        layout.addWidget(role_label("Bundled and recent", "hint"))
        layout.addWidget(self.choices)
        layout.addWidget(role_label("Device", "hint"))
        layout.addWidget(self.device)
        layout.addWidget(self.card)
        layout.addStretch(1)

        studio.host.modelLoaded.connect(self.show_model)
        studio.host.stateChanged.connect(self._state_changed)
        self.refresh_choices()
        self._state_changed(studio.host.state)

    def ask_open(self) -> None:
        paths = ask_open_paths(self, "Open a model", self.studio.prefs, MODEL_FILTER, multiple=False)
        if paths:
            self.studio.load_model(paths[0])

    def refresh_choices(self) -> None:
        self.choices.clear()
        self.choices.addItem("Choose a model…", None)
        for path in bundled_models():
            self.choices.addItem(f"{path.stem} (bundled)", str(path))
        bundled = {str(p) for p in bundled_models()}
        for path in self.studio.prefs.recent_models:
            if path not in bundled:
                self.choices.addItem(Path(path).name, path)

    def _choice_activated(self, index: int) -> None:
        path = self.choices.itemData(index)
        if path:
            self.studio.load_model(path)
        self.choices.setCurrentIndex(0)

    def _state_changed(self, state: str) -> None:
        info = self.studio.host.info
        ready = Path(info.path).name if info is not None else ""
        self.state.setText({"loading": "Loading the model…", "failed": "No model is open."}.get(state, ready))
        if state != "loading":  # a load that failed or was cancelled leaves the device as it was
            self._show_devices()

    def show_model(self, info: Any) -> None:
        self.name.setText(info.card.name or Path(info.path).stem)
        self.state.setText(Path(info.path).name)
        while self.card_form.rowCount():
            self.card_form.removeRow(0)
        for name, value in card_rows(info):
            text = role_label(value, wrap=True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.card_form.addRow(role_label(name, "hint"), text)
        self._show_devices()
        self.refresh_choices()

    def _show_devices(self) -> None:
        model: QStandardItemModel = self.device.model()
        for row, (key, label) in enumerate(DEVICES):
            reason = self.studio.host.devices.get(key, "")
            item = model.item(row)
            item.setEnabled(not reason)
            item.setToolTip(reason or f"Run on: {label}")
        self.device.setCurrentIndex(self.device.findData(self.studio.prefs.get("device")))


register_panel(PanelSpec("model", "Model", "fa5s.cube", "right", ModelPanel, order=20,
                         screenshots=(ScreenshotSpec("model-card", lambda window: window.show_panel("model")),)))
