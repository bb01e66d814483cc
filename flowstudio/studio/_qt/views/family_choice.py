"""A combo box of the registry's families that learn one kind of data (the Train and Playground tabs' choice)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from flowstudio.registry import Family, families_for


def family_choice(data_kind: str, tip: str, keep: Callable[[Family], bool] | None = None) -> QComboBox:
    """Every family learning ``data_kind`` (and passing ``keep``, if given), in registry order: its label shown,
    its name as the item's data, and what it is (summary and paper) as the item's tooltip."""
    combo = QComboBox(toolTip=tip)
    fill_family_choice(combo, data_kind, keep)
    return combo


def fill_family_choice(combo: QComboBox, data_kind: str, keep: Callable[[Family], bool] | None = None) -> None:
    """Refill ``combo`` as :func:`family_choice` fills it, keeping the chosen family where it is still listed."""
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    for entry in families_for(data_kind):
        if keep is None or keep(entry):
            combo.addItem(entry.label, entry.name)
            combo.setItemData(combo.count() - 1, f"{entry.summary} ({entry.reference})", Qt.ItemDataRole.ToolTipRole)
    combo.setCurrentIndex(max(0, combo.findData(chosen)))
    combo.blockSignals(False)
