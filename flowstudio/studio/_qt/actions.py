"""Every menu command with its shortcut, in one table: the menus, the toolbar and Help → Shortcuts read it.

The View menu's entry per panel (Ctrl+1, Ctrl+2, ...) is made by the
window from the panel registry, so a new panel gets one too.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ActionSpec:
    key: str
    menu: str
    text: str
    shortcut: str = ""
    icon: str = ""
    tip: str = ""
    checkable: bool = False
    separator_before: bool = False


ACTIONS = (
    ActionSpec("new_project", "File", "&New project", "Ctrl+Shift+N", "fa5s.file"),
    ActionSpec("open_project", "File", "&Open project…", "Ctrl+O", "fa5s.folder-open"),
    ActionSpec("save_project", "File", "&Save project", "Ctrl+S", "fa5s.save"),
    ActionSpec("save_project_as", "File", "Save project &as…", "Ctrl+Shift+S"),
    ActionSpec("open_model", "File", "Open &model…", "Ctrl+M", "fa5s.cube", separator_before=True),
    ActionSpec("export_grid", "File", "&Export grid…", "Ctrl+E", "fa5s.file-export",
               "Save the sample grid as a PNG with its parameters", separator_before=True),
    ActionSpec("export_cells", "File", "Export every &cell…", "Ctrl+Alt+E", "fa5s.th-large",
               "Save every cell as its own PNG, enlarged, each with its seed and parameters"),
    ActionSpec("export_sweep", "File", "Export λ s&weep…", "Ctrl+Shift+E"),
    ActionSpec("quit", "File", "&Quit", "Ctrl+Q", separator_before=True),
    ActionSpec("undo", "Edit", "&Undo", "Ctrl+Z", "fa5s.undo"),
    ActionSpec("redo", "Edit", "&Redo", "Ctrl+Shift+Z", "fa5s.redo"),
    ActionSpec("paste", "Edit", "&Paste images", "Ctrl+V", "fa5s.paste",
               "Add images (or image files) from the clipboard to the current set", separator_before=True),
    ActionSpec("add_images", "Evidence", "&Add images…", "Ctrl+I", "fa5s.images"),
    ActionSpec("add_folder", "Evidence", "Add &folder…", "Ctrl+Shift+I", "fa5s.folder-plus"),
    ActionSpec("new_set", "Evidence", "&New set", "Ctrl+N", "fa5s.plus", separator_before=True),
    ActionSpec("duplicate_set", "Evidence", "&Duplicate set", "Ctrl+D", "fa5s.clone"),
    ActionSpec("rename_set", "Evidence", "&Rename set", "F2", "fa5s.i-cursor"),
    ActionSpec("delete_set", "Evidence", "De&lete set", "Ctrl+Shift+Backspace", "fa5s.trash-alt"),
    ActionSpec("reroll", "Samples", "&New seed", "R", "fa5s.dice", "Roll a new random first seed"),
    ActionSpec("lock_seed", "Samples", "&Lock seed", "L", "fa5s.lock", "Keep the seed when rerolling",
               checkable=True),
    ActionSpec("lam_03", "Samples", "λ = 0.3 m (close to the examples)", "1", separator_before=True),
    ActionSpec("lam_05", "Samples", "λ = 0.5 m", "2"),
    ActionSpec("lam_07", "Samples", "λ = 0.7 m (more variety)", "3"),
    ActionSpec("theme_dark", "View", "&Dark theme", "", "", checkable=True, separator_before=True),
    ActionSpec("theme_light", "View", "&Light theme", "", "", checkable=True),
    ActionSpec("reset_layout", "View", "Reset &layout", separator_before=True),
    ActionSpec("reset_defaults", "View", "Reset to &defaults…"),
    ActionSpec("shortcuts", "Help", "&Keyboard shortcuts", "F1", "fa5s.keyboard"),
    ActionSpec("messages", "Help", "&Messages…", "", "fa5s.bell"),
    ActionSpec("about", "Help", "&About Flow Studio", "", "fa5s.info-circle", separator_before=True),
)

EXTRA_SHORTCUTS = (
    ("Evidence", "Remove selected images", "Del"),
    ("Evidence", "Include / exclude selected images", "Space"),
    ("Samples", "Enlarge a sample", "Click it"),
    ("Samples", "Save, copy, reuse a sample", "Right-click it"),
    ("Samples", "Use the settings of a past grid", "Double-click it in the history"),
)
"""Keys handled by a widget rather than a menu command, for the shortcuts list."""

MENUS = ("File", "Edit", "Evidence", "Samples", "View", "Help")
TOOLBAR = ("open_project", "save_project", None, "undo", "redo", None, "add_images", "paste", None, "reroll",
           "lock_seed", None, "export_grid")
