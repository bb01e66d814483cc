"""File → Recent projects: the projects opened or saved lately, most recent first, rebuilt each time it opens.

The list lives in the preferences (:meth:`Preferences.recent_projects`,
at most :data:`~flowstudio.studio._qt.settings.MAX_RECENT`).  A project
whose file is gone is shown greyed out, marked "missing"; "Remove missing
projects" and "Clear recent projects" tidy the list.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QMenu, QWidget

from flowstudio.studio._qt.settings import Preferences
from flowstudio.studio.state import PROJECT_SUFFIX


def project_label(path: str) -> str:
    """``"shoes — ~/art"``: the project's name without the suffix, and its folder."""
    p = Path(path)
    name = p.name.removesuffix(PROJECT_SUFFIX) if p.name.endswith(PROJECT_SUFFIX) else p.name
    try:
        folder = str(Path("~") / p.parent.relative_to(Path.home()))
    except ValueError:
        folder = str(p.parent)
    return f"{name} — {folder}"


class RecentProjectsMenu(QMenu):
    def __init__(self, prefs: Preferences, open_path: Callable[[str], None], parent: QWidget | None = None):
        super().__init__("Recent &projects", parent)
        self.prefs = prefs
        self.open_path = open_path
        self.setToolTipsVisible(True)
        self.aboutToShow.connect(self.rebuild)
        self.rebuild()

    def rebuild(self) -> None:
        self.clear()
        paths = self.prefs.recent_projects
        missing = [path for path in paths if not Path(path).is_file()]
        for number, path in enumerate(paths, 1):
            text = project_label(path).replace("&", "&&")
            action = self.addAction(f"&{number}  {text}" + ("  (missing)" if path in missing else ""))
            action.setToolTip(f"{path} was moved or deleted" if path in missing else path)
            action.setEnabled(path not in missing)
            action.triggered.connect(lambda _=False, path=path: self.open_path(path))
        if not paths:
            self.addAction("No recent projects").setEnabled(False)
        self.addSeparator()
        tidy = self.addAction("Remove missing projects", self._remove_missing)
        tidy.setEnabled(bool(missing))
        clear = self.addAction("&Clear recent projects", self._clear)
        clear.setEnabled(bool(paths))

    def _remove_missing(self) -> None:
        for path in self.prefs.recent_projects:
            if not Path(path).is_file():
                self.prefs.remove_recent_project(path)
        self.rebuild()

    def _clear(self) -> None:
        self.prefs.clear_recent_projects()
        self.rebuild()
