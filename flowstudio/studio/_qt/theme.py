"""Dark (default) and light themes: a Fusion palette, one small stylesheet, and matching icon colours.

Drop-downs open as a plain list under the box (``combobox-popup: 0``):
Fusion's menu-like popup ignores the style sheet's selection colours and
drew the current item as dark text on a dark row.  Their arrow is drawn in
the theme's colours, without Fusion's frame around it.
"""

from __future__ import annotations

from pathlib import Path

import qtawesome as qta
from PySide6.QtCore import QTemporaryDir
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory

from flowstudio.studio._qt.icons import set_icon_palette

THEMES = {
    "dark": {
        "window": "#1e2024", "panel": "#24272c", "base": "#17181b", "alt": "#202227", "raised": "#2b2f35",
        "button": "#2e3238", "border": "#373b42", "text": "#e4e6ea", "dim": "#9ba1aa", "accent": "#5b9bff",
        "accent_text": "#0d1117", "accent_soft": "#24406b", "warning": "#f0b429", "error": "#f06a6a",
        "success": "#4cc38a", "cell": "#000000",
    },
    "light": {
        "window": "#eef0f3", "panel": "#f6f7f9", "base": "#ffffff", "alt": "#f3f4f6", "raised": "#ffffff",
        "button": "#ffffff", "border": "#cfd3da", "text": "#1d2025", "dim": "#5d646e", "accent": "#2f6fdf",
        "accent_text": "#ffffff", "accent_soft": "#d6e4fb", "warning": "#b7791f", "error": "#d64545",
        "success": "#2f9e67", "cell": "#000000",
    },
}
DEFAULT_THEME = "dark"
ARROW_ICON = "fa5s.chevron-down"

STYLESHEET = """
QMainWindow, QDialog {{ background: {window}; }}
QMainWindow::separator {{ background: {border}; width: 1px; height: 1px; }}
QDockWidget {{ font-weight: 600; }}
QDockWidget::title {{ background: {panel}; padding: 7px 10px; border-bottom: 1px solid {border}; }}
QDockWidget > QWidget {{ background: {panel}; font-weight: normal; }}
QGroupBox {{ border: 1px solid {border}; border-radius: 7px; margin-top: 18px; padding: 12px 10px 10px 10px; }}
QGroupBox::title {{ subcontrol-origin: margin; left: 10px; top: 2px; padding: 0 4px; color: {dim};
                    font-weight: 600; }}
QToolTip {{ background: {raised}; color: {text}; border: 1px solid {border}; padding: 6px; }}
QMenu {{ background: {raised}; color: {text}; border: 1px solid {border}; padding: 4px 0; }}
QMenu::separator {{ height: 1px; background: {border}; margin: 4px 8px; }}
QPushButton {{ background: {button}; border: 1px solid {border}; border-radius: 5px; padding: 5px 12px;
               min-height: 18px; }}
QPushButton:hover {{ border-color: {accent}; }}
QPushButton:pressed, QPushButton:checked {{ background: {accent_soft}; border-color: {accent}; }}
QPushButton:disabled {{ color: {dim}; }}
QPushButton[flat="true"] {{ background: transparent; border: none; color: {accent}; padding: 4px 6px; }}
QPushButton[role="primary"] {{ background: {accent}; color: {accent_text}; border-color: {accent};
                               font-weight: 600; }}
QPushButton[role="primary"]:disabled {{ background: {accent_soft}; color: {dim}; border-color: {accent_soft}; }}
QToolButton {{ border-radius: 5px; padding: 4px; }}
QToolButton:hover {{ background: {raised}; }}
QToolButton:checked {{ background: {accent_soft}; }}
QToolBar {{ background: {window}; border: none; border-bottom: 1px solid {border}; padding: 4px 6px;
            spacing: 4px; }}
QToolBar::separator {{ background: {border}; width: 1px; margin: 4px 6px; }}
QTabWidget::pane {{ border: none; border-top: 1px solid {border}; }}
QTabBar::tab {{ background: transparent; color: {dim}; padding: 8px 16px; border: none;
                border-bottom: 2px solid transparent; }}
QTabBar::tab:selected {{ color: {text}; border-bottom: 2px solid {accent}; }}
QTabBar::tab:hover {{ color: {text}; }}
QListView, QListWidget, QPlainTextEdit {{ background: {base}; border: 1px solid {border}; border-radius: 6px; }}
QListWidget::item {{ padding: 5px 6px; border-radius: 4px; }}
QListWidget::item:selected {{ background: {accent_soft}; color: {text}; }}
QComboBox, QLineEdit {{ background: {base}; border: 1px solid {border}; border-radius: 5px; padding: 3px 6px;
                       min-height: 20px; }}
QComboBox:focus, QLineEdit:focus {{ border-color: {accent}; }}
QComboBox {{ color: {text}; combobox-popup: 0; }}
QComboBox:disabled {{ color: {dim}; }}
QComboBox QAbstractItemView {{ background: {raised}; color: {text}; border: 1px solid {border}; outline: 0;
                              selection-background-color: {accent_soft}; selection-color: {text}; }}
QComboBox QAbstractItemView::item {{ min-height: 24px; padding: 0 8px; }}
QComboBox QAbstractItemView::item:selected {{ background: {accent_soft}; color: {text}; }}
QComboBox QAbstractItemView::item:disabled {{ color: {dim}; }}
QComboBox::drop-down {{ border: none; width: 20px; }}
QComboBox::down-arrow {{ image: url({down_arrow}); width: 10px; height: 10px; }}
QStatusBar {{ background: {window}; border-top: 1px solid {border}; color: {dim}; }}
QProgressBar {{ background: {base}; border: 1px solid {border}; border-radius: 4px; max-height: 12px;
                text-align: center; color: transparent; }}
QProgressBar::chunk {{ background: {accent}; border-radius: 3px; }}
QLabel[role="hint"] {{ color: {dim}; }}
QLabel[role="heading"] {{ font-size: 15px; font-weight: 600; }}
QLabel[role="value"] {{ font-weight: 600; }}
QFrame#toast {{ background: {raised}; border: 1px solid {border}; border-radius: 8px; }}
QFrame#toast[level="warning"] {{ border-left: 4px solid {warning}; }}
QFrame#toast[level="error"] {{ border-left: 4px solid {error}; }}
QFrame#toast[level="success"] {{ border-left: 4px solid {success}; }}
QFrame#toast[level="info"] {{ border-left: 4px solid {accent}; }}
QFrame#card {{ background: {alt}; border: 1px solid {border}; border-radius: 7px; }}
QFrame#notice {{ background: {alt}; border: 1px solid {border}; border-radius: 7px; }}
QFrame#notice[level="warning"] {{ border-left: 4px solid {warning}; }}
QFrame#notice[level="info"] {{ border-left: 4px solid {accent}; }}
"""


def theme_colours(name: str) -> dict[str, str]:
    return THEMES.get(name, THEMES[DEFAULT_THEME])


def _palette(c: dict[str, str]) -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: c["window"], QPalette.ColorRole.WindowText: c["text"],
        QPalette.ColorRole.Base: c["base"], QPalette.ColorRole.AlternateBase: c["alt"],
        QPalette.ColorRole.ToolTipBase: c["raised"], QPalette.ColorRole.ToolTipText: c["text"],
        QPalette.ColorRole.Text: c["text"], QPalette.ColorRole.Button: c["button"],
        QPalette.ColorRole.ButtonText: c["text"], QPalette.ColorRole.Highlight: c["accent"],
        QPalette.ColorRole.HighlightedText: c["accent_text"], QPalette.ColorRole.Link: c["accent"],
        QPalette.ColorRole.PlaceholderText: c["dim"], QPalette.ColorRole.Mid: c["border"],
        QPalette.ColorRole.Dark: c["dim"], QPalette.ColorRole.Shadow: c["window"], QPalette.ColorRole.Light: c["raised"],
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor(c["dim"]))
    return p


_icon_files = QTemporaryDir()
"""Images the style sheet names (it takes files only); removed when the app exits."""


def _arrow_file(colour: str) -> str:
    """A drop-down arrow in ``colour``, as a PNG file for the style sheet."""
    path = Path(_icon_files.path()) / f"down-{colour.lstrip('#')}.png"
    if not path.is_file():
        qta.icon(ARROW_ICON, color=colour).pixmap(32, 32).save(str(path))
    return path.as_posix()


def apply_theme(app: QApplication, name: str) -> str:
    """Style the whole application with theme ``name`` (unknown names fall back to dark); returns the name used."""
    name = name if name in THEMES else DEFAULT_THEME
    c = THEMES[name]
    app.setStyle(QStyleFactory.create("Fusion"))
    app.setPalette(_palette(c))
    app.setStyleSheet(STYLESHEET.format(**c, down_arrow=_arrow_file(c["dim"])))
    set_icon_palette({"normal": c["text"], "disabled": c["dim"], "accent": c["accent"],
                      "on_accent": c["accent_text"], "info": c["accent"],
                      "success": c["success"], "warning": c["warning"], "error": c["error"]})
    return name
