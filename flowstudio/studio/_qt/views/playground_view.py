"""Playground: watch a 2-D flow learn a density live (a toy, a dropped picture or CSV of points).

Top: the density (toys, the labelled toys, bundled pictures, or a file: drop
one on the tab or use Open…), how many points keep their label (labelled toys),
the family (every registry family that learns points and fits the density:
for a labelled toy those that learn from labels) and its size preset, the
steps to train, and Train / Pause / Cancel / Reset.
Middle: three live panels, the target's heat map, the learned heat map with
samples from fixed noise, and the Gaussian latent grid warped through the
flow (the flow survey's Figure 10); for a labelled toy the third is the
decision regions with their boundaries, the samples are coloured by class
and the step line gives the held-out test error.  Bottom: exports (the frame as a PNG
with its parameters, the whole training as a GIF/WebP) and Save model.

The flow trains on the :class:`~..playground_runner.PlaygroundRunner`'s
thread in chunks that end in drawn frames; this widget only paints them,
one repaint per frame and no relayout (the step line is a
:class:`~..labels.LiveLabel`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QImage, QPainter, QPaintEvent, QRegion
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QSpinBox, QVBoxLayout, QWidget

from flowstudio.data.toy2d import TOY_NAMES
from flowstudio.playground.targets import (
    LABELLED_TARGETS,
    bundled_pictures,
    family_fits,
    labelled_toy_target,
    target_from_file,
    toy_target,
)
from flowstudio.registry import get_family
from flowstudio.studio._qt.dialogs import ask_export_path, ask_open_paths, ask_save_path
from flowstudio.studio._qt.file_drops import accept_file_drops
from flowstudio.studio._qt.icons import icon_button
from flowstudio.studio._qt.labels import LiveLabel, role_label
from flowstudio.studio._qt.panels import PanelSpec, ScreenshotSpec, register_panel
from flowstudio.studio._qt.playground_runner import LOAD_FAILED, PlaygroundRunner
from flowstudio.studio._qt.views.family_choice import family_choice, fill_family_choice
from flowstudio.studio._qt.views.interpolation_view import ANIMATION_FILTER
from flowstudio.studio._qt.views.scroll_body import scroll_body

DATA_KIND = "points"
FILE_ITEM = "file"
LABELLED_ITEM = "labelled:"
"""Prefix of a labelled toy's item data (``labelled:moons``)."""
LABELLED_TEXT = {"8modes": "labelled: 8-mode inverse problem", "moons": "labelled: two moons",
                 "circles": "labelled: two circles"}
ALL_LABELLED = 0
"""The labelled-points box's value for "every point keeps its label"."""
OPEN_FILTER = "Pictures or points (*.png *.jpg *.jpeg *.webp *.bmp *.gif *.csv *.tsv *.txt);;All files (*)"
MODEL_SAVE_FILTER = "Flow Studio models (*.safetensors)"
DEFAULT_STEPS = 1500
CAPTIONS = ("Target", "Learned density + samples", "Latent grid warped by the flow")
TIPS = ("The density to learn (dark pixels of a picture are dense)",
        "What the flow has learnt: its density as a heat map, and points it draws from fixed noise",
        "A regular grid in the flow's Gaussian latent space, pushed through the flow (the flow survey's Figure 10): "
        "crowded lines mean the flow squeezes the plane there")
LABELLED_CAPTIONS = ("Target + labelled points", "Learned density + class samples", "Decision regions")
LABELLED_TIPS = ("The density to learn; large dots are the points whose class training knows (grey: unlabelled)",
                 "What the flow has learnt: its density as a heat map, and points it draws for each class in that "
                 "class's colour",
                 "The most probable class p(y | x) at every point, deeper where the model is surer, and the "
                 "decision boundaries between classes")


TWO_ROWS_GAIN = 1.25


class FramePanels(QWidget):
    """Paints the frame's panels side by side, square and as large as fit, each with its caption below.

    The worker draws the panels at the side shown (:attr:`sideChanged`), so a
    paint copies them unscaled; a new frame repaints the panels only, not the
    captions.
    """

    GAP = 10
    sideChanged = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.images: list[QImage] = []
        self.captions: tuple[str, ...] = ()
        self._layout: list[tuple[QRect, QRect, str]] | None = None
        self._panels_region = QRegion()
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.set_captions(CAPTIONS, TIPS)

    def set_captions(self, captions: tuple[str, ...], tips: tuple[str, ...]) -> None:
        """The panels' captions and tooltip (a labelled toy's differ); repaints them if they changed."""
        if captions != self.captions:
            self.captions, self._layout = captions, None
            self.setToolTip("\n\n".join(f"{c}: {t}" for c, t in zip(captions, tips)))
            self.update()

    def set_images(self, images: list[QImage]) -> None:
        self.images = images
        self.update(self._panels_region)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt naming)
        return QSize(3 * 256 + 4 * self.GAP, 256 + 40)

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(2 * 120 + 3 * self.GAP, 2 * (120 + 30))

    def panel_rects(self) -> list[QRect]:
        """Square panels, three in a row, or two rows when that makes them :data:`TWO_ROWS_GAIN` times larger
        (a tall, narrow tab); centred, the last row too."""
        caption = self.fontMetrics().height() + 8

        def side(columns: int) -> int:
            rows = -(-3 // columns)
            return min((self.width() - (columns + 1) * self.GAP) // columns,
                       (self.height() - rows * (caption + self.GAP)) // rows)

        columns = 2 if side(2) > TWO_ROWS_GAIN * side(3) else 3
        size, rows = max(16, side(columns)), -(-3 // columns)
        top = max(0, (self.height() - rows * (size + caption + self.GAP)) // 2)
        rects = []
        for i in range(3):
            row, col = divmod(i, columns)
            in_row = min(columns, 3 - row * columns)
            left = (self.width() - (in_row * size + (in_row - 1) * self.GAP)) // 2
            rects.append(QRect(left + col * (size + self.GAP), top + row * (size + caption + self.GAP), size, size))
        return rects

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        self._layout = None
        rects = [rect for rect, _, _ in self._laid_out()]
        self._panels_region = QRegion()
        for rect in rects:
            self._panels_region = self._panels_region.united(rect)
        self.sideChanged.emit(rects[0].width())
        super().resizeEvent(event)

    def _laid_out(self) -> list[tuple[QRect, QRect, str]]:
        """Each panel's rectangle, its caption's and the caption elided to fit (kept until the next resize)."""
        if self._layout is None:
            metrics = self.fontMetrics()
            self._layout = [(rect, QRect(rect.left(), rect.bottom() + 4, rect.width(), metrics.height() + 2),
                             metrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width()))
                            for rect, text in zip(self.panel_rects(), self.captions)]
        return self._layout

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)  # until the worker's frames fit
        area = event.rect()
        for i, (rect, caption, text) in enumerate(self._laid_out()):
            if i < len(self.images):
                painter.drawImage(rect, self.images[i])
            else:
                painter.fillRect(rect, self.palette().base())
            if area.intersects(caption):
                painter.drawText(caption, Qt.AlignmentFlag.AlignHCenter, text)


class PlaygroundView(QWidget):
    def __init__(self, studio: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        self.runner = PlaygroundRunner(self)
        studio.renderers.append(self.runner)  # counted as busy; stopped at exit
        self.pictures: Any = None
        self.overrides: dict[str, Any] = {}  # more session settings (tests use a tiny architecture)
        self._shown_session: Any = None  # the session whose frames are shown
        self._asked: str | None = None  # the density asked for last, and the one the shown session learns
        self._learning: str | None = None

        self.density = QComboBox(toolTip="The density to learn; or drop a picture or a CSV of x, y points on this tab")
        for name in TOY_NAMES:
            self.density.addItem(name, name)
        for name in LABELLED_TARGETS:
            self.density.addItem(LABELLED_TEXT.get(name, f"labelled: {name}"), LABELLED_ITEM + name)
        for picture in bundled_pictures():
            self.density.addItem(f"picture: {picture.stem}", str(picture))
        self.density.addItem("Picture or CSV file…", FILE_ITEM)
        self.density.activated.connect(self._density_chosen)
        self.labelled = QSpinBox(minimum=ALL_LABELLED, maximum=10_000, value=ALL_LABELLED, keyboardTracking=False,
                                 specialValueText="all", enabled=False,
                                 toolTip="Labelled toys: how many training points keep their class (as evenly over "
                                 "the classes as they allow); the rest are unlabelled")
        self.labelled.valueChanged.connect(lambda _: self._labels_changed())
        self.family = family_choice(DATA_KIND, "The kind of flow (each item's tooltip says what it is)",
                                    self._family_fits)
        for combo, chars in ((self.density, 16), (self.family, 12)):  # long items (labelled toys) elided, so
            combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)  # the
            combo.setMinimumContentsLength(chars)  # row fits a narrow tab
        self.preset = QComboBox(toolTip="The flow's size (its family's presets)")
        self.steps = QSpinBox(minimum=10, maximum=1_000_000, singleStep=500, value=DEFAULT_STEPS,
                              toolTip="Steps each Train runs (Train again to go on)")
        self.family.currentIndexChanged.connect(self._family_changed)
        self.preset.activated.connect(lambda _: self.load())

        self.train_button = icon_button("Train", "fa5s.play", "Train the flow; the view updates as it learns",
                                        self.train)
        self.train_button.setProperty("role", "primary")
        self.pause_button = icon_button("Pause", "fa5s.pause", "Pause after the current chunk (Train resumes)",
                                        self.runner.pause)
        self.cancel_button = icon_button("Cancel", "fa5s.stop", "Stop training; the flow keeps what it has learnt",
                                         self.runner.stop)
        self.reset_button = icon_button("Reset", "fa5s.undo", "Start again from an untrained flow", self.reset)
        self.status = LiveLabel("Preparing…", "value")
        self.note = role_label("", "hint", wrap=True)
        self.panels = FramePanels()
        self.panels.sideChanged.connect(self.runner.set_size)
        self.export_png_button = icon_button("Export PNG…", "fa5s.image", "Save the current frame as a PNG, with the "
                                             "settings inside", self.ask_export_png)
        self.export_animation_button = icon_button("Export GIF/WebP…", "fa5s.film", "Save the whole training so far "
                                                   "as an animation", self.ask_export_animation)
        self.save_button = icon_button("Save model…", "fa5s.save", "Save the flow as a Flow Studio model "
                                       "(.safetensors with its card)", self.ask_save_model)

        choices = QHBoxLayout()
        for label, widget in (("Density", self.density), ("Family", self.family), ("Size", self.preset)):
            choices.addWidget(QLabel(label))
            choices.addWidget(widget, 1 if widget is self.density else 0)
            if widget is self.density:
                choices.addWidget(icon_button("Open…", "fa5s.folder-open", "Learn a picture (dark is dense) or a "
                                              "CSV of x, y points", self.ask_open))
                choices.addSpacing(8)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Steps"))
        controls.addWidget(self.steps)
        for button in (self.train_button, self.pause_button, self.cancel_button, self.reset_button):
            controls.addWidget(button)
        controls.addSpacing(16)
        controls.addWidget(QLabel("Labelled points"))
        controls.addWidget(self.labelled)
        controls.addStretch(1)
        exports = QHBoxLayout()
        for button in (self.export_png_button, self.export_animation_button, self.save_button):
            exports.addWidget(button)
        exports.addStretch(1)
        layout = QVBoxLayout(scroll_body(self))
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addLayout(choices)
        layout.addLayout(controls)
        layout.addWidget(self.status)
        layout.addWidget(self.panels, 1)
        layout.addWidget(self.note)
        layout.addLayout(exports)
        accept_file_drops(self, self.open_file)

        self.runner.framed.connect(self.show_pictures)
        self.runner.stateChanged.connect(lambda _: self._sync())
        self.runner.failed.connect(self._failed)
        self._family_changed()

    def showEvent(self, event: Any) -> None:  # noqa: N802 (Qt naming)
        """The first time the tab is shown, prepare its flow (not at start-up: most sessions never open it)."""
        super().showEvent(event)
        if self._asked is None:
            self.load()

    # -- choosing what to learn ---------------------------------------------------------------------
    def _family_changed(self) -> None:
        family = self.family.currentData()
        self.preset.clear()
        for name in get_family(family).presets_for(DATA_KIND) if family else ():
            self.preset.addItem(name, name)
        if self._asked is not None:  # not before the tab is first shown
            self.load()

    def _labelled_toy(self) -> str | None:
        """The labelled toy chosen, if one is."""
        data = self.density.currentData()
        return data[len(LABELLED_ITEM):] if isinstance(data, str) and data.startswith(LABELLED_ITEM) else None

    def _family_fits(self, family: Any) -> bool:
        toy = self._labelled_toy()
        return family_fits(family, toy is not None, toy is not None and self.labelled.value() != ALL_LABELLED)

    def _refill_families(self) -> None:
        """The families that fit the density chosen (and its labelled points), the chosen one kept if it fits."""
        before = self.family.currentData()
        fill_family_choice(self.family, DATA_KIND, self._family_fits)
        if self.family.currentData() != before or not self.preset.count():
            self._family_changed()  # its presets (and a new session)
        elif self._asked is not None:
            self.load()

    def _density_chosen(self, index: int) -> None:
        if self.density.itemData(index) == FILE_ITEM:
            self.ask_open()
            return
        toy = self._labelled_toy()
        self.labelled.blockSignals(True)
        self.labelled.setEnabled(toy is not None)
        self.labelled.setValue(ALL_LABELLED if toy is None else LABELLED_TARGETS[toy] or ALL_LABELLED)
        self.labelled.blockSignals(False)
        self._refill_families()

    def _labels_changed(self) -> None:
        """A new count of labelled points: the families that fit it, and a new session."""
        if self._labelled_toy() is not None:
            self._refill_families()

    def ask_open(self) -> None:
        paths = ask_open_paths(self, "Learn a picture or points", self.studio.prefs, OPEN_FILTER, multiple=False)
        if paths:
            self.open_file(paths)
        else:
            self._select(self._learning or TOY_NAMES[0])  # back to what is being learnt

    def open_file(self, paths: list[str]) -> None:
        """Learn the first dropped or opened file (a picture, or a CSV of points)."""
        path = str(paths[0])
        if self.density.findData(path) < 0:
            self.density.insertItem(self.density.count() - 1, Path(path).name, path)
        self._select(path)
        self.load()

    def _select(self, data: str) -> None:
        self.density.setCurrentIndex(max(0, self.density.findData(data)))

    def settings(self) -> dict[str, Any]:
        return {"family": self.family.currentData(), "preset": self.preset.currentData(), **self.overrides}

    def load(self) -> None:
        """A fresh session for the chosen density, family and size (training stops)."""
        source = self.density.currentData()
        if source in (None, FILE_ITEM):
            return
        if not self.family.currentData():
            self.status.setText("No model family learns this density (a labelled toy needs a family that learns "
                                "from labels)")
            return
        self.status.setText("Preparing…")
        self._asked = source
        labelled = None if self.labelled.value() == ALL_LABELLED else self.labelled.value()
        self.runner.load(lambda: make_target(source, labelled), self.settings())

    def _failed(self, what: str, text: str) -> None:
        self.studio.notifier.error(f"{what} failed", text)
        if what != LOAD_FAILED:
            return
        if self._asked != self._learning:  # a file that is no density: back to the last one
            index = self.density.findData(self._asked)
            if index >= 0 and self._asked not in TOY_NAMES and not self._asked.startswith(LABELLED_ITEM):
                self.density.removeItem(index)
            self._select(self._learning or TOY_NAMES[0])
            self._asked = self._learning
        self._show_session_choices()
        self._show_step(self.pictures)

    def _show_session_choices(self) -> None:
        """The labelled points and the family of the session shown (after a density that could not be made)."""
        session = self.runner.session
        if session is None:
            return
        target = session.target
        self.labelled.blockSignals(True)
        self.labelled.setEnabled(target.labelled)
        self.labelled.setValue(int((target.labels >= 0).sum()) if target.partly_labelled else ALL_LABELLED)
        self.labelled.blockSignals(False)
        fill_family_choice(self.family, DATA_KIND, self._family_fits)
        self.family.blockSignals(True)
        self.family.setCurrentIndex(max(0, self.family.findData(session.settings.family)))
        self.family.blockSignals(False)

    # -- training -------------------------------------------------------------------------------------
    def train(self) -> None:
        self.runner.train(self.steps.value())

    def reset(self) -> None:
        self.runner.reset()

    def show_pictures(self, shown: Any) -> None:
        """A frame from the worker: its panels, its step and loss (one paint, one line of text)."""
        self.pictures = shown.pictures
        labelled = shown.pictures.test_error is not None
        self.panels.set_captions(LABELLED_CAPTIONS if labelled else CAPTIONS, LABELLED_TIPS if labelled else TIPS)
        self.panels.set_images(shown.images)
        self._show_step(shown.pictures)
        session = self.runner.session
        if session is not self._shown_session:  # a new session: its note, and the buttons that need one
            self._shown_session, self._learning = session, self._asked
            self.note.setText(session.target.note)
            self._sync()

    def _show_step(self, pictures: Any) -> None:
        if pictures is None:
            self.status.setText("")
            return
        loss = "—" if pictures.loss is None else f"{pictures.loss:.3f} nats"
        error = "" if pictures.test_error is None else f" · test error {100 * pictures.test_error:.1f} %"
        state = {"training": " · training", "paused": " · paused"}.get(self.runner.state, "")
        self.status.setText(f"Step {pictures.step:,} · loss {loss}{error}{state}")

    def _sync(self) -> None:
        state, ready = self.runner.state, self.runner.session is not None
        self.train_button.setText("Resume" if state == "paused" else "Train")
        self.train_button.setEnabled(ready and state != "training")
        self.pause_button.setEnabled(state == "training")
        self.cancel_button.setEnabled(state in ("training", "paused"))
        self.reset_button.setEnabled(ready)
        for button in (self.export_png_button, self.export_animation_button, self.save_button):
            button.setEnabled(ready)

    # -- exports ---------------------------------------------------------------------------------------
    def _name(self) -> str:
        session = self.runner.session
        return f"playground-{Path(session.target.name).stem}-{session.settings.family}"

    def ask_export_png(self) -> None:
        path = ask_export_path(self, "Export frame", f"{self._name()}.png", self.studio.prefs)
        if path and self.pictures is not None:
            self.export_png(path)

    def export_png(self, path: str) -> None:
        self._file_job(f"Saved {Path(path).name}", self.runner.session.export_png, self.pictures, path)

    def ask_export_animation(self) -> None:
        path = ask_export_path(self, "Export animation", f"{self._name()}.gif", self.studio.prefs, ANIMATION_FILTER)
        if path:
            self.export_animation(path if Path(path).suffix.lower() in (".gif", ".webp") else path + ".gif")

    def export_animation(self, path: str) -> None:
        self._file_job(f"Saved {Path(path).name}", self.runner.session.export_animation, path)

    def ask_save_model(self) -> None:
        path = ask_save_path(self, "Save model", f"{self._name()}.safetensors", self.studio.prefs, MODEL_SAVE_FILTER)
        if path:
            self.save_model(path if path.endswith(".safetensors") else path + ".safetensors")

    def save_model(self, path: str) -> None:
        self._file_job(f"Saved {Path(path).name}", self.runner.session.save_model, path)

    def _file_job(self, done: str, fn: Any, *args: Any) -> None:
        name = Path(args[-1]).name
        self.runner.run(f"Writing {name}", fn, *args,
                        on_done=lambda _: self.studio.notifier.success(done),
                        on_error=lambda exc: self.studio.notifier.error(f"Could not save {name}", str(exc)))


def make_target(source: str, labelled: int | None = None) -> Any:
    """The target of a density choice (on the worker thread): a toy's name, a labelled toy (``labelled:NAME``,
    ``labelled`` of its points keeping their label, ``None``: all), else a picture or CSV file."""
    if source.startswith(LABELLED_ITEM):
        return labelled_toy_target(source[len(LABELLED_ITEM):], labelled)
    return toy_target(source) if source in TOY_NAMES else target_from_file(source)


SCREENSHOT_PICTURE = "heart"
SCREENSHOT_STEPS = 1200


def learn_picture(window: Any, picture: str = SCREENSHOT_PICTURE, steps: int = SCREENSHOT_STEPS) -> None:
    """Screenshot ``prepare``: the playground after the MAF has learnt a bundled picture for ``steps`` steps
    (the capture then waits until the training has ended)."""
    from flowstudio.studio._qt.screenshots import wait_until

    window.show_panel("playground")
    view = window.panels["playground"]
    path = next(str(p) for p in bundled_pictures() if p.stem == picture)
    view._select(path)
    view.load()
    if not wait_until(lambda: view.runner.session is not None and not view.runner.busy, timeout_s=120):
        raise RuntimeError("the playground did not get ready in time")
    view.runner.train(steps)


LABELLED_SCREENSHOT = "moons"
LABELLED_SCREENSHOT_STEPS = 1000


def learn_labelled(window: Any, toy: str = LABELLED_SCREENSHOT, steps: int = LABELLED_SCREENSHOT_STEPS) -> None:
    """Screenshot ``prepare``: the playground after the first family that fits has learnt labelled ``toy`` (its
    default labelled points: 10 for the moons) for ``steps`` steps, its decision regions shown."""
    from flowstudio.studio._qt.screenshots import wait_until

    window.show_panel("playground")
    view = window.panels["playground"]
    view._select(LABELLED_ITEM + toy)
    view._density_chosen(view.density.currentIndex())
    view.load()
    if not wait_until(lambda: view.runner.session is not None and not view.runner.busy
                      and view.runner.session.target.labelled, timeout_s=120):
        raise RuntimeError("the playground did not get ready in time")
    view.runner.train(steps)


register_panel(PanelSpec("playground", "Playground", "fa5s.shapes", "center", PlaygroundView, order=60,
                         screenshots=(ScreenshotSpec("playground", learn_picture),
                                      ScreenshotSpec("playground-labelled", learn_labelled))))
