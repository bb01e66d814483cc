"""Small dialogs: file choosers that remember the last folder, About, keyboard shortcuts, message history.

Choosers for what the user opens (examples, models, projects) remember one
folder; those for exports remember another (:func:`export_dir`), so results
never end up among the examples.
"""

from __future__ import annotations

import html
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QHeaderView, QLabel, QTableWidget,
                               QTableWidgetItem, QTextBrowser, QVBoxLayout, QWidget)

from flowstudio import __version__
from flowstudio.resources import resources_dir
from flowstudio.studio.model_card import card_rows
from flowstudio.studio.paths import default_export_dir, runs_dir, settings_file

IMAGE_FILTER = "Images (*.png *.jpg *.jpeg *.jfif *.webp *.bmp *.gif);;All files (*)"
MODEL_FILTER = ("Models (*.safetensors *.pt *.pth *.pkg *.bin *.ckpt);;Flow Studio models (*.safetensors);;"
                "All files (*)")
PROJECT_FILTER = "Flow Studio projects (*.flowstudio.json);;All files (*)"
PNG_FILTER = "PNG images (*.png)"


OPEN_DIR, EXPORT_DIR = "last_dir", "export_dir"


def export_dir(prefs: Any) -> Path:
    """The folder exports start in: the last one an export went to, else ``Pictures/Flow Studio`` (made if needed)."""
    chosen = prefs.get(EXPORT_DIR)
    if chosen and Path(chosen).is_dir():
        return Path(chosen)
    folder = default_export_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return Path.home()
    return folder


def _start_dir(prefs: Any, name: str = "", folder_key: str = OPEN_DIR) -> str:
    base = export_dir(prefs) if folder_key == EXPORT_DIR else Path(prefs.get(folder_key))
    return str(base / name)


def ask_save_path(parent: QWidget, title: str, name: str, prefs: Any, filter: str = PNG_FILTER,
                  folder_key: str = OPEN_DIR) -> str | None:
    path, _ = QFileDialog.getSaveFileName(parent, title, _start_dir(prefs, name, folder_key), filter)
    if path:
        prefs.set(folder_key, str(Path(path).parent))
    return path or None


def ask_export_path(parent: QWidget, title: str, name: str, prefs: Any, filter: str = PNG_FILTER) -> str | None:
    """A save dialog in the export folder (which it remembers)."""
    return ask_save_path(parent, title, name, prefs, filter, EXPORT_DIR)


def ask_open_paths(parent: QWidget, title: str, prefs: Any, filter: str, multiple: bool = True) -> list[str]:
    if multiple:
        paths, _ = QFileDialog.getOpenFileNames(parent, title, _start_dir(prefs), filter)
    else:
        path, _ = QFileDialog.getOpenFileName(parent, title, _start_dir(prefs), filter)
        paths = [path] if path else []
    if paths:
        prefs.set("last_dir", str(Path(paths[0]).parent))
    return paths


def ask_folder(parent: QWidget, title: str, prefs: Any, folder_key: str = OPEN_DIR) -> str | None:
    path = QFileDialog.getExistingDirectory(parent, title, _start_dir(prefs, folder_key=folder_key))
    if path:
        prefs.set(folder_key, path)
    return path or None


def _dialog(parent: QWidget, title: str, body: QWidget, width: int, height: int) -> QDialog:
    dialog = QDialog(parent, windowTitle=title)
    buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
    buttons.rejected.connect(dialog.reject)
    layout = QVBoxLayout(dialog)
    layout.addWidget(body)
    layout.addWidget(buttons)
    dialog.resize(width, height)
    return dialog


def installation() -> str:
    """Where this Flow Studio runs from, in words (the packaged app's folder, or Python's)."""
    from flowstudio.selfcheck import bundle_folder

    folder = bundle_folder()
    return f"Packaged app in {folder}" if folder else f"Run from Python ({sys.executable})"


def about_dialog(parent: QWidget, model_info: Any) -> QDialog:
    rows = "".join(f"<tr><td style='color:gray;padding-right:12px'>{k}</td><td>{v}</td></tr>"
                   for k, v in card_rows(model_info)) if model_info else "<tr><td>No model is loaded.</td></tr>"
    data_licence = resources_dir() / "evidence" / "LICENSE.md"
    html = f"""
    <h2>Flow Studio {__version__}</h2>
    <p>Bend a pretrained normalizing flow toward a few example images, without retraining
    (Transflow learning: Gambardella, Baydin &amp; Torr, 2019).</p>
    <p>Licence: MIT.</p>
    <p style='color:gray'>{installation()}<br>Your settings: <code>{settings_file().parent}</code><br>
    Your training runs: <code>{runs_dir()}</code></p>
    <h3>Current model</h3><table>{rows}</table>
    <h3>Data</h3>
    <p>The example evidence images come from the Fashion-MNIST test split, © 2017 Zalando SE, MIT licence
    (see <code>{data_licence}</code>).</p>
    <h3>Built with</h3>
    <p>PyTorch (BSD), Qt for Python / PySide6 (LGPLv3), superqt (BSD), QtAwesome (MIT) with Font Awesome
    icons (SIL OFL 1.1 / CC BY 4.0), Pillow (MIT-CMU), NumPy (BSD), safetensors (Apache 2.0).</p>
    """
    body = QTextBrowser(openExternalLinks=True)
    body.setHtml(html)
    return _dialog(parent, "About Flow Studio", body, 560, 560)


def shortcuts_dialog(parent: QWidget, rows: Sequence[tuple[str, str, str]]) -> QDialog:
    """``rows``: ``(group, action, keys)``."""
    table = QTableWidget(len(rows), 3)
    table.setHorizontalHeaderLabels(["Menu", "Action", "Keys"])
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled)
            table.setItem(r, c, item)
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(26)
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
    table.setShowGrid(False)
    table.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
    return _dialog(parent, "Keyboard shortcuts", table, 520, 620)


def messages_dialog(parent: QWidget, history: Sequence[Any]) -> QDialog:
    lines = []
    for m in reversed(history):
        lines.append(f"<p><b>{m.level.upper()}</b> · {html.escape(m.title)}<br>{html.escape(m.text)}</p>")
        if m.details:
            lines.append("<pre>" + html.escape("\n".join(m.details)) + "</pre>")
    body = QTextBrowser()
    body.setHtml("".join(lines) or "<p>No messages yet.</p>")
    label = QLabel("Every message since Flow Studio started, newest first.")
    box = QWidget()
    layout = QVBoxLayout(box)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(label)
    layout.addWidget(body)
    return _dialog(parent, "Messages", box, 640, 480)
