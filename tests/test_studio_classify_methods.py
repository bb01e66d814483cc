"""The Classify panel's Method box: switching the rule sorts the same images again, with percentages."""

from __future__ import annotations

import csv

from PySide6.QtCore import Qt
from tests.studio_support import (classify_fashion_classes, studio_home, wait_for_files,  # noqa: F401
                                  wait_idle, window)

from flowstudio.cli.main import main as cli
from flowstudio.fewshot_methods import BEYOND_PAPER, METHODS


def test_switching_method_sorts_again_as_the_command_line_does(qtbot, window, tmp_path):
    from flowstudio.studio.engine.classify import write_fashion_queries

    view = classify_fashion_classes(qtbot, window)
    assert [view.method.itemData(i) for i in range(view.method.count())] == list(METHODS)
    for i in range(view.method.count()):
        beyond = view.method.itemData(i) in BEYOND_PAPER
        assert view.method.itemText(i).endswith("*") == beyond
        assert ("beyond the paper" in view.method.itemData(i, Qt.ItemDataRole.ToolTipRole)) == beyond
    truth = write_fashion_queries(tmp_path / "queries", per_class=3)
    view.add(sorted(truth))
    qtbot.waitUntil(lambda: view.model.rowCount() == 9, timeout=60_000)
    wait_idle(qtbot, window)
    isotropic = [r.probabilities for r in view.model.rows]

    for method in BEYOND_PAPER:
        before = view.job
        view.method.setCurrentIndex(view.method.findData(method))
        qtbot.waitUntil(lambda: view.job is not before and view.model.rowCount() == 9 and not view.job.active,
                        timeout=60_000)
        wait_idle(qtbot, window)
        rows = view.model.rows
        assert sum(truth[r.path] == r.predicted for r in rows) >= 7, method
        assert all(abs(sum(r.probabilities) - 1) < 1e-9 for r in rows)
        assert [r.probabilities for r in rows] != isotropic, method
        shown = view.proxy.index(0, 2).data()
        assert shown.endswith("%"), shown

        # The exported table is the command line's for the same method.
        ours = tmp_path / f"{method}.csv"
        view.export_csv_to(ours)
        wait_for_files(qtbot, window)
        theirs = tmp_path / f"{method}-cli.csv"
        examples = view.class_examples()
        args = ["classify", *sorted(truth), "-o", str(theirs), "--method", method]
        for name, paths in examples.items():
            args += ["--class", f"{name}={','.join(paths)}"]
        assert cli(args) == 0
        ours_rows = {r["file"]: r for r in csv.DictReader(ours.open())}
        for row in csv.DictReader(theirs.open()):
            assert ours_rows[row["file"]]["predicted"] == row["predicted"]
            assert abs(float(ours_rows[row["file"]]["bags"]) - float(row["bags"])) < 1e-2


def test_the_method_is_undoable_and_saved_in_the_project(qtbot, window, tmp_path):
    import json

    studio = window.studio
    view = classify_fashion_classes(qtbot, window)
    assert view.method.currentData() == studio.doc.params.classify_method == "isotropic"
    view.method.setCurrentIndex(view.method.findData("fusion"))
    assert studio.doc.params.classify_method == "fusion" and studio.projects.modified
    studio.undo.undo()
    assert studio.doc.params.classify_method == "isotropic" and view.method.currentData() == "isotropic"
    studio.undo.redo()
    assert view.method.currentData() == "fusion"
    # Sampling presets and their reset leave the Classify panel's own choice alone.
    bar = window.panels["posterior"].preset_bar
    studio.edit.change_params(temperature=0.5)
    assert bar.save_preset("warm")  # saved while the method is fusion
    assert bar.reset_settings() and studio.doc.params.temperature == 0.7
    assert studio.doc.params.classify_method == "fusion"
    studio.edit.change_params(classify_method="pooled-diagonal")
    assert bar.apply_preset("warm") and studio.doc.params.temperature == 0.5
    assert studio.doc.params.classify_method == "pooled-diagonal"
    studio.edit.change_params(classify_method="fusion")

    project = tmp_path / "sorting.flowstudio.json"
    studio.projects.save(project)
    wait_for_files(qtbot, window)
    assert json.loads(project.read_text())["params"]["classify_method"] == "fusion"
    studio.projects.new()
    wait_idle(qtbot, window)
    studio.edit.change_params(classify_method="pooled-diagonal")
    assert view.method.currentData() == "pooled-diagonal"
    assert studio.projects.open(project)
    wait_idle(qtbot, window)
    assert studio.doc.params.classify_method == "fusion" and view.method.currentData() == "fusion"


def test_a_project_with_an_unknown_method_is_refused_by_name(tmp_path):
    import json

    import pytest

    from flowstudio.studio.state import Document, ProjectError

    data = Document().to_dict()
    data["params"]["classify_method"] = "telepathy"
    with pytest.raises(ProjectError, match="telepathy"):
        Document.from_dict(json.loads(json.dumps(data)))
