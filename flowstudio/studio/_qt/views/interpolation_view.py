"""Interpolation (paper Figs. 3-4): a strip from one evidence set's posterior to another's.

Rows keep one seed each (the Posterior panel's first seed, then the next
ones); λ, covariance and temperature are the Posterior panel's.  The strip
is redrawn in the background (latest wins, like the grid) whenever a set,
its included images, a parameter or the strip's shape changes, and only
while the tab is visible.  Exports (PNG strip with the command line's
parameters, GIF/WebP animation, every frame into a folder) run as jobs
with progress and Cancel.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import (
    QCheckBox,
    QHBoxLayout,
    QLabel,
    QMenu,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from flowstudio.studio._qt.dialogs import EXPORT_DIR, ask_export_path, ask_folder
from flowstudio.studio._qt.icons import bind_icon
from flowstudio.studio._qt.labels import role_label
from flowstudio.studio._qt.panels import PanelSpec, ScreenshotSpec, register_panel
from flowstudio.studio._qt.views.image_grid import ImageGrid
from flowstudio.studio._qt.views.describe import no_transflow
from flowstudio.studio._qt.views.job_progress import JobProgress
from flowstudio.studio._qt.views.notice import grid_marks
from flowstudio.studio._qt.views.scroll_body import scroll_body
from flowstudio.studio._qt.views.set_choice import SetChoice
from flowstudio.studio._qt.workers import LatestWinsRenderer
from flowstudio.studio.engine import api
from flowstudio.studio.requests import StripRequest

EXPLAIN = ("Each row keeps one seed while the posterior moves from the first set to the second "
           "(mean and spread together). λ, covariance and temperature come from the Posterior panel.")
NEED_TWO = "Interpolation needs two evidence sets.\nOpen another example set, or drop a folder of images."
ANIMATION_FILTER = "Animated GIF (*.gif);;Animated WebP (*.webp)"


def _draw(job: tuple[Any, Any]) -> Any:
    engine, request = job
    return api.draw_strip(engine, request)


class InterpolationView(QWidget):
    def __init__(self, studio: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        self.result: Any = None
        self.renderer = LatestWinsRenderer(_draw, parent=self)
        self.renderer.rendered.connect(lambda _, result: self.show_result(result))
        studio.renderers.append(self.renderer)
        self.renderer.failed.connect(lambda _, exc: studio.notifier.error("Drawing the strip failed", str(exc)))
        doc = studio.doc
        self.set_a = SetChoice(doc, "The set the strip starts from (left)")
        self.set_b = SetChoice(doc, "The set the strip ends at (right)")
        swap = QToolButton(toolTip="Swap the two sets")
        bind_icon(swap, "fa5s.exchange-alt")
        swap.clicked.connect(self.swap)
        self.steps = QSpinBox(minimum=2, maximum=25, value=9, toolTip="Images along the strip, both ends included")
        self.rows = QSpinBox(minimum=1, maximum=8, value=3, toolTip="Rows, each drawn with its own seed")
        self.direct = QCheckBox("Direct row", toolTip="Add a row that blends the first image of each set directly "
                                                      "in latent space (paper Fig. 4), for comparison")
        self.export = QToolButton(text="Export", toolTip="Save the strip, an animation or every frame",
                                  popupMode=QToolButton.ToolButtonPopupMode.InstantPopup)
        self.export.setToolButtonStyle(self.export.toolButtonStyle().ToolButtonTextBesideIcon)
        bind_icon(self.export, "fa5s.file-export")
        menu = QMenu(self.export)
        menu.addAction("Strip as PNG…", self.ask_export_png)
        menu.addAction("Animation (GIF or WebP)…", self.ask_export_animation)
        menu.addAction("Every frame into a folder…", self.ask_export_frames)
        self.export.setMenu(menu)
        head = QHBoxLayout()
        head.setSpacing(8)
        head.addWidget(role_label("Interpolation", "heading"))
        head.addSpacing(8)
        for widget in (QLabel("From"), self.set_a, swap, QLabel("to"), self.set_b):
            head.addWidget(widget)
        head.addStretch(1)
        head.addWidget(self.export)
        shape = QHBoxLayout()
        shape.setSpacing(8)
        for widget in (QLabel("Steps"), self.steps, QLabel("Rows"), self.rows, self.direct):
            shape.addWidget(widget)
        shape.addStretch(1)
        self.hint = role_label(EXPLAIN, "hint", wrap=True)
        self.progress = JobProgress()
        self.grid = ImageGrid()
        self.grid.set_message(NEED_TWO, "fa5s.exchange-alt")
        layout = QVBoxLayout(scroll_body(self))
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addLayout(head)
        layout.addLayout(shape)
        layout.addWidget(self.hint)
        layout.addWidget(self.progress)
        layout.addWidget(self.grid, 1)

        for choice in (self.set_a, self.set_b):
            choice.chosen.connect(self._sets_chosen)
        for spin in (self.steps, self.rows):
            spin.valueChanged.connect(lambda _: self.request_render())
        self.direct.toggled.connect(lambda _: self.request_render())
        doc.paramsChanged.connect(lambda changed: changed - {"seed_locked", "count"} and self.request_render())
        for signal in (doc.itemsInserted, doc.itemsRemoved):
            signal.connect(self._items_changed)
        doc.itemsChanged.connect(self._items_changed)
        studio.host.modelLoaded.connect(lambda _: self._sets_chosen())
        doc.setsChanged.connect(self._default_choice)
        studio.host.modelLoaded.connect(lambda _: self._default_choice())
        self._user_chose = False  # once the artist picks an end, the defaults leave both alone
        for combo in (self.set_a, self.set_b):
            combo.activated.connect(self._chosen_by_user)
        self.set_a.refresh()
        self.set_b.refresh()
        self._default_choice()

    # -- inputs -------------------------------------------------------------------------
    def _chosen_by_user(self, *_: Any) -> None:
        self._user_chose = True

    def _default_choice(self) -> None:
        """Until the artist picks: both ends on sets that suit the open model (its channels: a grey set
        is not a colour model's default), the current set first; never both on the same set."""
        sets = self.studio.doc.sets
        if self._user_chose or len(sets) < 2:
            if self.set_b.count() > 1 and self.set_a.uid == self.set_b.uid:
                self.set_b.choose(next(s.uid for s in sets if s.uid != self.set_a.uid))
            return
        current = self.studio.doc.document.current
        ranked = sorted(sets, key=lambda s: (self.studio.evidence.suits_model(s.uid) is False, s.uid != current))
        if (self.set_a.uid, self.set_b.uid) != (ranked[0].uid, ranked[1].uid):
            self.set_a.choose(ranked[0].uid)
            self.set_b.choose(ranked[1].uid)

    def _read_unknown_sets(self) -> None:
        """Read the sets not yet read for this model (small ones), so that the defaults know what suits it."""
        for s in self.studio.doc.sets:
            if len(s.items) <= 64 and self.studio.evidence.suits_model(s.uid) is None:
                self.studio.evidence.ensure_encoded(s.uid)

    def choose(self, uid_a: str, uid_b: str) -> None:
        """Pick both ends (as the artist does: the defaults leave them alone from then on)."""
        self._user_chose = True
        self.set_a.choose(uid_a)
        self.set_b.choose(uid_b)

    def swap(self) -> None:
        self.choose(self.set_b.uid, self.set_a.uid)

    def _sets_chosen(self, *_: Any) -> None:
        self.renderer.invalidate()
        for uid in (self.set_a.uid, self.set_b.uid):
            if uid is not None:
                self.studio.evidence.ensure_encoded(uid)
        self.request_render()

    def _items_changed(self, set_uid: str, *_: Any) -> None:
        if not self._user_chose:
            self._default_choice()  # a set read for the model: now it is known whether it suits it
        if set_uid in (self.set_a.uid, self.set_b.uid):
            self.request_render()

    def request(self) -> Any:
        """The strip to draw now, or ``None`` without two different sets with encoded images."""
        doc, host = self.studio.doc, self.studio.host
        a, b = doc.find_set(self.set_a.uid), doc.find_set(self.set_b.uid)
        if a is None or b is None or a.uid == b.uid:
            return None
        ev = [tuple((i.path, i.sha256) for i in s.usable_items() if host.is_encoded(i.sha256)) for s in (a, b)]
        if not ev[0] or not ev[1]:
            return None
        return StripRequest(ev[0], ev[1], a.name, b.name, doc.params, self.steps.value(), self.rows.value(),
                            self.direct.isChecked())

    def request_render(self) -> None:
        host = self.studio.host
        if not self.isVisible() or host.engine is None or not host.ready:
            return
        request = self.request()
        if request is None:
            if not any(self.studio.evidence.reading(self.studio.doc.find_set(u))
                       for u in (self.set_a.uid, self.set_b.uid)):
                self.result = None
                self.grid.set_message(no_transflow(host.info) or NEED_TWO, "fa5s.exchange-alt")
            return
        self.renderer.request((host.engine, request))

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self._user_chose:
            self._read_unknown_sets()
            self._default_choice()
        self._sets_chosen()

    # -- showing ------------------------------------------------------------------------
    def show_result(self, result: Any) -> None:
        if result is None:
            return
        self.result = result
        rows = [f"seed {s}" for s in result.seeds] + (["direct"] if result.request.direct else [])
        cols = [f"{t:.2f}".rstrip("0").rstrip(".") for t in result.ts]  # 0 … 1: from set A to set B
        self.grid.set_images(result.images, column_labels=cols, row_labels=rows, marks=grid_marks(result))

    # -- exports ------------------------------------------------------------------------
    def _export(self, what: str, target: Callable[..., Any], path: str) -> Any:
        studio = self.studio
        if self.result is None or studio.host.engine is None:
            studio.notifier.info("Nothing to export yet", "Choose two sets and wait for the strip to appear.")
            return None
        name = Path(path).name
        job = studio.host.run_steps(f"Exporting {name}", target, studio.host.engine, self.result,
                                    path, on_done=lambda _: studio.notifier.success(f"Saved {name}", what),
                                    on_error=lambda exc: studio.notifier.error(f"Could not save {name}", str(exc)))
        return self.progress.track(job)

    def export_png(self, path: str | Path) -> Any:
        return self._export("Its parameters are inside the PNG.", api.save_strip, str(path))

    def export_animation(self, path: str | Path) -> Any:
        return self._export("One frame per column, played forth and back.", api.save_strip_animation, str(path))

    def export_frames(self, folder: str | Path) -> Any:
        return self._export("One PNG per column, each with its parameters.", api.save_strip_frames, str(folder))

    def ask_export_png(self) -> None:
        path = ask_export_path(self, "Export interpolation strip", "interpolation.png", self.studio.prefs)
        if path:
            self.export_png(path)

    def ask_export_animation(self) -> None:
        path = ask_export_path(self, "Export animation", "interpolation.gif", self.studio.prefs, ANIMATION_FILTER)
        if path:
            self.export_animation(path if Path(path).suffix.lower() in (".gif", ".webp") else path + ".gif")

    def ask_export_frames(self) -> None:
        folder = ask_folder(self, "Export every frame into a folder", self.studio.prefs, EXPORT_DIR)
        if folder:
            self.export_frames(folder)


def _screenshot(window: Any) -> None:
    """Sneakers to ankle boots, three seeds and the direct row."""
    studio = window.studio
    studio.evidence.open_example("ankle-boots")
    sets = {s.name: s.uid for s in studio.doc.sets}
    view = window.panels["interpolation"]
    view.direct.setChecked(True)
    view.choose(sets["sneakers"], sets["ankle-boots"])
    window.show_panel("interpolation")


register_panel(PanelSpec("interpolation", "Interpolation", "fa5s.exchange-alt", "center", InterpolationView,
                         order=30, screenshots=(ScreenshotSpec("interpolation", _screenshot),)))
