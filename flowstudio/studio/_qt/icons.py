"""Icons from qtawesome, coloured for the current theme and recoloured when it changes.

Widgets ask for icons with :func:`bind_icon` (buttons, actions): the icon is
set now and again after every :func:`set_icon_palette`, so switching between
the dark and light themes never leaves dark icons on a dark background.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import qtawesome as qta
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QPushButton

_palette: dict[str, str] = {"normal": "#d7dae0", "disabled": "#6b7079", "accent": "#5aa9ff", "on_accent": "#0d1117",
                            "info": "#5aa9ff", "success": "#4cc38a", "warning": "#f0b429", "error": "#f06a6a"}
_bound: "weakref.WeakKeyDictionary[Any, tuple[str, str]]" = weakref.WeakKeyDictionary()


def theme_colour(role: str) -> str:
    """The current theme's colour for ``role`` (``"warning"``, ``"accent"``, ...), as ``#rrggbb``."""
    return _palette.get(role, _palette["normal"])


def themed_icon(name: str, role: str = "normal") -> QIcon:
    """The qtawesome icon ``name`` (e.g. ``"fa5s.dice"``) in the theme's colour for ``role``."""
    return qta.icon(name, color=_palette.get(role, _palette["normal"]), color_disabled=_palette["disabled"])


def bind_icon(target: Any, name: str, role: str = "normal") -> None:
    """Give ``target`` (anything with ``setIcon``) a themed icon that follows theme changes."""
    target.setIcon(themed_icon(name, role))
    _bound[target] = (name, role)


def icon_button(text: str, icon: str, tooltip: str, on_click: Callable[[], Any] | None = None) -> QPushButton:
    """A push button with a themed icon (following theme changes), a tooltip and its click handler."""
    button = QPushButton(text, toolTip=tooltip)
    bind_icon(button, icon)
    if on_click is not None:
        button.clicked.connect(on_click)
    return button


def set_icon_palette(colours: dict[str, str]) -> None:
    """Switch icon colours and recolour every bound icon."""
    _palette.update(colours)
    for target, (name, role) in list(_bound.items()):
        try:
            target.setIcon(themed_icon(name, role))
        except RuntimeError:  # the widget was deleted on the C++ side
            _bound.pop(target, None)
