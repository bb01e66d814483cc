"""The studio with labelled models: the Train panel trains a tiny semi-supervised flow (scnf) from the evidence
sets as classes plus an unlabelled folder, driven by its widgets; the model opens like any other, the Samples
view draws by label (a row per label, or one label) and the same style under every label, and Classify gives
its exact p(y | x) in percent.  Real Qt event loop, real ``flowstudio train`` child process, real data."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from flowstudio.checkpoint import load_checkpoint
from flowstudio.imaging import read_png_params
from flowstudio.studio._qt.panels.evidence_model import STATE_ROLE
from flowstudio.studio.engine import api
from tests.studio_support import studio_home, wait_idle, window  # noqa: F401

CLASSES = ("sneakers", "trousers", "bags")
TINY = ["--arch", "levels=2", "--arch", "steps=1", "--arch", "hidden=8", "--arch", "deep_channels=2",
        "--batch-size", "16", "--image-size", "16", "--sample-every", "5"]
RUN_MS = 120_000


def test_a_semi_supervised_run_from_the_train_panel_then_grids_by_label_and_classify(qtbot, window, tmp_path):
    studio, view = window.studio, window.panels["train"]
    for name in CLASSES:
        studio.evidence.open_example(name)
    wait_idle(qtbot, window)
    unlabelled = tmp_path / "unlabelled"
    truth = api.write_fashion_queries(unlabelled, 8)
    window.show_panel("train")
    assert view.start_button.text() == "Start training"
    qtbot.mouseClick(view.as_classes, Qt.MouseButton.LeftButton)  # the sets become the classes in one click
    families = [view.family.itemData(i) for i in range(view.family.count())]
    assert families == ["scnf"] or "glow" not in families  # only the families that learn from labels
    assert view.start_button.text() == "Train conditional"
    view.add_unlabelled(unlabelled)
    assert view.start_button.text() == "Train semi-supervised"
    assert all(f"{name} (" in view.classes_text.text() for name in CLASSES) and "unlabelled" in view.classes_text.text()
    view.steps.setValue(20)
    view.name.setText("semi")
    view.extra = list(TINY)
    seen: list[dict] = []
    view.training.event.connect(seen.append)
    qtbot.mouseClick(view.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: any(e["event"] in ("done", "error") for e in seen), timeout=RUN_MS)
    done = next(e for e in seen if e["event"] in ("done", "error"))
    assert done["event"] == "done", done
    start = next(e for e in seen if e["event"] == "start")
    assert start["n_train"] > len(truth)  # the labelled sets' images and the unlabelled ones
    assert 0 <= done["test_error"] <= 1

    qtbot.waitUntil(lambda: not view.training.running, timeout=RUN_MS)
    view.refresh_runs()
    view.select_run(view.training.run_dir)
    view.open_model()
    qtbot.waitUntil(lambda: studio.host.info is not None and studio.host.info.label_names == CLASSES, timeout=RUN_MS)
    card = load_checkpoint(studio.host.info.path).card
    assert card.labels == CLASSES and card.family == "scnf"
    # The evidence is shown as the model sees it (thumbnails, not scored): the model has no Transflow latents.
    shown = studio.doc.current_set
    qtbot.waitUntil(lambda: all(studio.thumbnails.pixels(i.sha256) is not None for i in shown.items), timeout=RUN_MS)
    assert all(studio.thumbnails.pixels(i.sha256).shape[-2:] == (16, 16) and i.bpd is None for i in shown.items)
    tiles = window.panels["evidence"].model
    assert tiles.data(tiles.index(0, 0), STATE_ROLE) == "kept"
    assert "Not scored" in tiles.data(tiles.index(0, 0), Qt.ItemDataRole.ToolTipRole)

    samples = window.panels["samples"]
    window.show_panel("samples")
    wait_idle(qtbot, window)
    assert samples.label_bar.isVisibleTo(samples)
    samples.set_label_mode("by_label")  # a row per label
    qtbot.waitUntil(lambda: studio.last_sample is not None and studio.last_sample.labels is not None, timeout=RUN_MS)
    wait_idle(qtbot, window)
    result = studio.last_sample
    assert samples.grid.images.shape[:2] == (3, 8) and samples.grid.row_labels == list(CLASSES)
    assert len(set(result.seeds)) == 24  # every cell its own seed
    dialog = samples.open_cell(1, 2)
    assert dialog.seed == result.seeds[8 + 2] and result.cell_label(8 + 2) == "trousers"
    dialog.close()
    samples.set_label_mode("same_style")
    qtbot.waitUntil(lambda: studio.last_sample.labels.kind == "same_style", timeout=RUN_MS)
    same = studio.last_sample
    assert same.seeds == tuple(range(same.request.params.seed, same.request.params.seed + 8)) * 3
    assert not np.array_equal(same.images[:8], same.images[8:16])  # the label changes the picture
    export = tmp_path / "same.png"
    studio.export("grid", export)
    qtbot.waitUntil(export.is_file, timeout=RUN_MS)
    record = read_png_params(export)
    assert record["kind"] == "same_style_samples" and record["labels"] == list(CLASSES)

    samples.set_label_mode("by_label", 2)  # one label fills the grid
    qtbot.waitUntil(lambda: studio.last_sample.labels.kind == "by_label" and studio.last_sample.labels.labels == (2,),
                    timeout=RUN_MS)
    assert samples.grid.images.shape[:2] == (4, 4)  # the grid's 16 cells, all of that label
    assert "By label: bags" in samples.summary.text()

    classify = window.panels["classify"]
    window.show_panel("classify")
    classify.add(sorted(truth))
    qtbot.waitUntil(lambda: classify.model.rowCount() == len(truth), timeout=RUN_MS)
    assert classify.model.classes == list(CLASSES) and not classify.classes.isEnabled()
    probabilities = np.array([row.probabilities for row in classify.model.rows])
    assert np.allclose(probabilities.sum(1), 1) and (probabilities >= 0).all()
    shown = classify.model.data(classify.model.index(0, 2))
    assert shown.endswith(" %")
    tip = classify.model.data(classify.model.index(0, 2), Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith(f"log p(y | x) of “{CLASSES[0]}”") and "posterior predictive" not in tip

    window.show_panel("sweep")  # a Transflow view says plainly it does not apply
    qtbot.waitUntil(lambda: "does not apply" in (window.panels["sweep"].grid.message or ""), timeout=RUN_MS)
    posterior = window.panels["posterior"]  # λ and the likelihood are off, and it says why
    assert posterior.transflow_note.isVisibleTo(posterior) and not any(g.isEnabled() for g in posterior.transflow_groups)
