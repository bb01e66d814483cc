"""Classify: the evidence sets act as classes; dropped images are sorted into them (few-shot, no training).

Tick two sets or more; drop images or folders onto the panel (or use the
Add buttons).  Encoding and scoring run as a job on the model's thread,
with progress, ETA and Cancel; rows appear batch by batch.  The Method box
picks the classifier's rule (:data:`~flowstudio.fewshot_methods.METHODS`: the
paper's isotropic Transflow, or one of three beyond the paper, as
``flowstudio classify --method``).  Changing the classes, the method or the
likelihood settings (the Posterior panel's λ and covariance, read by the
isotropic method) sorts the same images again.  Results export as the command line's CSV, or
as copies in one folder per class.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QSortFilterProxyModel, Qt, QTimer
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QHBoxLayout, QHeaderView, QListWidget,
                               QListWidgetItem, QTableView, QVBoxLayout, QWidget)

from flowstudio.fewshot_methods import BEYOND_PAPER, METHODS
from flowstudio.registry import get_family

from flowstudio.studio._qt.dialogs import EXPORT_DIR, IMAGE_FILTER, ask_export_path, ask_folder, ask_open_paths
from flowstudio.studio._qt.evidence_flow import plural, problem_lines
from flowstudio.studio._qt.file_drops import accept_file_drops
from flowstudio.studio._qt.icons import icon_button
from flowstudio.studio._qt.labels import LiveLabel, role_label
from flowstudio.studio._qt.panels import PanelSpec, ScreenshotSpec, register_panel
from flowstudio.studio._qt.views.classify_model import SORT_ROLE, THUMB, ClassifyModel
from flowstudio.studio._qt.views.job_progress import JobProgress
from flowstudio.studio._qt.views.scroll_body import scroll_body
from flowstudio.studio.engine import api

CLASSES_TIP = ("Each ticked evidence set is one class. An image goes to the class whose examples make it most "
               "likely. λ and covariance come from the Posterior panel: with a diagonal covariance, use an "
               "absolute λ (e.g. 1), since a λ relative to the number of examples favours the tightest class.")
EXACT_TIP = ("This model classifies by itself: each image gets the model's exact p(y | x) over the classes it was "
             "trained with (in percent; the row adds up to 100 %). Evidence sets and the method do not apply.")
EMPTY_TIP = "Drop images or folders here to sort them into the ticked sets"
METHOD_TIP = ("How an image's likelihood under each class is computed. Isotropic is the Transflow paper's rule "
              f"(with the Posterior panel's λ and covariance); {', '.join(BEYOND_PAPER)} are beyond the paper "
              "and use all classes' spread (hover an entry for what it does).")
RERUN_MS = 300
SORTING = {"likelihood", "classify_method"}
"""The document parameters that change a classification (PosteriorParams field names)."""


class ClassifyView(QWidget):
    def __init__(self, studio: Any, parent: QWidget | None = None):
        super().__init__(parent)
        self.studio = studio
        self.queries: list[str] = []
        self.job: Any = None
        self._known: set[str] = set()  # sets seen so far
        self._ran_with: dict[str, list[str]] = {}  # the classes of the last sorting
        self.classes = QListWidget(toolTip=CLASSES_TIP)
        self.classes.setFixedWidth(200)
        self.classes.itemChanged.connect(lambda _: self.schedule())
        self.method = QComboBox(toolTip=METHOD_TIP)
        for name, about in METHODS.items():
            self.method.addItem(f"{name} *" if name in BEYOND_PAPER else f"{name} (paper)", name)  # fits 200 px
            self.method.setItemData(self.method.count() - 1, about, Qt.ItemDataRole.ToolTipRole)
        self.method.setFixedWidth(200)
        self.method.setCurrentIndex(self.method.findData(studio.doc.params.classify_method))
        # The method is a document parameter: undoable, saved in projects and restored with the last session.
        self.method.currentIndexChanged.connect(
            lambda _: studio.edit.change_params("Change classify method", classify_method=self.method.currentData()))
        self.model = ClassifyModel(self)
        self.proxy = QSortFilterProxyModel(self, sortRole=SORT_ROLE)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView(sortingEnabled=True, toolTip=EMPTY_TIP, alternatingRowColors=False,
                                selectionBehavior=QAbstractItemView.SelectionBehavior.SelectRows,
                                editTriggers=QAbstractItemView.EditTrigger.NoEditTriggers, showGrid=False)
        self.table.setModel(self.proxy)
        self.table.setIconSize(self.table.iconSize().expandedTo(self.table.iconSize().__class__(THUMB, THUMB)))
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(THUMB + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # file names give way (elided), not classes
        header.setMinimumSectionSize(48)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.summary = LiveLabel("Tick two sets or more, then drop images here.", "hint")
        self.progress = JobProgress()
        self.export_csv = icon_button("Export CSV…", "fa5s.file-csv", "Save the table as CSV: file, predicted class, "
                                  "one log-likelihood column per class (as flowstudio classify)", self.ask_export_csv)
        self.copy = icon_button("Copy into class folders…", "fa5s.folder-plus",
                            "Copy every image into a subfolder named after its predicted class", self.ask_copy)
        head = QHBoxLayout()
        head.setSpacing(8)
        head.addWidget(role_label("Classify", "heading"))
        head.addSpacing(8)
        head.addWidget(self.summary, 1)
        left = QVBoxLayout()
        self.classes_title = role_label("Classes (evidence sets)", "hint")
        left.addWidget(self.classes_title)
        left.addWidget(self.classes, 1)
        left.addWidget(role_label("Method (* beyond the paper)", "hint"))
        left.addWidget(self.method)
        left.addWidget(role_label("Images to sort", "hint"))
        left.addWidget(icon_button("Add images…", "fa5s.images", "Choose image files to sort", self.ask_add_images))
        left.addWidget(icon_button("Add folder…", "fa5s.folder-open", "Choose a folder of images to sort",
                               self.ask_add_folder))
        left.addWidget(icon_button("Clear", "fa5s.trash-alt", "Forget the sorted images", self.clear))
        right = QVBoxLayout()
        right.addWidget(self.table, 1)
        right.addWidget(self.progress)  # a row of its own: beside the buttons it made the tab scroll at 1366x768
        foot = QHBoxLayout()
        foot.addStretch(1)
        foot.addWidget(self.export_csv)
        foot.addWidget(self.copy)
        right.addLayout(foot)
        body = QHBoxLayout()
        body.setSpacing(12)
        body.addLayout(left)
        body.addLayout(right, 1)
        layout = QVBoxLayout(scroll_body(self))
        layout.setContentsMargins(16, 12, 16, 8)
        layout.addLayout(head)
        layout.addLayout(body, 1)

        self._rerun = QTimer(self, singleShot=True, interval=RERUN_MS, timeout=self.run)
        accept_file_drops(self.table, self.add)
        accept_file_drops(self, self.add)
        doc = studio.doc
        doc.setsChanged.connect(self.refresh_classes)
        doc.documentReplaced.connect(self.refresh_classes)
        doc.paramsChanged.connect(self._params_changed)
        for signal in (doc.itemsInserted, doc.itemsRemoved):
            signal.connect(self._class_changed)
        doc.itemsChanged.connect(self._class_changed)
        studio.host.modelLoaded.connect(lambda _: (self.refresh_classes(), self.schedule(force=True)))
        self.refresh_classes()
        self._sync_buttons()

    # -- classes ------------------------------------------------------------------------
    def refresh_classes(self) -> None:
        if self.exact():  # the model's own classes, shown (not ticked: they are not evidence sets)
            self.classes_title.setText("Classes (the model's own)")
            self.classes.clear()
            self.classes.addItems(list(self.studio.host.info.label_names))
            return
        if self.classes_title.text() != "Classes (evidence sets)":
            self.classes_title.setText("Classes (evidence sets)")
            self.classes.clear()
        ticked = set(self.class_uids())
        auto = len(ticked) < 2  # new sets join the classes only until there are two
        self.classes.blockSignals(True)
        self.classes.clear()
        for s in self.studio.doc.sets:
            item = QListWidgetItem(s.name)
            item.setData(Qt.ItemDataRole.UserRole, s.uid)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            on = s.uid in ticked or (auto and s.uid not in self._known)
            self._known.add(s.uid)
            item.setCheckState(Qt.CheckState.Checked if on else Qt.CheckState.Unchecked)
            self.classes.addItem(item)
        self.classes.blockSignals(False)
        self.schedule()

    def class_examples(self) -> dict[str, list[str]]:
        """Each ticked set's included example files (the job encodes the ones not read yet)."""
        sets = [self.studio.doc.find_set(uid) for uid in self.class_uids()]
        examples = {s.name: [i.path for i in s.items if i.included and not i.error] for s in sets if s is not None}
        return {name: paths for name, paths in examples.items() if paths}

    def _class_changed(self, set_uid: str, *_: Any) -> None:
        """A class's images changed: sort again, unless only their verdicts did (the examples are the same)."""
        if set_uid in self.class_uids():
            self.schedule()

    def class_uids(self) -> list[str]:
        items = (self.classes.item(i) for i in range(self.classes.count()))
        return [i.data(Qt.ItemDataRole.UserRole) for i in items if i.checkState() == Qt.CheckState.Checked]

    def set_classes(self, names: list[str]) -> None:
        """Tick exactly the sets called ``names``."""
        for i in range(self.classes.count()):
            item = self.classes.item(i)
            item.setCheckState(Qt.CheckState.Checked if item.text() in names else Qt.CheckState.Unchecked)

    def exact(self) -> bool:
        """Whether the open model classifies itself (its own p(y | x) over its trained classes; no sets needed)."""
        info = self.studio.host.info
        return bool(info is not None and info.label_names
                    and get_family(info.card.family).capabilities.classification)

    # -- sorting ------------------------------------------------------------------------
    def add(self, paths: list[str | Path]) -> None:
        """Sort these files or folders (added to the ones already in the table)."""
        self.queries += [str(p) for p in paths if str(p) not in self.queries]
        self.run()

    def clear(self) -> None:
        self.queries = []
        self._cancel()
        self.model.reset(self.model.classes)
        self._sync_buttons()

    def _params_changed(self, changed: frozenset[str]) -> None:
        if "classify_method" in changed:
            self.method.blockSignals(True)
            self.method.setCurrentIndex(self.method.findData(self.studio.doc.params.classify_method))
            self.method.blockSignals(False)
        if changed & SORTING:
            self.schedule(force=True)

    def schedule(self, force: bool = False) -> None:
        """Sort again shortly (bursts of changes sort once), if the classes changed or ``force`` (new parameters)."""
        if self.queries and (force or self.class_examples() != self._ran_with):
            self._rerun.start()

    def run(self) -> Any:
        """Sort every query again with the ticked classes and current parameters (a job; the old one is cancelled)."""
        self._rerun.stop()
        studio = self.studio
        exact = self.exact()
        classes = {name: [] for name in studio.host.info.label_names} if exact else self.class_examples()
        self._ran_with = classes
        self._cancel()
        self.model.reset(list(classes), exact)
        self.classes.setEnabled(not exact)
        self.method.setEnabled(not exact)
        self.classes.setToolTip(EXACT_TIP if exact else CLASSES_TIP)
        self.table.horizontalHeader().setSectionResizeMode(  # many classes: the names give way, not the numbers
            0, QHeaderView.ResizeMode.ResizeToContents if exact else QHeaderView.ResizeMode.Stretch)
        self._sync_buttons()
        if not self.queries:
            return None
        if not exact and len(classes) < 2:
            self.summary.setText("Tick two evidence sets or more (each one is a class).")
            return None
        if studio.host.engine is None:
            return None
        work = ((api.classify_exact, studio.host.engine, list(self.queries)) if exact else
                (api.classify, studio.host.engine, classes, studio.doc.params.likelihood, list(self.queries),
                 studio.doc.params.classify_method))
        errors: list[tuple[str, str]] = []
        job = studio.host.run_steps(f"Sorting {plural(len(self.queries), 'item')}", *work, model_work=True,
                                    on_step=lambda step: self._step(job, step, errors),
                                    on_error=lambda exc: studio.notifier.error("Sorting failed", str(exc)),
                                    on_end=lambda j: self._ended(j, errors))
        self.job = job
        return self.progress.track(job)

    def _cancel(self) -> None:
        if self.job is not None and self.job.active:
            self.job.cancel()
        self.job = None

    def _step(self, job: Any, step: Any, errors: list) -> None:
        if job is not self.job:
            return
        errors += step.errors
        self.model.append(step.rows)
        self._sync_buttons()

    def _ended(self, job: Any, errors: list) -> None:
        if job is not self.job:
            return
        if errors:
            self.studio.notifier.warning(f"{plural(len(errors), 'file')} could not be sorted",
                                         "They are not images this app can read:", details=problem_lines(errors))
        self._sync_buttons()

    def _sync_buttons(self) -> None:
        n, classes = self.model.rowCount(), self.model.classes
        for button in (self.export_csv, self.copy):
            button.setEnabled(n > 0)
        if n:
            counts = ", ".join(f"{c} {sum(r.predicted == c for r in self.model.rows)}" for c in classes)
            self.summary.setText(f"{plural(n, 'image')} sorted: {counts}")

    # -- files --------------------------------------------------------------------------
    def ask_add_images(self) -> None:
        paths = ask_open_paths(self, "Images to sort", self.studio.prefs, IMAGE_FILTER)
        if paths:
            self.add(paths)

    def ask_add_folder(self) -> None:
        folder = ask_folder(self, "Folder of images to sort", self.studio.prefs)
        if folder:
            self.add([folder])

    def export_csv_to(self, path: str | Path) -> Any:
        studio, name = self.studio, Path(path).name
        return studio.host.run_file_task(f"Exporting {name}", api.write_csv, list(self.model.rows),
                                         list(self.model.classes), str(path),
                                         on_done=lambda _: studio.notifier.success(f"Saved {name}"),
                                         on_error=lambda exc: studio.notifier.error(f"Could not save {name}", str(exc)))

    def copy_to(self, folder: str | Path) -> Any:
        studio = self.studio
        job = studio.host.run_steps("Copying into class folders", api.copy_into_folders,
                                    list(self.model.rows), str(folder),
                                    on_done=lambda _: studio.notifier.success("Copied into class folders", str(folder)),
                                    on_error=lambda exc: studio.notifier.error("Copying failed", str(exc)))
        return self.progress.track(job)

    def ask_export_csv(self) -> None:
        path = ask_export_path(self, "Export classification", "classification.csv", self.studio.prefs,
                               "CSV files (*.csv)")
        if path:
            self.export_csv_to(path)

    def ask_copy(self) -> None:
        folder = ask_folder(self, "Copy into class folders under…", self.studio.prefs, EXPORT_DIR)
        if folder:
            self.copy_to(folder)


def _screenshot(window: Any) -> None:
    """Sneakers, trousers and bags as classes; other Fashion-MNIST test images of those classes sorted."""
    from flowstudio.studio._qt.screenshots import wait_until
    from flowstudio.studio.paths import pasted_images_dir

    studio, view = window.studio, window.panels["classify"]
    names = ("sneakers", "trousers", "bags")
    for name in names:
        studio.evidence.open_example(name)
    view.set_classes(list(names))
    truth = api.write_fashion_queries(pasted_images_dir().parent / "classify-demo", 3)
    view.clear()
    view.add(sorted(truth))
    window.show_panel("classify")
    wait_until(lambda: view.model.rowCount() == len(truth) and len(view.model.classes) == 3, timeout_s=120)


register_panel(PanelSpec("classify", "Classify", "fa5s.tags", "center", ClassifyView, order=40,
                         screenshots=(ScreenshotSpec("classify", _screenshot),)))
