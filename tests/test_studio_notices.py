"""What the studio tells the artist: evidence far outside the model, cells that could not be drawn,
images converted to fit the model, class probabilities, and small things (seed lock, singular words)."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image
from PySide6.QtCore import Qt

from tests.studio_support import example, messages, studio_home, wait_idle, window  # noqa: F401

from flowstudio.resources import resources_dir
from flowstudio.studio._qt.evidence_flow import plural_was
from flowstudio.studio._qt.views.classify_model import percent

PORTRAITS = str(resources_dir() / "models" / "portraits_glow.safetensors")
FASHION = str(resources_dir() / "models" / "fashion_glow.safetensors")


def _open_model(qtbot, window, path):
    window.studio.load_model(path)
    qtbot.waitUntil(lambda: window.studio.host.info is not None and window.studio.host.info.path == path,
                    timeout=60_000)
    wait_idle(qtbot, window)


def _new_set(qtbot, window, name, paths):
    window.studio.evidence.add_to_new_set(name, paths)
    wait_idle(qtbot, window)
    return window.studio.doc.current_set


def test_a_bag_under_the_portraits_model_is_called_far_outside_and_broken_cells_say_so(qtbot, window):
    _open_model(qtbot, window, PORTRAITS)
    bag = sorted(example("bags").iterdir())[0]
    _new_set(qtbot, window, "a bag", [bag])
    view, result = window.panels["samples"], window.studio.last_sample
    assert result.advice is not None and result.advice.far
    assert view.notice.isVisible() and "far outside what this model knows" in view.notice.headline.text()
    body = view.notice.body.text()
    assert "raise λ" in body and bag.name in body and "another model" not in body and "use a model" in body
    broken = result.nonfinite | result.saturated
    assert broken.sum() > 0 and f"{int(broken.sum())} of 16 samples could not be drawn" in body
    marks = [mark for row in view.grid.marks for mark in row]
    assert [bool(m) for m in marks[:16]] == broken.tolist() and "could not be drawn" in marks
    assert not (result.images[broken] == 0).all(axis=(1, 2, 3)).any()  # no silent black cell

    _new_set(qtbot, window, "red hair", [resources_dir() / "evidence" / "portraits" / "red-hair"])
    result = window.studio.last_sample
    assert result.advice is None and not (result.nonfinite | result.saturated).any()
    assert not view.notice.isVisible() and not any(m for row in view.grid.marks for m in row)


def test_colour_portraits_and_a_big_photo_under_the_grey_model_are_converted_once_with_a_notice(
        qtbot, window, tmp_path):
    rng = np.random.default_rng(1)
    photo = tmp_path / "photo.jpg"
    Image.fromarray(rng.integers(0, 256, (600, 800, 3), dtype=np.uint8)).save(photo)
    portraits = sorted((resources_dir() / "evidence" / "portraits" / "red-hair").iterdir())[:3]
    before = len(messages(window))
    target = _new_set(qtbot, window, "mixed", [*portraits, photo])
    told = [m for m in messages(window)[before:] if m.title == "Images of “mixed” were converted for this model"]
    assert len(told) == 1  # once for the set
    text = told[0].text
    assert "4 colour images were made grey" in text and "1 image 800×600 was cropped to a square and shrunk to " \
                                                         "28×28" in text
    assert "the model draws 28×28 grey images" in text
    panel = window.panels["evidence"]
    assert panel.conversion.isVisible() and "made grey" in panel.conversion.body.text()
    assert window.studio.thumbnails.pixels(target.items[0].sha256).shape == (1, 28, 28)

    # Another model reads the same files again from the originals: colour 32x32, not the grey 28x28 copies.
    _open_model(qtbot, window, PORTRAITS)
    qtbot.waitUntil(lambda: all(window.studio.host.is_encoded(i.sha256) for i in target.items), timeout=60_000)
    wait_idle(qtbot, window)
    pixels = window.studio.thumbnails.pixels(target.items[0].sha256)
    assert pixels.shape == (3, 32, 32) and np.ptp(pixels.astype(int), axis=0).max() > 12  # in colour again
    note = window.studio.evidence.conversion_note(target.uid)
    assert "made grey" not in note and "1 image 800×600 was cropped to a square and shrunk to 32×32" in note
    told = [m for m in messages(window)[before:] if m.title == "Images of “mixed” were converted for this model"]
    assert len(told) == 2, [m.text for m in told]  # once more, for the new model


def test_the_interpolation_ends_default_to_sets_that_suit_the_open_model(qtbot, window):
    _open_model(qtbot, window, PORTRAITS)
    evidence = resources_dir() / "evidence" / "portraits"
    for name in ("greyscale", "red-hair", "glasses"):
        _new_set(qtbot, window, name, [evidence / name])
    view = window.panels["interpolation"]
    window.show_panel("interpolation")
    wait_idle(qtbot, window)
    names = {window.studio.doc.find_set(uid).name for uid in (view.set_a.uid, view.set_b.uid)}
    assert names == {"red-hair", "glasses"}


def test_new_seed_is_off_while_the_seed_is_locked(qtbot, window):
    view, panel = window.panels["samples"], window.panels["posterior"]
    assert view.reroll.isEnabled() and panel.dice.isEnabled()
    panel.lock.setChecked(True)
    assert not view.reroll.isEnabled() and not panel.dice.isEnabled() and "locked" in view.reroll.toolTip()
    panel.lock.setChecked(False)
    assert view.reroll.isEnabled() and panel.dice.isEnabled()


def test_the_samples_header_is_never_cut(qtbot, window):
    window.resize(1366, 768)
    wait_idle(qtbot, window)
    summary = window.panels["samples"].summary
    assert summary.label.sizeHint().width() <= summary.width()


def test_singular_messages_say_was_and_a_one_image_set_says_image():
    assert plural_was(1, "image") == "1 image was" and plural_was(2, "image") == "2 images were"


@pytest.mark.parametrize("p, text", [(0.622, "62.2 %"), (1.0, "100.0 %"), (1e-9, "< 0.1 %"), (0.99999, "> 99.9 %")])
def test_percentages(p, text):
    assert percent(p) == text


def test_classify_shows_percentages_that_sum_to_100_with_the_raw_score_in_the_tooltip(qtbot, window):
    studio, view = window.studio, window.panels["classify"]
    for name in ("sneakers", "bags"):
        studio.evidence.open_example(name)
    wait_idle(qtbot, window)
    view.set_classes(["sneakers", "bags"])
    queries = sorted(example("ankle-boots").iterdir())[:3] + sorted(example("trousers").iterdir())[:2]
    view.add([str(p) for p in queries])
    qtbot.waitUntil(lambda: view.model.rowCount() == 5, timeout=60_000)
    model = view.model
    for row in range(5):
        shown = [model.index(row, col).data() for col in (2, 3)]
        assert all(text.endswith(" %") for text in shown)
        values = model.rows[row].probabilities
        assert sum(values) == pytest.approx(1.0) and max(values) == values[model.classes.index(model.rows[row].predicted)]
        tip = model.index(row, 2).data(Qt.ItemDataRole.ToolTipRole)
        assert f"{model.rows[row].scores[0]:,.1f}" in tip and "Log-likelihood" in tip


def test_the_lambda_sweep_marks_the_cells_that_could_not_be_drawn(qtbot, window):
    _open_model(qtbot, window, PORTRAITS)
    _new_set(qtbot, window, "a bag", [sorted(example("bags").iterdir())[0]])
    window.show_panel("sweep")
    qtbot.waitUntil(lambda: window.studio.last_sweep is not None, timeout=60_000)
    wait_idle(qtbot, window)
    result, grid = window.studio.last_sweep, window.panels["sweep"].grid
    broken = result.nonfinite | result.saturated
    assert broken.shape == result.images.shape[:2] and broken.any()  # λ = 0.1 m trusts the bag most
    assert [[bool(m) for m in row] for row in grid.marks] == broken.tolist()
    assert not (result.images[broken] == 0).all(axis=(1, 2, 3)).any()
