"""Named presets of the sampling settings in the Posterior panel, and sets named after the folder they come from."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from tests.studio_support import (make_window, simulate_drop, studio_home, wait_idle, window,  # noqa: F401
                                  write_images)
from tests.test_studio_reopen import answer_next_dialog, click

from flowstudio.errors import UserInputError
from flowstudio.studio.presets import MAX_PRESETS, Preset, presets_from_json, presets_to_json, with_preset
from flowstudio.studio.state import PosteriorParams


def items(combo) -> list[str]:
    return [combo.itemText(i) for i in range(combo.count())]


def test_presets_save_apply_delete_reset_and_survive_a_restart(qtbot, studio_home):
    first = make_window(qtbot)
    studio, bar = first.studio, first.panels["posterior"].preset_bar
    assert items(bar.choice) == ["No presets yet"] and not bar.buttons["delete"].isEnabled()
    studio.edit.change_params(lam=0.3, temperature=0.5, count=9, covariance="diagonal", seed=77, seed_locked=True)
    assert bar.save_preset("  Close   shoes ")
    studio.edit.change_params(lam=0.7, temperature=1.0, count=25, covariance="isotropic", seed=5, seed_locked=False)
    answer_next_dialog(lambda dialog: (dialog.setTextValue("Wild"), dialog.accept()))
    bar.buttons["save"].click()  # asks for the name
    assert bar.choice.currentText() == "Wild" and bar.buttons["delete"].isEnabled()
    first.close_now()

    second = make_window(qtbot)
    try:
        studio, panel = second.studio, second.panels["posterior"]
        bar = panel.preset_bar
        assert items(bar.choice) == ["Custom settings", "Close shoes", "Wild"] and bar.choice.currentText() == "Wild"
        assert len(panel.presets.buttons()) == 3  # the quick λ buttons stay
        steps = studio.undo.count()
        bar.choice.setFocus()
        qtbot.keyClick(bar.choice, Qt.Key.Key_Up)  # choosing a preset applies every setting it holds
        wait_idle(qtbot, second)
        assert studio.doc.params == PosteriorParams.from_dict({
            "likelihood": {"lam": 0.3, "covariance": "diagonal"}, "temperature": 0.5, "count": 9, "seed": 77,
            "seed_locked": True})
        assert studio.undo.count() == steps + 1 and studio.last_sample.seeds == tuple(range(77, 86))
        assert panel.count.value() == 9 and panel.covariance.currentData() == "diagonal"
        qtbot.keyClick(bar.choice, Qt.Key.Key_Down)  # saved with the seed unlocked: the seed stays
        assert studio.doc.params.likelihood.lam == 0.7 and studio.doc.params.count == 25
        assert studio.doc.params.seed == 77 and not studio.doc.params.seed_locked
        studio.undo.undo()
        assert bar.choice.currentText() == "Close shoes"

        bar.buttons["reset"].click()
        assert studio.doc.params == PosteriorParams(seed=77) and bar.choice.currentText() == "Custom settings"
        assert not bar.buttons["reset"].isEnabled() and not bar.buttons["delete"].isEnabled()

        bar.apply_preset("close shoes")  # names compare without case
        answer_next_dialog(click(QMessageBox.StandardButton.Yes))
        bar.buttons["delete"].click()
        assert items(bar.choice) == ["Custom settings", "Wild"]
        second.reset_defaults()  # the theme, layout and parameters reset; the presets stay
        assert [p.name for p in second.prefs.presets] == ["Wild"]
    finally:
        second.close_now()


def test_a_folder_added_to_an_empty_new_set_gives_it_its_name(qtbot, window, tmp_path):
    studio, evidence = window.studio, window.panels["evidence"]
    evidence.new_set()
    evidence.new_set()
    assert studio.doc.current_set.name == "New set 2"
    write_images(tmp_path / "red shoes", 3)
    simulate_drop(evidence.view, [str(tmp_path / "red shoes")])  # onto the thumbnails: into this set
    wait_idle(qtbot, window)
    assert studio.doc.current_set.name == "red shoes" and len(studio.doc.current_set.items) == 3
    assert [s.name for s in studio.doc.sets] == ["sneakers", "New set", "red shoes"]

    write_images(tmp_path / "more", 2, seed=1)  # a set that has images keeps its name
    simulate_drop(evidence.view, [str(tmp_path / "more")])
    wait_idle(qtbot, window)
    assert studio.doc.current_set.name == "red shoes" and len(studio.doc.current_set.items) == 5

    studio.doc.set_current(studio.doc.sets[1].uid)  # "New set": a second folder of that name gets a number
    write_images(tmp_path / "other" / "red shoes", 2, seed=2)
    simulate_drop(evidence.view, [str(tmp_path / "other" / "red shoes")])
    wait_idle(qtbot, window)
    assert [s.name for s in studio.doc.sets] == ["sneakers", "red shoes 2", "red shoes"]
    while studio.doc.sets[1].items:
        studio.undo.undo()
    studio.undo.undo()  # the name came with the images, and goes back with them
    assert studio.doc.sets[1].name == "New set"


def test_stored_presets_skip_damaged_entries_and_stay_bounded():
    good = presets_to_json([Preset("a", PosteriorParams(count=4))])
    damaged = ', {"name": "b", "params": {"temperature": 99}}, {"name": "A"}, "junk", {"name": " ", "params": {}}]'
    text = good[:-1] + damaged
    assert [(p.name, p.params.count) for p in presets_from_json(text)] == [("a", 4)]
    assert presets_from_json("not json") == [] and presets_from_json('{"name": "a"}') == []
    presets: list[Preset] = []
    for n in range(MAX_PRESETS):
        presets = with_preset(presets, f"p{n}", PosteriorParams(seed=n))
    assert with_preset(presets, "P3", PosteriorParams(seed=99))[3] == Preset("P3", PosteriorParams(seed=99))
    with pytest.raises(UserInputError, match="already 50 presets"):
        with_preset(presets, "one more", PosteriorParams())
    with pytest.raises(UserInputError, match="needs a name"):
        with_preset([], "   ", PosteriorParams())
