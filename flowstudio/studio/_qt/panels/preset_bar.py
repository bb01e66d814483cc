"""The Posterior panel's presets: every sampling setting saved under a name, applied from a drop-down.

Choosing a preset applies it as one undo step (see
:mod:`flowstudio.studio.presets` for what it sets; an unlocked seed is
left alone).  The drop-down shows the preset the current settings match, or
"Custom settings".  Presets are kept in the preferences, so they survive a
restart and are shared by every project; "Reset" goes back to the defaults.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QGroupBox, QHBoxLayout, QInputDialog, QMessageBox, QToolButton, QWidget

from flowstudio.errors import UserInputError
from flowstudio.studio._qt.icons import bind_icon
from flowstudio.studio.presets import (MAX_NAME_LENGTH, Preset, find_preset, matching_preset, preset_changes,
                                       with_preset, without_preset)
from flowstudio.studio.state import PosteriorParams

CUSTOM = "Custom settings"
NO_PRESETS = "No presets yet"
DEFAULTS = Preset("Defaults", PosteriorParams())
PRESET_TIP = ("Saved sampling settings: λ, likelihood, temperature, number of samples and seed mode.\n"
              "A preset saved with the seed locked also sets the seed; otherwise the seed stays as it is.")


class PresetBar(QGroupBox):
    def __init__(self, studio: Any, parent: QWidget | None = None):
        super().__init__("Presets", parent)
        self.studio = studio
        self.choice = QComboBox(toolTip=PRESET_TIP, minimumContentsLength=10,
                                sizeAdjustPolicy=QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.choice.activated.connect(self._chosen)
        row = QHBoxLayout(self)
        row.addWidget(self.choice, 1)
        self.buttons: dict[str, QToolButton] = {}
        for key, icon, tip, slot in (
                ("save", "fa5s.save", "Save the current settings as a preset…", self.ask_save),
                ("delete", "fa5s.trash-alt", "Delete the chosen preset…", self.ask_delete),
                ("reset", "fa5s.undo-alt", "Reset every sampling setting to its default", self.reset_settings)):
            button = QToolButton(toolTip=tip)
            bind_icon(button, icon)
            button.clicked.connect(slot)
            row.addWidget(button)
            self.buttons[key] = button
        studio.doc.paramsChanged.connect(lambda _: self.refresh())
        self.refresh()

    # -- what the user does --------------------------------------------------------------
    def apply_preset(self, name: str) -> bool:
        """Apply the preset ``name`` (one undo step); False if there is none or nothing changes."""
        preset = find_preset(self.studio.prefs.presets, name)
        if preset is None:
            return False
        return self.studio.edit.change_params(text=f"Apply preset “{preset.name}”", **preset_changes(preset))

    def save_preset(self, name: str) -> bool:
        """Keep the current settings as ``name`` (replacing a preset of that name); False with a message if not."""
        prefs = self.studio.prefs
        try:
            prefs.presets = with_preset(prefs.presets, name, self.studio.doc.params)
        except UserInputError as exc:
            self.studio.notifier.warning("The preset was not saved", f"{str(exc).capitalize()}.")
            return False
        self.refresh()
        self.studio.notifier.success(f"Saved preset “{find_preset(prefs.presets, name).name}”")
        return True

    def delete_preset(self, name: str) -> None:
        prefs = self.studio.prefs
        prefs.presets = without_preset(prefs.presets, name)
        self.refresh()

    def reset_settings(self) -> bool:
        """Every setting back to its default, as a preset of the defaults would (the seed stays)."""
        return self.studio.edit.change_params(text="Reset sampling settings", **preset_changes(DEFAULTS))

    def ask_save(self) -> None:
        current = self.current_name()
        name, ok = QInputDialog.getText(self, "Save preset", "Name of the preset (the current settings are saved):",
                                        text=current or "")
        if not ok or not name.strip():
            return
        existing = find_preset(self.studio.prefs.presets, name)
        if existing is not None and QMessageBox.question(
                self, "Replace preset", f"Replace the preset “{existing.name}” with the current settings?"
        ) != QMessageBox.StandardButton.Yes:
            return
        self.save_preset(name[:MAX_NAME_LENGTH])

    def ask_delete(self) -> None:
        name = self.current_name()
        if name and QMessageBox.question(self, "Delete preset",
                                         f"Delete the preset “{name}”? This cannot be undone.") == (
                QMessageBox.StandardButton.Yes):
            self.delete_preset(name)

    # -- showing ---------------------------------------------------------------------------
    def current_name(self) -> str | None:
        """The preset the current settings match (the one the drop-down shows), or None."""
        match = matching_preset(self.studio.prefs.presets, self.studio.doc.params)
        return match.name if match else None

    def refresh(self) -> None:
        """List the presets and show the one the settings match ("Custom settings" if none)."""
        presets = self.studio.prefs.presets
        current = self.current_name()
        self.choice.blockSignals(True)
        self.choice.clear()
        self.choice.addItem(CUSTOM if presets else NO_PRESETS, None)
        self.choice.model().item(0).setEnabled(False)  # a state shown, not a choice
        for preset in presets:
            self.choice.addItem(preset.name, preset.name)
        self.choice.setCurrentIndex(self.choice.findData(current) if current else 0)
        self.choice.blockSignals(False)
        self.buttons["delete"].setEnabled(current is not None)
        self.buttons["reset"].setEnabled(matching_preset([DEFAULTS], self.studio.doc.params) is None)

    def _chosen(self, index: int) -> None:
        name = self.choice.itemData(index)
        if name is not None:
            self.apply_preset(name)
        self.refresh()
