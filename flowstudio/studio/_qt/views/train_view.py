"""Train: train a new model in a separate process, watch it learn, and open it in one click.

Left: what to train (a built-in data set or a folder, a family, a size
preset whose architecture is shown, steps, device, a run name) with how
long each size takes on this machine, measured while the panel is shown
(:mod:`.preset_times`), Start /
Pause / Cancel, and the history of runs under the studio's runs folder
(Resume a cancelled or interrupted run, Open a finished one's model).
The evidence sets become labelled classes in one click ("Sets as classes":
each set's images labelled by its name), with folders of unlabelled images
beside them ("Add unlabelled folder…"); then only the families that learn
from labels are offered (registry capabilities), and Start says what it
does: "Train semi-supervised" (with unlabelled images, for a family that
can) or "Train conditional".  The classes travel to the training process as
a manifest (:mod:`flowstudio.training.labelled_sets`).
Right: progress with ETA, a live plot of the training and held-out
bits/dim, and the latest sample grid.  The run is a ``flowstudio train``
child process (:mod:`..training_host`): the window never waits on it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (QComboBox, QFormLayout, QFrame, QHBoxLayout, QHeaderView, QLabel, QLineEdit,
                               QProgressBar, QPushButton, QSpinBox, QTreeWidget, QTreeWidgetItem, QVBoxLayout,
                               QWidget)

from flowstudio.studio._qt.dialogs import ask_folder
from flowstudio.studio._qt.icons import bind_icon, icon_button
from flowstudio.studio._qt.labels import LiveLabel, role_label
from flowstudio.studio._qt.panels import PanelSpec, ScreenshotSpec, register_panel
from flowstudio.studio._qt.panels.model_panel import DEVICES
from flowstudio.studio._qt.views.family_choice import family_choice, fill_family_choice
from flowstudio.studio._qt.views.loss_plot import LossPlot
from flowstudio.studio._qt.views.scroll_body import scroll_body
from flowstudio.studio._qt.views.preset_times import PresetTimes
from flowstudio.studio.eta import format_duration, rough_duration
from flowstudio.studio.paths import runs_dir
from flowstudio.studio.runs import DATASETS, list_runs, new_run_dir, read_run
from flowstudio.errors import UserInputError
from flowstudio.files import make_folder
from flowstudio.registry import Family, get_family
from flowstudio.training.runner import TrainRequest

PRESETS = (("small", "Small"), ("medium", "Medium"), ("large", "Large: best quality"))
FOLDER = "folder"
LABELLED = "labelled-sets"
"""The data choice "the evidence sets as labelled classes" (plus any unlabelled folders)."""
DATA_KIND = "images"
"""What the Train panel's data choices hold (the built-in sets and folders are all images)."""
PRESET_TIP = "Model size: small trains in minutes on a CPU, large gives the best models but needs a GPU or hours"


def preset_text(family: str, preset: str, steps: int | None = None) -> str:
    """``"levels 2 · steps 4 · hidden 64 — batch 64, 300 steps"``: a preset's architecture in one line,
    with ``steps`` (the Steps field) or the preset's own number of steps."""
    p = get_family(family).preset(preset)
    arch = " · ".join(f"{k} {v}" for k, v in p.arch.items())
    return f"{arch} — batch {p.batch_size}, {steps or p.steps:,} steps"


def progress_text(step: dict, eta: Any) -> str:
    """``"24 images/s · pass 0.7 over the data · about 12:30 left"`` for a step event and the run's ETA."""
    left = format_duration(eta.remaining()) if eta is not None else ""
    return (f"{step.get('images_per_s') or 0:,.0f} images/s · pass {step.get('epoch', 0):.1f} over the data"
            + (f" · {left} left" if left else ""))


def live_every(steps: int) -> list[str]:
    """Event cadence for watching: about 20 sample grids and 10 held-out evaluations per run."""
    return ["--sample-every", str(max(10, steps // 20)), "--eval-every", str(max(10, steps // 10)),
            "--log-every", str(max(1, min(10, steps // 50)))]


class TrainView(QWidget):
    def __init__(self, studio: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        self.training = studio.training
        self.extra: list[str] = []  # more ``flowstudio train`` options (tests use a tiny architecture)
        self.folder: str | None = None
        self.total_steps = 0

        self.data = QComboBox(toolTip="The images to learn from")
        for key, label in DATASETS:
            self.data.addItem(label, key)
        self.data.addItem("A folder of images…", FOLDER)
        self.data.addItem("Evidence sets as labelled classes", LABELLED)
        self.data.activated.connect(self._data_chosen)
        self.unlabelled: list[str] = []
        self.as_classes = icon_button("Sets as classes", "fa5s.tags", "Train from the evidence sets: each set is a "
                                      "class, its images labelled by the set's name", self.use_sets_as_classes)
        self.add_unlabelled_button = icon_button("Add unlabelled folder…", "fa5s.folder-plus",
                                                 "Images without a label, for a semi-supervised family to learn "
                                                 "from beside the labelled sets", self.ask_unlabelled)
        self.classes_text = role_label("", "hint", wrap=True)
        self.family = family_choice(DATA_KIND, "The kind of flow to train (each item's tooltip says what it is)")
        self.preset = QComboBox(toolTip=PRESET_TIP)
        for key, label in PRESETS:
            self.preset.addItem(label, key)
        self.arch = role_label("", "hint", wrap=True)
        self.estimate = LiveLabel("", "hint")
        self.estimate.setToolTip("Measured on this machine with a few real training steps of each size "
                                 "(as flowstudio train --estimate does)")
        self.times = PresetTimes(self)
        self.times.measured.connect(lambda _: self._show_estimate())
        self.times.failed.connect(lambda *_: self._show_estimate())
        self.times.busyChanged.connect(lambda _: self._show_estimate())
        studio.renderers.append(self.times)  # counted as busy; stopped at exit
        self.steps = QSpinBox(minimum=10, maximum=1_000_000, singleStep=500, toolTip="Optimiser steps in total")
        self.device = QComboBox(toolTip="Where the training runs (Automatic picks a GPU when there is one)")
        for key, label in DEVICES:
            self.device.addItem(label, key)
        self.name = QLineEdit(placeholderText="e.g. my-digits", toolTip="The run's folder name under the runs folder")
        for combo in (self.family, self.preset):
            combo.currentIndexChanged.connect(self._preset_changed)
        for combo in (self.data, self.family, self.device):
            combo.currentIndexChanged.connect(lambda _: self.measure())
        self.steps.valueChanged.connect(lambda _: (self._show_arch(), self._show_estimate()))
        self.form = form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("Data", self.data)
        label_row = QHBoxLayout()
        label_row.addWidget(self.as_classes)
        label_row.addWidget(self.add_unlabelled_button)
        form.addRow("", label_row)
        form.addRow("", self.classes_text)
        form.addRow("Family", self.family)
        form.addRow("Size", self.preset)
        form.addRow("", self.arch)
        form.addRow("Steps", self.steps)
        form.addRow("", self.estimate)
        form.addRow("Device", self.device)
        form.addRow("Run name", self.name)
        self.start_button = icon_button("Start training", "fa5s.play", "Train in a separate process; the studio "
                                    "stays usable", self.start)
        self.start_button.setProperty("role", "primary")
        self.pause_button = icon_button("Pause", "fa5s.pause", "Pause after the current step (Resume continues)",
                                    self.toggle_pause)
        self.cancel_button = icon_button("Cancel", "fa5s.stop", "Stop now; a checkpoint is written so the run can be "
                                     "resumed later", self.training.cancel)
        controls = QHBoxLayout()
        for button in (self.start_button, self.pause_button, self.cancel_button):
            controls.addWidget(button)

        self.runs = QTreeWidget(rootIsDecorated=False, uniformRowHeights=True,
                                toolTip="Runs in the studio's runs folder, newest first")
        self.runs.setHeaderLabels(["Run", "Data", "Steps", "Bits/dim", "State"])
        self.runs.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.runs.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.runs.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.runs.itemSelectionChanged.connect(self._sync_buttons)
        self.runs.itemDoubleClicked.connect(lambda *_: self.open_model())
        self.resume_button = icon_button("Resume", "fa5s.redo", "Continue the chosen cancelled or interrupted run from "
                                     "its checkpoint", self.resume_selected)
        self.open_button = icon_button("Open model", "fa5s.folder-open", "Use the chosen finished run's model in the "
                                   "studio", self.open_model)
        run_buttons = QHBoxLayout()
        run_buttons.addWidget(self.resume_button)
        run_buttons.addWidget(self.open_button)
        run_buttons.addStretch(1)
        refresh = QPushButton(toolTip="Read the runs folder again")
        bind_icon(refresh, "fa5s.sync")
        refresh.clicked.connect(self.refresh_runs)
        run_buttons.addWidget(refresh)

        left = QVBoxLayout()
        left.setSpacing(8)
        left.addWidget(role_label("New training", "heading"))
        left.addLayout(form)
        left.addLayout(controls)
        left.addSpacing(8)
        left.addWidget(role_label("Runs", "heading"))
        left.addWidget(self.runs, 1)
        left.addLayout(run_buttons)
        left_box = QWidget()
        left_box.setLayout(left)
        left_box.setFixedWidth(350)
        left.setContentsMargins(0, 0, 0, 0)

        self.status = LiveLabel("No training is running.", "heading")
        self.detail = role_label("Pick data and a size, then Start.", "hint", wrap=True)  # never cut off
        self.bar = QProgressBar(textVisible=True)
        self.plot = LossPlot()
        self.samples = QLabel(alignment=Qt.AlignmentFlag.AlignCenter,
                              toolTip="Samples from fixed noise at the latest step: they sharpen as the model learns")
        self.samples.setMinimumSize(200, 160)
        self.samples.setFrameShape(QFrame.Shape.StyledPanel)
        self.samples_caption = role_label("Samples appear here during training", "hint")
        self.samples_caption.setAlignment(Qt.AlignmentFlag.AlignCenter)
        right = QVBoxLayout()
        right.setSpacing(8)
        right.addWidget(self.status)
        right.addWidget(self.detail)
        right.addWidget(self.bar)
        right.addWidget(self.plot, 2)
        right.addWidget(self.samples, 3)
        right.addWidget(self.samples_caption)

        layout = QHBoxLayout(scroll_body(self))
        layout.setContentsMargins(16, 12, 16, 8)
        layout.setSpacing(20)
        layout.addWidget(left_box)
        layout.addLayout(right, 1)

        self.training.event.connect(self.on_event)
        self.training.runningChanged.connect(self._running_changed)
        self.family.currentIndexChanged.connect(lambda _: self._sync_labelled())
        studio.doc.setsChanged.connect(self._sync_labelled)
        self._preset_changed()
        self.refresh_runs()
        self._sync_labelled()

    # -- the form -----------------------------------------------------------------------
    def _data_chosen(self, index: int) -> None:
        self._sync_labelled()
        if self.data.itemData(index) != FOLDER:
            return
        folder = ask_folder(self, "Folder of training images", self.studio.prefs)
        if folder:
            self.set_folder(folder)
        else:
            self.data.setCurrentIndex(0)

    def set_folder(self, folder: str) -> None:
        self.folder = folder
        self.data.setItemText(self.data.findData(FOLDER), f"Folder: {Path(folder).name}")
        self.data.setCurrentIndex(self.data.findData(FOLDER))

    # -- labelled classes ---------------------------------------------------------------
    def use_sets_as_classes(self) -> None:
        """The evidence sets as the classes to train from (one click)."""
        self.data.setCurrentIndex(self.data.findData(LABELLED))
        self._sync_labelled()

    def ask_unlabelled(self) -> None:
        folder = ask_folder(self, "Folder of unlabelled images", self.studio.prefs)
        if folder:
            self.add_unlabelled(folder)

    def add_unlabelled(self, folder: str | Path) -> None:
        """Train from the images in ``folder`` too, without labels (with the sets as classes)."""
        if str(folder) not in self.unlabelled:
            self.unlabelled.append(str(folder))
        self.use_sets_as_classes()

    def classes(self) -> dict[str, list[str]]:
        """Each evidence set's usable images, by the set's name (the sets with images only)."""
        sets = {s.name: [i.path for i in s.items if i.included and not i.error] for s in self.studio.doc.sets}
        return {name: paths for name, paths in sets.items() if paths}

    def labelled(self) -> bool:
        return self.data.currentData() == LABELLED

    def _sync_labelled(self, *_: Any) -> None:
        """With the sets as classes: offer the families that learn from labels, say what Start will do."""
        labelled = self.labelled()
        learns_labels: Callable[[Family], bool] | None = (
            (lambda f: f.capabilities.label_conditioning or f.capabilities.semi_supervised) if labelled else None)
        before = self.family.currentData()
        fill_family_choice(self.family, DATA_KIND, learns_labels)
        if self.family.currentData() != before:
            self._preset_changed()
        self.form.setRowVisible(self.classes_text, labelled)
        self.start_button.setText(self.start_text())
        if labelled:
            classes = self.classes()
            counts = ", ".join(f"{name} ({len(paths)})" for name, paths in classes.items()) or "none yet"
            free = f" · unlabelled: {', '.join(Path(f).name for f in self.unlabelled)}" if self.unlabelled else ""
            self.classes_text.setText(f"Classes: {counts}{free}")
        self._sync_buttons()

    def start_text(self) -> str:
        """"Train semi-supervised", "Train conditional" or "Start training", as the data and family make it."""
        if not self.labelled() or self.family.currentData() is None:
            return "Start training"
        caps = get_family(self.family.currentData()).capabilities
        return "Train semi-supervised" if caps.semi_supervised and self.unlabelled else "Train conditional"

    def _preset_changed(self) -> None:
        family, preset = self.family.currentData(), self.preset.currentData()
        self.steps.setValue(get_family(family).preset(preset).steps)
        self._show_arch()

    def _show_arch(self) -> None:
        """The size's architecture, with the number of steps set below it."""
        self.arch.setText(preset_text(self.family.currentData(), self.preset.currentData(), self.steps.value()))

    # -- measured time ------------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802
        super().showEvent(event)
        self.measure()

    def hideEvent(self, event) -> None:  # noqa: N802
        self.times.stop()  # measuring costs the machine: only while the panel is looked at
        super().hideEvent(event)

    def data_source(self) -> str | None:
        """The ``--data`` value (``None`` for the sets as classes: their manifest is written at Start)."""
        if self.labelled():
            return None
        return self.folder if self.data.currentData() == FOLDER else self.data.currentData()

    def measure(self) -> None:
        """Time each preset for the chosen data, family and device (not during a run: it has its own ETA)."""
        data = self.data_source()
        if self.isVisible() and data and not self.training.running:
            self.times.request(*self._key())
        self._show_estimate()

    def _key(self) -> tuple[str, str, str]:
        return self.data_source() or "", self.family.currentData(), self.device.currentData()

    def _show_estimate(self) -> None:
        key = self._key()
        times = self.times.step_s.get(key, {})
        for i, (preset, label) in enumerate(PRESETS):
            step_s = times.get(preset)
            steps = get_family(self.family.currentData()).preset(preset).steps
            self.preset.setItemText(i, f"{label.split(':')[0]} · {rough_duration(step_s * steps)}" if step_s
                                    else label)
        step_s = times.get(self.preset.currentData())
        if step_s:
            self.estimate.setText(f"{rough_duration(step_s * self.steps.value()).capitalize()} on this machine · "
                                  f"{step_s:.2f} s a step")
        elif key in self.times.errors:
            self.estimate.setText(f"Could not measure the time: {self.times.errors[key]}")
        elif self.times.busy and self.times.key == key:
            self.estimate.setText("Measuring how long this takes here…")
        else:
            self.estimate.setText("")
        self.form.setRowVisible(self.estimate, bool(self.estimate.text()))

    def _running_changed(self, running: bool) -> None:
        if running:
            self.times.stop()
        self.refresh_runs()
        self._sync_buttons()

    def request(self) -> TrainRequest:
        data = self.data_source()
        steps = self.steps.value()
        shape: dict[str, Any] = {}
        if self.labelled():  # the sets' images at the open model's size, as its examples were read
            from flowstudio.training.labelled_sets import MANIFEST_SUFFIX, write_manifest  # torch: not at start-up

            data = write_manifest(make_folder(runs_dir() / "labelled-data") / f"{self.run_name()}{MANIFEST_SUFFIX}",
                                  self.classes(), self.unlabelled)
            info = self.studio.host.info
            if info is not None:
                shape = {"image_size": info.image_shape[1], "channels": info.image_shape[0]}
        return TrainRequest(data=str(data), family=self.family.currentData(), preset=self.preset.currentData(),
                            steps=steps, device=self.device.currentData(), name=self.run_name(),
                            extra=live_every(steps) + list(self.extra), **shape)

    def run_name(self) -> str:
        data = Path(self.folder).name if self.data.currentData() == FOLDER and self.folder else self.data.currentData()
        return self.name.text().strip() or f"{self.family.currentData()}-{data}"

    # -- steering -----------------------------------------------------------------------
    def start(self) -> Any:
        if self.training.running:
            return None
        try:
            request = self.request()
        except UserInputError as exc:  # the classes' list could not be written
            self.studio.notifier.error("Could not start the training", str(exc))
            return None
        run_dir = new_run_dir(runs_dir(), request.name)
        self._begin(request.steps, f"Starting “{run_dir.name}”…")
        return self.training.start(request, run_dir)

    def resume_selected(self) -> Any:
        run = self.selected_run()
        if run is None or not run.resumable or self.training.running:
            return None
        self._begin(run.steps, f"Resuming “{run.path.name}”…")
        return self.training.resume(run.path)

    def _begin(self, steps: int, text: str) -> None:
        self.total_steps = steps
        self.plot.clear(steps)
        self.bar.setRange(0, max(steps, 1))
        self.bar.setValue(0)
        self.status.setText(text)
        self.detail.setText("Preparing the data and the model…")
        self.samples.clear()
        self._sync_buttons()

    def toggle_pause(self) -> None:
        if self.training.paused:
            self.training.resume_paused()
        else:
            self.training.pause()

    # -- events -------------------------------------------------------------------------
    def on_event(self, e: dict) -> None:
        kind = e.get("event")
        name = self.training.run_dir.name if self.training.run_dir else ""
        if kind == "start":
            self.total_steps = int(e.get("settings", {}).get("steps", self.total_steps) or self.total_steps)
            self.plot.total_steps = self.total_steps
            self.plot.set_unit(e.get("score_unit", "bits/dim"))
            self.bar.setRange(0, max(self.total_steps, 1))
            self.status.setText(f"Training “{name}”")
            eta = self.training.eta
            left = format_duration(eta.remaining()) if eta is not None else ""
            self.detail.setText(f"{e.get('parameters', 0):,} parameters on {e.get('device')} · "
                                f"{e.get('n_train', 0):,} training images"
                                + (f" · about {left} in all (measured here; corrected as it runs)" if left else ""))
            self.refresh_runs()
        elif kind == "step":
            self.bar.setValue(int(e["step"]))
            self.plot.add_step(int(e["step"]), e.get("loss_bpd"))
            self.detail.setText(f"Step {int(e['step']):,} of {self.total_steps:,} · "
                                + progress_text(e, self.training.eta))
            self._live_row(f"{e['step']:,} / {self.total_steps:,}", 2)
            self._live_row(f"{e['loss_bpd']:.3f}" if e.get("loss_bpd") is not None else "–", 3)
        elif kind == "eval" or (kind == "done" and e.get("test_bpd") is not None):
            self.plot.add_eval(int(e["step"]), e.get("test_bpd"))
        elif kind == "samples":
            self.show_samples(e["path"], int(e["step"]))
        elif kind in ("paused", "resumed"):
            self.status.setText(f"Paused “{name}”" if kind == "paused" else f"Training “{name}”")
            self._live_row("paused" if kind == "paused" else "running", 4)
            if kind == "paused":
                self.detail.setText("Paused after the current step: Resume continues, Cancel keeps a checkpoint.")
        elif kind == "warning":
            self.studio.notifier.warning("Training", e.get("message", ""))
        if kind in ("done", "cancelled", "error"):
            self._finished(e, name)
        self._sync_buttons()

    def _finished(self, e: dict, name: str) -> None:
        kind = e["event"]
        if kind == "done":
            self.status.setText(f"“{name}” finished")
            self.studio.notifier.success(f"Training “{name}” finished",
                                         "Open model uses it in the studio.")
        elif kind == "cancelled":
            self.status.setText(f"“{name}” cancelled at step {e.get('step', 0):,}")
            self.detail.setText("A checkpoint was kept: Resume continues from there.")
        else:
            self.status.setText(f"“{name}” stopped with an error")
            self.studio.notifier.error("Training stopped", e.get("message", ""),
                                       details=[e["stderr_tail"]] if e.get("stderr_tail") else ())

    def show_samples(self, path: str, step: int) -> None:
        pixmap = QPixmap(path)
        if pixmap.isNull():
            return
        side = min(self.samples.width(), self.samples.height()) - 8
        k = max(1, side // max(pixmap.width(), 1))
        self.samples.setPixmap(pixmap.scaled(pixmap.width() * k, pixmap.height() * k,
                                             Qt.AspectRatioMode.KeepAspectRatio,
                                             Qt.TransformationMode.FastTransformation))
        self.samples_caption.setText(f"Samples at step {step:,}")

    # -- runs ---------------------------------------------------------------------------
    def refresh_runs(self) -> None:
        keep = self.selected_run()
        running = {self.training.run_dir} if self.training.running and self.training.run_dir else set()
        self.runs.clear()
        for run in list_runs(runs_dir(), running):
            bpd = f"{run.last_bpd:.3f}" if run.last_bpd is not None else "–"
            state = "paused" if run.state == "running" and self.training.paused else run.state
            item = QTreeWidgetItem([run.path.name, run.data, f"{run.step:,} / {run.steps:,}", bpd, state])
            item.setData(0, Qt.ItemDataRole.UserRole, str(run.path))
            item.setToolTip(0, str(run.path))
            self.runs.addTopLevelItem(item)
            if keep is not None and run.path == keep.path:
                item.setSelected(True)
        self._sync_buttons()

    def _live_row(self, text: str, column: int) -> None:
        """Keep the running run's row current without re-reading the folder."""
        for i in range(self.runs.topLevelItemCount()):
            item = self.runs.topLevelItem(i)
            if self.training.run_dir is not None and Path(item.data(0, Qt.ItemDataRole.UserRole)) == self.training.run_dir:
                item.setText(column, text)

    def select_run(self, path: str | Path) -> None:
        for i in range(self.runs.topLevelItemCount()):
            item = self.runs.topLevelItem(i)
            item.setSelected(Path(item.data(0, Qt.ItemDataRole.UserRole)) == Path(path))

    def selected_run(self) -> Any:
        items = self.runs.selectedItems() if hasattr(self, "runs") else []
        return read_run(items[0].data(0, Qt.ItemDataRole.UserRole)) if items else None

    def open_model(self) -> Any:
        run = self.selected_run()
        if run is None or run.model is None:
            return None
        self.studio.notifier.info(f"Opening the model of “{run.path.name}”")
        return self.studio.load_model(str(run.model))

    def _sync_buttons(self) -> None:
        running = self.training.running
        run = self.selected_run()
        live = run is not None and running and self.training.run_dir is not None and run.path == self.training.run_dir
        self.start_button.setEnabled(not running and (not self.labelled() or len(self.classes()) >= 2))
        if self.labelled() and len(self.classes()) < 2:
            self.start_button.setToolTip("Make two evidence sets or more: each one is a class")
        self.pause_button.setEnabled(running)
        self.cancel_button.setEnabled(running)
        self.pause_button.setText("Resume" if self.training.paused else "Pause")
        bind_icon(self.pause_button, "fa5s.play" if self.training.paused else "fa5s.pause")
        self.resume_button.setEnabled(not running and run is not None and run.resumable)
        self.open_button.setEnabled(run is not None and run.model is not None and not live)


def _screenshot(window: Any) -> None:
    """A tiny real run (digits, small preset), captured once steps and a sample grid have arrived."""
    from flowstudio.studio._qt.screenshots import wait_until

    view = window.panels["train"]
    window.show_panel("train")
    if not view.training.running:
        view.steps.setValue(1000)
        view.name.setText("digits-demo")
        view.start()
    seen: dict[str, int] = {}
    view.training.event.connect(lambda e: seen.__setitem__(e["event"], seen.get(e["event"], 0) + 1))
    if not wait_until(lambda: seen.get("step", 0) >= 3 and seen.get("samples", 0) >= 2 and seen.get("eval", 0) >= 1,
                      timeout_s=300):
        raise RuntimeError("the demo training sent no samples in time")


register_panel(PanelSpec("train", "Train", "fa5s.dumbbell", "center", TrainView, order=50,
                         screenshots=(ScreenshotSpec("train", _screenshot),)))
