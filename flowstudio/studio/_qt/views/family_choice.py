"""A combo box of the registry's families that learn one kind of data (the Train and Playground tabs' choice)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox

from flowstudio.registry import families_for


def family_choice(data_kind: str, tip: str) -> QComboBox:
    """Every family learning ``data_kind``, in registry order: its label shown, its name as the item's data, and
    what it is (summary and paper) as the item's tooltip."""
    combo = QComboBox(toolTip=tip)
    for entry in families_for(data_kind):
        combo.addItem(entry.label, entry.name)
        combo.setItemData(combo.count() - 1, f"{entry.summary} ({entry.reference})", Qt.ItemDataRole.ToolTipRole)
    return combo
