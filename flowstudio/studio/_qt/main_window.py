"""The main window: the registered panels as docks and tabs around the sample grid, menus, drops, closing.

The window is built before any model work starts (the first model load,
on a worker thread, is what imports torch), so it appears at once in a
loading state.  What the window does on a menu command, a drop or a paste
is the :class:`~flowstudio.studio._qt.studio.Studio`'s; the window asks for
file names, arranges panels, and keeps its layout across restarts.

Every panel has a View menu entry with Ctrl+1, Ctrl+2, ...; docks that
share a side show their tabs at the top, and every dock scrolls, so the
window fits a small screen (:mod:`.screen_fit`).  Quitting, a new project
and opening one first ask about unsaved changes; after Save, the command
goes on once the file is written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QActionGroup, QCloseEvent, QGuiApplication, QKeySequence
from PySide6.QtWidgets import (QApplication, QDockWidget, QMainWindow, QMessageBox, QTabWidget, QToolBar,
                               QToolButton, QWidget)

from flowstudio.studio._qt import dialogs
from flowstudio.studio._qt.actions import ACTIONS, EXTRA_SHORTCUTS, MENUS, TOOLBAR
from flowstudio.studio._qt.file_drops import accept_file_drops, dropped_paths
from flowstudio.studio._qt.icons import bind_icon
from flowstudio.studio._qt.jobs_widget import JobsWidget
from flowstudio.studio._qt.training_indicator import TrainingIndicator
from flowstudio.studio._qt.notifications import ToastArea
from flowstudio.studio._qt.panels import registered_panels
from flowstudio.studio._qt.recent_menu import RecentProjectsMenu
from flowstudio.studio._qt.screen_fit import clamp_to_screen, open_fitted
from flowstudio.studio._qt.settings import Preferences
from flowstudio.studio._qt.studio import Studio
from flowstudio.studio._qt.theme import apply_theme
from flowstudio.studio._qt.views.scroll_body import scrolling
from flowstudio.studio.state import PROJECT_SUFFIX, PosteriorParams

DOCK_WIDTH = {"left": 336, "right": 336}  # the right one has room for its scroll bar on a short screen
PANEL_SHORTCUTS = tuple(f"Ctrl+{n}" for n in range(1, 10))


class MainWindow(QMainWindow):
    def __init__(self, prefs: Preferences | None = None):
        super().__init__()
        self.setObjectName("FlowStudioMain")
        self.prefs = prefs or Preferences()
        self.studio = Studio(self.prefs, self)
        self.theme = apply_theme(QApplication.instance(), self.prefs.get("theme"))
        open_fitted(self)
        self.setDockOptions(QMainWindow.DockOption.AnimatedDocks | QMainWindow.DockOption.AllowTabbedDocks)

        self._closed = False
        self._close_confirmed = False  # the questions before closing were answered (a save then closes)
        self.panels: dict[str, QWidget] = {}
        self._tab_icons: list[_TabIcon] = []
        self.docks: dict[str, QDockWidget] = {}
        self.tabs = QTabWidget(documentMode=True)
        self.setCentralWidget(self.tabs)
        self._build_panels()
        self.actions_by_key: dict[str, QAction] = {}
        self._build_actions()
        self._build_menus_and_toolbar()
        self.status_model = QToolButton(autoRaise=True, toolTip="The open model: click to see its card or choose "
                                        "another (Model panel)")
        self.status_model.clicked.connect(lambda: self.show_panel("model"))
        self.statusBar().addWidget(self.status_model)
        self.jobs = JobsWidget(self.studio.host.jobs)
        self.statusBar().addWidget(self.jobs, 1)  # the rest of the bar: the job's text changes at every step
        self.training_indicator = TrainingIndicator(self.studio.training, lambda: self.show_panel("train"))
        self.statusBar().addPermanentWidget(self.training_indicator)
        self.toasts = ToastArea(self.studio.notifier, self)
        accept_file_drops(self, self.studio.handle_drop)

        self.default_state = self.saveState()
        geometry, state = self.prefs.window_state()
        if geometry is not None:
            self.restoreGeometry(geometry)
            clamp_to_screen(self)
        if state is not None:
            self.restoreState(state)

        studio = self.studio
        studio.projects.changed.connect(self.update_title)
        studio.host.modelLoaded.connect(lambda info: self.status_model.setText(f"Model: {info.model_id}"))
        studio.doc.paramsChanged.connect(lambda _: self._sync_lock_action())
        self.update_title()
        self._sync_lock_action()

    def start(self, project: str | None = None, model: str | None = None) -> None:
        """Begin loading (model, example set or project) once the window exists."""
        self.studio.start(project, model)

    # -- building -------------------------------------------------------------------------
    def _build_panels(self) -> None:
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        for spec in registered_panels():
            widget = spec.factory(self.studio)
            self.panels[spec.key] = widget
            if spec.area == "center":
                self.tabs.addTab(widget, spec.title)
                self._tab_icons.append(_TabIcon(self.tabs, self.tabs.count() - 1))
                bind_icon(self._tab_icons[-1], spec.icon)
                continue
            dock = QDockWidget(spec.title, self, objectName=f"dock-{spec.key}")
            dock.setWidget(scrolling(widget))
            self._tab_icons.append(_DockIcon(dock))
            bind_icon(self._tab_icons[-1], spec.icon)
            dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable
                             | QDockWidget.DockWidgetFeature.DockWidgetFloatable
                             | QDockWidget.DockWidgetFeature.DockWidgetClosable)
            area = Qt.DockWidgetArea.LeftDockWidgetArea if spec.area == "left" else Qt.DockWidgetArea.RightDockWidgetArea
            same_side = [d for k, d in self.docks.items() if self.dockWidgetArea(d) == area]
            self.addDockWidget(area, dock)
            if same_side:
                self.tabifyDockWidget(same_side[0], dock)
            self.docks[spec.key] = dock
        for dock in self.docks.values():  # the first panel of each side in front
            if self.tabifiedDockWidgets(dock):
                first = min([dock, *self.tabifiedDockWidgets(dock)], key=lambda d: list(self.docks.values()).index(d))
                first.raise_()
        self.resizeDocks(list(self.docks.values()), [DOCK_WIDTH[s.area] for s in registered_panels() if s.key in self.docks],
                         Qt.Orientation.Horizontal)

    def _build_actions(self) -> None:
        handlers = self._handlers()
        stack = self.studio.undo
        for spec in ACTIONS:
            if spec.key == "undo":
                action = stack.createUndoAction(self, "&Undo")
            elif spec.key == "redo":
                action = stack.createRedoAction(self, "&Redo")
            else:
                action = QAction(spec.text, self, checkable=spec.checkable)
                action.triggered.connect(handlers[spec.key])
            keys = [QKeySequence(spec.shortcut)] + ([QKeySequence("Ctrl+Y")] if spec.key == "redo" else [])
            if spec.shortcut:
                action.setShortcuts(keys)
            if spec.tip:
                action.setToolTip(f"{spec.tip} ({spec.shortcut})" if spec.shortcut else spec.tip)
            if spec.icon:
                bind_icon(action, spec.icon)
            self.actions_by_key[spec.key] = action
            self.addAction(action)
        self.panel_actions = self._panel_actions()
        themes = QActionGroup(self)
        for key in ("theme_dark", "theme_light"):
            themes.addAction(self.actions_by_key[key])
        self.actions_by_key[f"theme_{self.theme}"].setChecked(True)

    def _panel_actions(self) -> list[QAction]:
        """View → one entry per panel, with Ctrl+1, Ctrl+2, ... in order: the centre tabs, then the docks."""
        specs = registered_panels("center") + [s for s in registered_panels() if s.area != "center"]
        keys = iter(PANEL_SHORTCUTS)
        actions = []
        for spec in specs:
            action = QAction(spec.title, self, toolTip=f"Show the {spec.title} panel")
            shortcut = next(keys, "")
            if shortcut:
                action.setShortcut(QKeySequence(shortcut))
            bind_icon(action, spec.icon)
            action.triggered.connect(lambda _=False, key=spec.key: self.show_panel(key))
            self.actions_by_key[f"show_{spec.key}"] = action
            self.addAction(action)
            actions.append(action)
        return actions

    def _handlers(self) -> dict[str, Any]:
        s, evidence = self.studio, self.panels["evidence"]
        return {
            "new_project": self.new_project, "open_project": self.ask_open_project,
            "save_project": self.save_project, "save_project_as": self.ask_save_project_as,
            "open_model": self.panels["model"].ask_open, "export_grid": self.panels["samples"].ask_export,
            "export_cells": self.panels["samples"].ask_export_cells,
            "export_sweep": self.panels["sweep"].ask_export, "quit": self.close, "paste": self.paste,
            "add_images": evidence.ask_add_images, "add_folder": evidence.ask_add_folder,
            "new_set": evidence.new_set, "duplicate_set": evidence.duplicate_set,
            "rename_set": evidence.start_rename, "delete_set": evidence.delete_set,
            "reroll": s.reroll_seed,
            "lock_seed": lambda on: s.edit.change_params(text="Lock seed" if on else "Unlock seed", seed_locked=on),
            "lam_03": lambda: s.edit.change_params(text="λ = 0.3 m", lam=0.3, relative=True),
            "lam_05": lambda: s.edit.change_params(text="λ = 0.5 m", lam=0.5, relative=True),
            "lam_07": lambda: s.edit.change_params(text="λ = 0.7 m", lam=0.7, relative=True),
            "theme_dark": lambda: self.set_theme("dark"), "theme_light": lambda: self.set_theme("light"),
            "reset_layout": self.reset_layout, "reset_defaults": self.ask_reset_defaults,
            "shortcuts": lambda: dialogs.shortcuts_dialog(self, self.shortcut_rows()).exec(),
            "messages": lambda: dialogs.messages_dialog(self, s.notifier.history).exec(),
            "about": lambda: dialogs.about_dialog(self, s.host.info).exec(),
        }

    def _build_menus_and_toolbar(self) -> None:
        menus = {name: self.menuBar().addMenu(f"&{name}") for name in MENUS}
        menus["View"].addActions(self.panel_actions)
        for spec in ACTIONS:
            if spec.separator_before and not menus[spec.menu].isEmpty():
                menus[spec.menu].addSeparator()
            menus[spec.menu].addAction(self.actions_by_key[spec.key])
            if spec.key == "save_project_as":
                self.recent_menu = RecentProjectsMenu(self.prefs, self.open_recent, menus["File"])
                menus["File"].addMenu(self.recent_menu)
        examples = menus["Evidence"].addMenu("Open &example set")
        for name in self.studio.evidence.example_names():
            examples.addAction(name, lambda n=name: self.studio.evidence.open_example(n))
        menus["View"].addSeparator()
        docks = menus["View"].addMenu("Show or hide &docks")  # the entries at the top only bring a panel up
        for dock in self.docks.values():
            docks.addAction(dock.toggleViewAction())
        toolbar = QToolBar("Main", objectName="toolbar-main", movable=False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        for key in TOOLBAR:
            if key is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(self.actions_by_key[key])
        self.addToolBar(toolbar)

    def shortcut_rows(self) -> list[tuple[str, str, str]]:
        entries = [(spec.menu, self.actions_by_key[spec.key]) for spec in ACTIONS]
        entries[:0] = [("View", action) for action in self.panel_actions]
        rows = [(menu, action.text().replace("&", ""), " or ".join(
            k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()))
            for menu, action in entries if action.shortcuts()]
        return rows + list(EXTRA_SHORTCUTS)

    # -- commands ---------------------------------------------------------------------------
    def show_panel(self, key: str) -> None:
        widget = self.panels[key]
        if key in self.docks:
            self.docks[key].show()
            self.docks[key].raise_()
        else:
            self.tabs.setCurrentWidget(widget)

    def paste(self) -> None:
        mime = QGuiApplication.clipboard().mimeData()
        paths = dropped_paths(mime)
        if paths:
            self.studio.handle_drop(paths, set_uid=self.studio.doc.document.current)
        elif mime.hasImage():
            self.studio.evidence.paste_image(QGuiApplication.clipboard().image())
        else:
            self.studio.notifier.info("Nothing to paste", "Copy an image, or image files, first.")

    def set_theme(self, name: str) -> None:
        self.theme = apply_theme(QApplication.instance(), name)
        self.prefs.set("theme", self.theme)
        self.actions_by_key[f"theme_{self.theme}"].setChecked(True)

    def reset_layout(self) -> None:
        open_fitted(self)
        self.restoreState(self.default_state)

    def ask_reset_defaults(self) -> None:
        answer = QMessageBox.question(self, "Reset to defaults",
                                      "Reset the theme, the window layout and the sampling parameters to their "
                                      "defaults? Your evidence sets are kept.")
        if answer == QMessageBox.StandardButton.Yes:
            self.reset_defaults()

    def reset_defaults(self) -> None:
        """Forget the preferences, restore the default theme and layout, and reset the parameters (undoable)."""
        self.prefs.reset()
        self.set_theme(self.prefs.get("theme"))
        self.reset_layout()
        defaults = PosteriorParams()
        self.studio.edit.change_params(text="Reset parameters",
                                       **{f.name: getattr(defaults, f.name) for f in fields(defaults)})

    def _sync_lock_action(self) -> None:
        action = self.actions_by_key["lock_seed"]
        action.blockSignals(True)
        action.setChecked(self.studio.doc.params.seed_locked)
        action.blockSignals(False)

    # -- projects ---------------------------------------------------------------------------
    def update_title(self) -> None:
        path = self.studio.projects.path
        name = path.name if path else "Untitled"
        self.setWindowTitle(f"{name}[*] — Flow Studio")
        self.setWindowModified(self.studio.projects.modified)

    def settle_unsaved(self, then: Callable[[], Any]) -> bool:
        """Ask what to do with unsaved changes before ``then`` (a new project, opening one, quitting).

        True: go on now (nothing unsaved, or Discard).  False: not now; after
        Save, ``then`` runs once the project is written (not if the save fails
        or its Save As dialog is cancelled); after Cancel, never.
        """
        if not self.studio.projects.modified:
            return True
        answer = QMessageBox.question(
            self, "Unsaved changes", "Save the changes to this project first?",
            QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Save)
        if answer == QMessageBox.StandardButton.Save:
            job = self.save_project()

            def saved() -> None:
                if job.state == "done" and not self.studio.projects.modified:  # written, and not edited since
                    then()

            if job is not None:
                job.ended.connect(saved)
            return False
        return answer == QMessageBox.StandardButton.Discard

    def new_project(self) -> None:
        if self.settle_unsaved(self.new_project):
            self.studio.projects.new()

    def ask_open_project(self) -> None:
        if not self.settle_unsaved(self.ask_open_project):
            return
        paths = dialogs.ask_open_paths(self, "Open project", self.prefs, dialogs.PROJECT_FILTER, multiple=False)
        if paths:
            self.studio.projects.open(paths[0])

    def open_recent(self, path: str) -> None:
        """File → Recent projects: open ``path`` (asking about unsaved changes first); a missing one leaves the list."""
        if not self.settle_unsaved(lambda: self.open_recent(path)):
            return
        if not Path(path).is_file():
            self.prefs.remove_recent_project(path)
            self.studio.notifier.warning("The project was not found", f"{path} was moved or deleted; it was "
                                         "removed from the recent projects.")
            return
        self.studio.projects.open(path)

    def save_project(self) -> Any:
        if self.studio.projects.path is None:
            return self.ask_save_project_as()
        return self.studio.projects.save()

    def ask_save_project_as(self) -> Any:
        path = dialogs.ask_save_path(self, "Save project", f"untitled{PROJECT_SUFFIX}", self.prefs,
                                     dialogs.PROJECT_FILTER)
        if not path:
            return None
        if not path.endswith(PROJECT_SUFFIX):
            path = str(Path(path).with_suffix("")) + PROJECT_SUFFIX
        return self.studio.projects.save(path)

    # -- closing ----------------------------------------------------------------------------
    def closeEvent(self, event: QCloseEvent) -> None:
        """Quit: ask about running work, then unsaved changes; after Save, the window closes once it is written."""
        if not self._close_confirmed:
            running = self.studio.running_work()
            if running:
                answer = QMessageBox.question(self, "Work is still running",
                                              f"{running[0]} is still running. Quit anyway?")
                if answer != QMessageBox.StandardButton.Yes:
                    event.ignore()
                    return
            if not self.settle_unsaved(self._close_after_save):
                event.ignore()
                return
        self.close_now()
        event.accept()

    def _close_after_save(self) -> None:
        self._close_confirmed = True
        self.close()

    def close_now(self) -> None:
        """Close without asking: save the layout, stop every thread, delete the recovery file (once)."""
        if self._closed:
            return
        self._closed = True
        self.prefs.save_window_state(self.saveGeometry(), self.saveState())
        self.studio.shutdown()
        self.hide()
        self.deleteLater()


class _DockIcon:
    """Lets :func:`bind_icon` give a dock the icon its tab shows when docks share a side."""

    def __init__(self, dock: QDockWidget):
        self.dock = dock

    def setIcon(self, icon: Any) -> None:
        self.dock.setWindowIcon(icon)


class _TabIcon:
    """Lets :func:`bind_icon` recolour a tab's icon on theme changes."""

    def __init__(self, tabs: QTabWidget, index: int):
        self.tabs, self.index = tabs, index

    def setIcon(self, icon: Any) -> None:
        self.tabs.setTabIcon(self.index, icon)

