"""The Evidence panel: named sets of example images, their thumbnails, and everything done to them.

Top: the list of sets (new, duplicate, rename, delete; drop files here to
start a new set).  Below: the current set's thumbnails (drop files or
folders here to add them, paste with Ctrl+V), each with its checkbox, its
bits/dim and a warning badge when the model finds it very unlikely.  A
PNG exported by Flow Studio dropped on this panel is an example like any
image (a message offers to restore its settings instead).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QItemSelectionModel, QSize, Qt
from PySide6.QtGui import QAction, QGuiApplication, QPainter
from PySide6.QtWidgets import (QAbstractItemView, QHBoxLayout, QListView, QListWidget, QListWidgetItem, QMenu,
                               QSizePolicy, QStyledItemDelegate, QToolButton, QVBoxLayout, QWidget)

from flowstudio.resources import example_sets
from flowstudio.studio._qt.dialogs import IMAGE_FILTER, ask_folder, ask_open_paths
from flowstudio.studio._qt.evidence_flow import NEW_SET
from flowstudio.studio._qt.file_drops import accept_file_drops
from flowstudio.studio._qt.labels import LiveLabel, role_label
from flowstudio.studio._qt.icons import bind_icon, icon_button
from flowstudio.studio._qt.panels import PanelSpec, ScreenshotSpec, register_panel
from flowstudio.studio._qt.panels.evidence_model import UID_ROLE, EvidenceDelegate, EvidenceListModel
from flowstudio.studio._qt.evidence_flow import plural
from flowstudio.studio._qt.views.notice import Notice

EMPTY_HINT = "Drop example images or folders here\n(or paste with Ctrl+V)"
COUNT_ROLE = Qt.ItemDataRole.UserRole + 10
MAX_VISIBLE_SETS = 5


def _tool_button(icon: str, tip: str, slot: Any) -> QToolButton:
    button = QToolButton(toolTip=tip, autoRaise=True)
    bind_icon(button, icon)
    button.clicked.connect(slot)
    return button


class SetItemDelegate(QStyledItemDelegate):
    """A set's row: its name, and its number of images right-aligned."""

    def paint(self, painter: QPainter, option: Any, index: Any) -> None:
        super().paint(painter, option, index)
        painter.save()
        painter.setPen(option.palette.placeholderText().color())
        painter.drawText(option.rect.adjusted(0, 0, -10, 0), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         index.data(COUNT_ROLE) or "")
        painter.restore()


class ThumbnailView(QListView):
    """Icon-mode list for thousands of tiles: uniform sizes, laid out in batches; paints a hint when empty."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setUniformItemSizes(True)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(256)
        self.setSpacing(2)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        if self.model() is not None and self.model().rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(self.palette().placeholderText().color())
            painter.drawText(self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, EMPTY_HINT)


class EvidencePanel(QWidget):
    def __init__(self, studio: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        doc = studio.doc

        sets_label = role_label("Evidence sets", "heading")
        self.sets = QListWidget()
        self.sets.setItemDelegate(SetItemDelegate(self.sets))
        self.sets.setToolTip("Your sets of example images. Drop files here to start a new set; "
                             "double-click to rename.")
        self.sets.currentItemChanged.connect(self._set_clicked)
        self.sets.itemChanged.connect(self._set_renamed)
        accept_file_drops(self.sets, lambda paths: studio.handle_drop(paths, new_set=True, as_examples=True))
        set_buttons = QHBoxLayout()
        set_buttons.setSpacing(2)
        for icon, tip, slot in (("fa5s.plus", "New empty set (Ctrl+N)", self.new_set),
                                ("fa5s.clone", "Duplicate this set (Ctrl+D)", self.duplicate_set),
                                ("fa5s.i-cursor", "Rename this set (F2)", self.start_rename),
                                ("fa5s.trash-alt", "Delete this set (undo brings it back)", self.delete_set)):
            set_buttons.addWidget(_tool_button(icon, tip, slot))
        set_buttons.addStretch(1)

        self.set_title = LiveLabel("", "heading")
        self.set_stats = LiveLabel("", "hint")
        self.conversion = Notice("info")  # what loading did to the set's images to fit the model
        add = icon_button("Add images…", "fa5s.images", "Choose image files to add to this set (Ctrl+I)",
                          self.ask_add_images)
        add_folder = icon_button("Folder…", "fa5s.folder-plus", "Add every image in a folder (Ctrl+Shift+I)",
                                 self.ask_add_folder)
        add_row = QHBoxLayout()
        add_row.addWidget(add, 1)
        add_row.addWidget(add_folder, 1)

        self.model = EvidenceListModel(studio)
        self.view = ThumbnailView()
        studio.host.stateChanged.connect(lambda _: self.view.viewport().update())  # tiles show the model state
        self.view.setModel(self.model)
        self.view.setItemDelegate(EvidenceDelegate(studio, self.view))
        self.view.customContextMenuRequested.connect(self._context_menu)
        accept_file_drops(self.view, self.drop_on_thumbnails)
        accept_file_drops(self, self.drop_on_thumbnails)  # anywhere else on the panel, too
        self.remove_action = QAction("Remove selected images", self.view, shortcut="Del",
                                     shortcutContext=Qt.ShortcutContext.WidgetWithChildrenShortcut,
                                     triggered=self.remove_selected)
        self.toggle_action = QAction("Include / exclude selected", self.view, shortcut="Space",
                                     shortcutContext=Qt.ShortcutContext.WidgetWithChildrenShortcut,
                                     triggered=self.toggle_selected)
        self.view.addActions([self.remove_action, self.toggle_action])

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(8)
        layout.addWidget(sets_label)
        layout.addWidget(self.sets)
        layout.addLayout(set_buttons)
        layout.addSpacing(6)
        layout.addWidget(self.set_title)
        layout.addWidget(self.set_stats)
        layout.addWidget(self.conversion)
        layout.addLayout(add_row)
        layout.addWidget(self.view, 1)
        layout.addWidget(role_label("Tip: drop images or folders anywhere in the window; Ctrl+V pastes.", "hint",
                                    wrap=True))

        doc.setsChanged.connect(self.refresh_sets)
        doc.currentSetChanged.connect(self._current_changed)
        for signal in (doc.itemsInserted, doc.itemsRemoved):
            signal.connect(lambda _: self.refresh_sets())
        doc.itemsChanged.connect(lambda *_: self._update_stats())
        self.refresh_sets()
        self._current_changed(doc.document.current)

    # -- sets ---------------------------------------------------------------------------
    def refresh_sets(self) -> None:
        doc = self.studio.doc
        self.sets.blockSignals(True)
        self.sets.clear()
        for s in doc.sets:
            item = QListWidgetItem(s.name)
            item.setData(UID_ROLE, s.uid)
            item.setData(COUNT_ROLE, str(len(s.items)))
            item.setData(Qt.ItemDataRole.ToolTipRole, f"{s.name}: {plural(len(s.items), 'image')}")
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsEditable)
            self.sets.addItem(item)
            if s.uid == doc.document.current:
                self.sets.setCurrentItem(item)
        self.sets.blockSignals(False)
        rows = min(max(self.sets.count(), 2), MAX_VISIBLE_SETS)
        self.sets.setFixedHeight(rows * self.sets.sizeHintForRow(0) + 2 * self.sets.frameWidth() + 4
                                 if self.sets.count() else 2 * 30)
        self._update_stats()

    def _set_clicked(self, item: QListWidgetItem | None, _: Any = None) -> None:
        if item is not None:
            self.studio.doc.set_current(item.data(UID_ROLE))

    def _set_renamed(self, item: QListWidgetItem) -> None:
        self.studio.edit.rename_set(item.data(UID_ROLE), item.text())

    def _current_changed(self, uid: str | None) -> None:
        self.model.show_set(uid)
        self.refresh_sets()

    def _update_stats(self) -> None:
        s = self.studio.doc.current_set
        if s is None:
            self.set_title.setText("No set selected")
            self.set_stats.setText("Drop images to start a set.")
            self.conversion.show_text("")
            return
        used = len(s.usable_items())
        flagged = sum(1 for i in s.items if i.unlikely)
        unreadable = sum(1 for i in s.items if i.error)
        parts = [plural(len(s.items), "image"), f"{used} used"]
        parts += [f"{flagged} unlikely"] if flagged else []
        parts += [f"{unreadable} unreadable"] if unreadable else []
        self.set_title.setText(s.name)
        self.set_stats.setText(" · ".join(parts))
        note = self.studio.evidence.conversion_note(s.uid)
        self.conversion.show_text("Converted for this model" if note else "", note[:1].upper() + note[1:] + "."
                                  if note else "")

    def current_uid(self) -> str | None:
        return self.studio.doc.document.current

    def new_set(self) -> None:
        self.studio.edit.add_set(NEW_SET)

    def duplicate_set(self) -> None:
        if self.current_uid():
            self.studio.edit.duplicate_set(self.current_uid())

    def delete_set(self) -> None:
        if self.current_uid():
            self.studio.edit.delete_set(self.current_uid())

    def start_rename(self) -> None:
        item = self.sets.currentItem()
        if item is not None:
            self.sets.editItem(item)

    # -- images -------------------------------------------------------------------------
    def drop_on_thumbnails(self, paths: list[str]) -> None:
        """Files dropped on the thumbnails go into this set (a new one if there is none), exported PNGs too."""
        self.studio.handle_drop(paths, set_uid=self.current_uid(), as_examples=True)

    def ask_add_images(self) -> None:
        paths = ask_open_paths(self, "Add example images", self.studio.prefs, IMAGE_FILTER)
        if paths:
            self.studio.evidence.add(paths, set_uid=self.current_uid(), new_set=self.current_uid() is None)

    def ask_add_folder(self) -> None:
        folder = ask_folder(self, "Add a folder of example images", self.studio.prefs)
        if folder:
            self.studio.evidence.add([folder], set_uid=self.current_uid())

    def selected_uids(self) -> list[str]:
        return [index.data(UID_ROLE) for index in self.view.selectionModel().selectedIndexes()]

    def select_rows(self, rows: list[int]) -> None:
        selection = self.view.selectionModel()
        selection.clearSelection()
        for row in rows:
            selection.select(self.model.index(row), QItemSelectionModel.SelectionFlag.Select)

    def remove_selected(self) -> None:
        if self.current_uid():
            self.studio.edit.remove_items(self.current_uid(), self.selected_uids())

    def toggle_selected(self) -> None:
        uids = self.selected_uids()
        s = self.studio.doc.current_set
        if s is not None and uids:
            include = not all(item.included for item in s.items if item.uid in set(uids))
            self.studio.edit.set_included(s.uid, uids, include)

    def _context_menu(self, pos: Any) -> None:
        uids = self.selected_uids()
        if not uids or self.current_uid() is None:
            return
        menu = QMenu(self)
        menu.addAction("Include", lambda: self.studio.edit.set_included(self.current_uid(), uids, True))
        menu.addAction("Exclude", lambda: self.studio.edit.set_included(self.current_uid(), uids, False))
        menu.addSeparator()
        menu.addAction("Copy path", lambda: QGuiApplication.clipboard().setText(
            "\n".join(i.path for i in self.studio.doc.current_set.items if i.uid in set(uids))))
        menu.addAction(self.remove_action)
        menu.exec(self.view.viewport().mapToGlobal(pos))

    def sizeHint(self) -> QSize:
        return QSize(340, 600)


def _show_an_unlikely_example(window: Any) -> None:
    """Screenshot state: the sneakers plus two portraits dropped among them by mistake, which the model flags
    (badges on their thumbnails, scrolled into view, and the grid's notice naming them).

    Not the noise-occluded sneakers: at 4.1-4.2 bits/dim among sneakers of 1.9-2.8 they sit just under the
    within-set limit, so the screenshot showed no badge at all.
    """
    from flowstudio.resources import resources_dir
    from flowstudio.studio._qt.screenshots import wait_until_idle

    portraits = sorted((resources_dir() / "evidence" / "portraits" / "red-hair").iterdir())[:2]
    window.studio.evidence.add_to_new_set("sneakers + 2 portraits", [example_sets()["sneakers"], *portraits])
    wait_until_idle(window)
    panel = window.panels["evidence"]
    panel.view.scrollToBottom()


register_panel(PanelSpec("evidence", "Evidence", "fa5s.images", "left", EvidencePanel, order=10,
                         screenshots=(ScreenshotSpec("unlikely-evidence", _show_an_unlikely_example),)))
