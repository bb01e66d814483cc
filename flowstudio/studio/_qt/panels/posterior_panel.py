"""The Posterior panel: how much to trust the examples (lambda), the likelihood rule, and sampling.

Every control edits the document through the undo stack; a slider drag is
one undo step.  The panel also follows the document (undo, a restored PNG,
a reset), with its own signals blocked so that showing a value never edits.

The document holds one :class:`~flowstudio.likelihood.LikelihoodSpec`.  The
slider shows lambda as a multiple of m, the spin box an absolute lambda.
While lambda is relative, the greyed spin box follows the absolute lambda in
use (``r * m``), so switching "Absolute λ" on keeps the samples as they are;
while it is absolute, the slider keeps its last multiple, which switching
back returns to.

Named presets of all these settings sit at the top (:mod:`.preset_bar`),
above λ and its three quick buttons.
"""

from __future__ import annotations

import itertools
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QButtonGroup, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox,
                               QHBoxLayout, QPushButton, QSpinBox, QToolButton, QVBoxLayout, QWidget)
from superqt import QLabeledDoubleSlider

from flowstudio.studio._qt.labels import LiveLabel, role_label
from flowstudio.studio._qt.icons import bind_icon
from flowstudio.studio._qt.panels import PanelSpec, register_panel
from flowstudio.studio._qt.panels.preset_bar import PresetBar
from flowstudio.likelihood import COVARIANCES, LikelihoodSpec
from flowstudio.studio.state import MAX_COUNT, MAX_SEED

LAMBDA_TIP = ("How much to trust your examples.\n"
              "Small λ: stick close to them. Large λ: more variety from the model.\n"
              "λ is given as a multiple of m, the number of examples used (0.3–0.7 suits most sets).")
ABSOLUTE_TIP = "Set λ itself instead of a multiple of the number of examples"
COVARIANCE_TIP = ("Isotropic: the same λ in every direction, as in the Transflow paper.\n"
                  "Diagonal (beyond the paper): λ scaled by how much your examples vary in each direction, "
                  "so what all examples share is kept more tightly.")
FLOOR_TIP = "Smallest spread per direction for the diagonal rule (keeps it from pinning a direction completely)"
TEMPERATURE_TIP = "Spread of the samples: 1 = the full posterior, lower = cleaner but less varied"
COUNT_TIP = "How many samples the grid shows"
SEED_TIP = "Seed of the first cell; cell j uses seed + j, so any cell can be reproduced alone"
PRESETS = (0.3, 0.5, 0.7)
COVARIANCE_LABELS = {"isotropic": "Isotropic (paper)", "diagonal": "Diagonal (beyond the paper)"}
DEFAULT_ABSOLUTE = 4.0
"""The absolute λ the spin box offers before one was chosen."""


def _slider(lo: float, hi: float, tip: str) -> QLabeledDoubleSlider:
    slider = QLabeledDoubleSlider(Qt.Orientation.Horizontal)
    slider.setRange(lo, hi)
    slider.setSingleStep(0.01)
    slider.setDecimals(2)
    slider.setToolTip(tip)
    return slider


class PosteriorPanel(QWidget):
    def __init__(self, studio: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        self._drag: Any = None
        self._drag_ids = itertools.count()

        self.lam = _slider(0.1, 1.0, LAMBDA_TIP)
        self.lam.setValue(LikelihoodSpec().lam)  # what "λ relative to m" offers while the spec is absolute
        self._wire_slider(self.lam, "lam", "λ", relative=True)
        self.presets = QButtonGroup(self)
        preset_row = QHBoxLayout()
        for value in PRESETS:
            button = QPushButton(f"{value:.1f} m", checkable=True, toolTip=f"λ = {value} × m")
            button.clicked.connect(lambda _=False, v=value: self.edit(f"λ = {v} m", lam=v, relative=True))
            self.presets.addButton(button)
            preset_row.addWidget(button)
        self.presets.setExclusive(False)
        self.absolute = QCheckBox("Absolute λ", toolTip=ABSOLUTE_TIP)
        self.absolute.toggled.connect(self._toggle_absolute)
        self.lam_abs = QDoubleSpinBox(minimum=0.01, maximum=10000.0, decimals=2, singleStep=0.5, value=DEFAULT_ABSOLUTE,
                                      toolTip=ABSOLUTE_TIP)
        self.lam_abs.valueChanged.connect(
            lambda v: self.edit("Change absolute λ", lam=v, relative=False, drag="lam_abs"))
        abs_row = QHBoxLayout()
        abs_row.addWidget(self.absolute)
        abs_row.addWidget(self.lam_abs, 1)
        self.lam_note = LiveLabel("", "hint")
        trust = QGroupBox("Trust in your examples (λ)")
        trust.setToolTip(LAMBDA_TIP)
        box = QVBoxLayout(trust)
        box.addWidget(self.lam)
        box.addLayout(preset_row)
        box.addLayout(abs_row)
        box.addWidget(self.lam_note)

        self.covariance = QComboBox(toolTip=COVARIANCE_TIP, minimumContentsLength=14,
                                    sizeAdjustPolicy=QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        for key in COVARIANCES:
            self.covariance.addItem(COVARIANCE_LABELS.get(key, key), key)
        self.covariance.currentIndexChanged.connect(
            lambda i: self.edit("Change covariance", covariance=self.covariance.itemData(i)))
        self.floor = QDoubleSpinBox(minimum=0.0001, maximum=1.0, decimals=4, singleStep=0.005, toolTip=FLOOR_TIP)
        self.floor.valueChanged.connect(lambda v: self.edit("Change floor", floor=v, drag="floor"))
        likelihood = QGroupBox("Likelihood")
        form = QFormLayout(likelihood)
        form.addRow("Covariance", self.covariance)
        form.addRow("Floor", self.floor)

        self.temperature = _slider(0.0, 1.2, TEMPERATURE_TIP)
        self._wire_slider(self.temperature, "temperature", "temperature")
        self.count = QSpinBox(minimum=1, maximum=MAX_COUNT, toolTip=COUNT_TIP)
        self.count.valueChanged.connect(lambda v: self.edit("Change number of samples", count=v, drag="count"))
        self.seed = QSpinBox(minimum=0, maximum=MAX_SEED, toolTip=SEED_TIP)
        for spin in (self.lam_abs, self.floor, self.count, self.seed):
            spin.setMinimumWidth(72)  # their widest values would otherwise widen the whole dock
        self.seed.valueChanged.connect(lambda v: self.edit("Change seed", seed=v, drag="seed"))
        self.lock = QToolButton(checkable=True, toolTip="Lock the seed: rerolling leaves it alone (L)")
        self.lock.toggled.connect(lambda on: self.edit("Lock seed" if on else "Unlock seed", seed_locked=on))
        self._lock_icon(False)
        self.dice = QToolButton(toolTip="Roll a new random seed (R)")
        bind_icon(self.dice, "fa5s.dice")
        self.dice.clicked.connect(studio.reroll_seed)
        seed_row = QHBoxLayout()
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.lock)
        seed_row.addWidget(self.dice)
        sampling = QGroupBox("Sampling")
        form = QFormLayout(sampling)
        form.addRow("Temperature", self.temperature)
        form.addRow("Samples", self.count)
        form.addRow("Seed", seed_row)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 4, 12, 12)
        layout.setSpacing(4)
        self.preset_bar = PresetBar(studio)
        self.transflow_note = role_label("This model generates by label and has no Transflow posterior: λ and the "
                                         "likelihood do not apply to it (temperature, samples and seed do).", "hint",
                                         wrap=True)
        self.transflow_note.hide()
        self.transflow_groups = (trust, likelihood)
        for group in (self.preset_bar, self.transflow_note, trust, likelihood, sampling):
            layout.addWidget(group)
        layout.addStretch(1)
        studio.host.modelLoaded.connect(self._model_loaded)

        studio.doc.paramsChanged.connect(self.show_params)
        for signal in (studio.doc.itemsInserted, studio.doc.itemsRemoved, studio.doc.currentSetChanged):
            signal.connect(lambda *_: self._update_note())
        studio.doc.itemsChanged.connect(lambda *_: self._update_note())
        self.show_params()

    def _model_loaded(self, info: Any) -> None:
        """λ and the likelihood are off, and say why, for a model without Transflow latents."""
        labelled = bool(info.label_names)
        self.transflow_note.setVisible(labelled)
        for group in self.transflow_groups:
            group.setEnabled(not labelled)

    def _wire_slider(self, slider: QLabeledDoubleSlider, name: str, what: str, **also: Any) -> None:
        slider.sliderPressed.connect(self._start_drag)
        slider.sliderReleased.connect(self._end_drag)
        slider.valueChanged.connect(lambda v: self.edit(f"Change {what}", drag=self._drag or name,
                                                        **{name: round(float(v), 2)}, **also))

    def _toggle_absolute(self, on: bool) -> None:
        """Switch the spec to the other mode, with the value that mode's control kept."""
        if on:
            self.edit("Absolute λ", lam=self.lam_abs.value(), relative=False)
        else:
            self.edit("λ relative to m", lam=self.lam.value(), relative=True)

    def _start_drag(self) -> None:
        self._drag = f"drag-{next(self._drag_ids)}"

    def _end_drag(self) -> None:
        self._drag = None

    def _lock_icon(self, locked: bool) -> None:
        bind_icon(self.lock, "fa5s.lock" if locked else "fa5s.lock-open", "accent" if locked else "normal")

    def edit(self, text: str, drag: Any = None, **changes: Any) -> None:
        """One parameter edit.  Keyboard and spin-box steps of one control merge while it is edited in a row."""
        self.studio.edit.change_params(text=text, drag=drag, **changes)

    def show_params(self, changed: frozenset[str] | None = None) -> None:
        """Show the document's parameters (only the ``changed`` ones, while a slider is dragged)."""
        p = self.studio.doc.params
        spec = p.likelihood
        setters = {
            "likelihood": ((self.lam, self.absolute, self.lam_abs, self.covariance, self.floor),
                           lambda: self._show_likelihood(spec)),
            "temperature": ((self.temperature,), lambda: self.temperature.setValue(p.temperature)),
            "count": ((self.count,), lambda: self.count.setValue(p.count)),
            "seed": ((self.seed,), lambda: self.seed.setValue(p.seed)),
            "seed_locked": ((self.lock,), lambda: (self.lock.setChecked(p.seed_locked),
                                                   self._lock_icon(p.seed_locked))),
        }
        for name, (widgets, show) in setters.items():
            if changed is None or name in changed:
                for widget in widgets:
                    widget.blockSignals(True)
                show()
                for widget in widgets:
                    widget.blockSignals(False)
        self.lam.setEnabled(spec.relative)
        self.lam_abs.setEnabled(not spec.relative)
        self.dice.setEnabled(not p.seed_locked)
        self.floor.setEnabled(spec.covariance == "diagonal")
        for button, value in zip(self.presets.buttons(), PRESETS):
            button.setChecked(spec.relative and abs(spec.lam - value) < 1e-9)
            button.setEnabled(spec.relative)
        self._update_note()

    def _show_likelihood(self, spec: Any) -> None:
        """The spec's λ in the control of its mode (the other control keeps its value), and its rule."""
        (self.lam if spec.relative else self.lam_abs).setValue(spec.lam)
        self.absolute.setChecked(not spec.relative)
        self.covariance.setCurrentIndex(self.covariance.findData(spec.covariance))
        self.floor.setValue(spec.floor)

    def _update_note(self) -> None:
        spec = self.studio.doc.params.likelihood
        s = self.studio.doc.current_set
        m = len(s.usable_items()) if s else 0
        if spec.relative and m:  # the greyed absolute field shows the λ in use, and offers it when switched on
            self.lam_abs.blockSignals(True)
            self.lam_abs.setValue(spec.absolute_lambda(m))
            self.lam_abs.blockSignals(False)
        examples = f"{m} example{'s' if m != 1 else ''}"
        if m == 0:
            self.lam_note.setText("No examples yet: model samples only")
        elif spec.relative:
            self.lam_note.setText(f"λ = {spec.absolute_lambda(m):g} for {examples}")
        else:
            self.lam_note.setText(f"λ = {spec.lam:g} for {examples} ({spec.lam / m:.2f} × m)")


register_panel(PanelSpec("posterior", "Posterior", "fa5s.sliders-h", "right", PosteriorPanel, order=10))
