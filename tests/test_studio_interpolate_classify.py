"""The Interpolation and Classify tabs on the bundled model: live strips, exports equal to the CLI's, sorting."""

from __future__ import annotations

import csv

import numpy as np
from PIL import Image

from tests.studio_support import (classify_fashion_classes, example, studio_home, wait_for_files,  # noqa: F401
                                  wait_idle, window)

from flowstudio.cli.main import main as cli
from flowstudio.imaging import read_png_params


def _strip(qtbot, window, name_b: str, rows: int = 2):
    studio, view = window.studio, window.panels["interpolation"]
    window.show_panel("interpolation")
    studio.evidence.open_example(name_b)
    sets = {s.name: s.uid for s in studio.doc.sets}
    view.rows.setValue(rows)
    view.choose(sets["sneakers"], sets[name_b])
    qtbot.waitUntil(lambda: view.result is not None and view.result.request.name_b == name_b
                    and view.result.request.rows == rows and view.result.post_b.m == 8, timeout=60_000)
    wait_idle(qtbot, window)
    return view.result


def test_the_strip_renders_changes_with_the_set_and_exports_like_the_cli(qtbot, window, tmp_path):
    view = window.panels["interpolation"]
    boots = _strip(qtbot, window, "ankle-boots")
    assert boots.images.shape == (2, 9, 1, 28, 28) and boots.seeds == (0, 1) and boots.post_a.m == 8
    assert not np.array_equal(boots.images[:, 0], boots.images[:, -1])  # it goes somewhere
    assert view.grid.images is boots.images
    bags = _strip(qtbot, window, "bags")
    assert not np.array_equal(bags.images[:, -1], boots.images[:, -1])  # the right end follows set B
    np.testing.assert_array_equal(bags.images[:, 0], boots.images[:, 0])  # same left set, same seeds
    view.direct.setChecked(True)
    qtbot.waitUntil(lambda: view.result.images.shape[0] == 3, timeout=60_000)
    wait_idle(qtbot, window)

    png, gif, frames = tmp_path / "strip.png", tmp_path / "strip.gif", tmp_path / "frames"
    for job in (view.export_png(png), view.export_animation(gif), view.export_frames(frames)):
        assert job is not None
    wait_for_files(qtbot, window)
    ours = read_png_params(png)
    assert ours["kind"] == "posterior_interpolation" and ours["steps"] == 9 and ours["seeds"] == [0, 1]
    assert ours["direct_row"] is True and ours["from_m"] == ours["to_m"] == 8 and ours["from_set"] == "sneakers"
    assert Image.open(gif).n_frames == 9 + 7  # bounce: forth and back
    assert len(list(frames.glob("*.png"))) == 9 and read_png_params(sorted(frames.glob("*.png"))[-1])["t"] == 1.0

    theirs_png = tmp_path / "cli.png"
    assert cli(["interpolate", "--from", str(example("sneakers")), "--to", str(example("bags")), "-o",
                str(theirs_png), "--rows", "2", "--direct"]) == 0
    theirs = read_png_params(theirs_png)
    assert set(theirs) <= set(ours)
    for key in ("likelihood", "temperature", "seeds", "steps", "from_m", "to_m", "model_sha256"):
        assert ours[key] == theirs[key], key
    assert [f["sha256"] for f in ours["from"]] == [f["sha256"] for f in theirs["from"]]
    np.testing.assert_array_equal(np.asarray(Image.open(png)), np.asarray(Image.open(theirs_png)))


def test_classify_sorts_a_labelled_fashion_set_and_exports_the_table(qtbot, window, tmp_path):
    from flowstudio.studio.engine.classify import write_fashion_queries

    view = classify_fashion_classes(qtbot, window)
    truth = write_fashion_queries(tmp_path / "queries", per_class=5)
    from tests.studio_support import simulate_drop

    assert simulate_drop(view.table, [str(tmp_path / "queries")])
    qtbot.waitUntil(lambda: view.model.rowCount() == 15, timeout=60_000)
    wait_idle(qtbot, window)
    rows = view.model.rows
    correct = sum(truth[r.path] == r.predicted for r in rows)
    assert correct >= 10, f"{correct}/15"
    assert all(r.predicted == view.model.classes[int(np.argmax(r.scores))] for r in rows)

    # Sorting the table by a class's probability puts the most likely image on top.
    view.table.sortByColumn(2, view.table.horizontalHeader().sortIndicatorOrder().DescendingOrder)
    top = view.proxy.index(0, 2).data(view.proxy.sortRole())
    assert top == max(r.probabilities[0] for r in rows)

    out = tmp_path / "classes.csv"
    view.export_csv_to(out)
    view.copy_to(tmp_path / "sorted")
    wait_for_files(qtbot, window)
    with out.open() as f:
        table = list(csv.DictReader(f))
    assert list(table[0]) == ["file", "predicted", "sneakers", "trousers", "bags"]
    assert [(t["file"], t["predicted"]) for t in table] == [(r.path, r.predicted) for r in rows]
    assert all(abs(float(t["bags"]) - r.scores[2]) < 1e-3 for t, r in zip(table, rows))
    copied = {p.parent.name for p in (tmp_path / "sorted").rglob("*.png")}
    assert copied <= {"sneakers", "trousers", "bags"} and len(list((tmp_path / "sorted").rglob("*.png"))) == 15

    # Unticking a class sorts the same images again into the classes left.
    view.set_classes(["sneakers", "trousers"])
    qtbot.waitUntil(lambda: view.model.classes == ["sneakers", "trousers"] and view.model.rowCount() == 15,
                    timeout=60_000)
