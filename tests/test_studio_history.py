"""The history of results in the window: settled grids recorded with their parameters, stars, compare, reuse."""

from __future__ import annotations

import numpy as np

from tests.studio_support import make_window, studio_home, wait_for_files, wait_idle, window  # noqa: F401

from flowstudio.likelihood import LikelihoodSpec
from flowstudio.studio.history import HistoryStore
from flowstudio.studio.paths import history_dir


def settled(qtbot, window, n: int, seed: int | None = None) -> list:
    """Until the history holds ``n`` grids, the newest drawn with ``seed`` if given (each is recorded once its
    grid has settled), and they are on disk."""
    history = window.studio.history
    qtbot.waitUntil(lambda: len(history.entries) == n and (seed is None or history.entries[0].params.seed == seed),
                    timeout=30_000)
    wait_for_files(qtbot, window)
    return history.entries


def on_disk(window) -> HistoryStore:
    return HistoryStore.read(history_dir(window.studio.doc.document.history_id))


def test_a_lambda_drag_records_one_settled_result_with_its_parameters(qtbot, window):
    studio, panel = window.studio, window.panels["posterior"]
    first = settled(qtbot, window, 1)[0]  # the start-up grid
    assert first.set_name == "sneakers" and first.m == 8 and first.params == studio.doc.params
    panel.lam.sliderPressed.emit()
    for value in (0.45, 0.35, 0.25, 0.15):  # each intermediate grid is drawn, then replaced
        panel.lam.setValue(value)
        wait_idle(qtbot, window)
    panel.lam.sliderReleased.emit()
    newest = settled(qtbot, window, 2)[0]
    assert newest.params.likelihood.lam == 0.15 and newest.params.seed == 0
    assert newest.model_sha256 == studio.host.info.sha256 and "λ = 1.2 (0.15 × m)" in newest.summary
    assert np.array_equal(studio.history.images(newest.uid), studio.last_sample.images)
    assert [e.uid for e in on_disk(window).entries] == [newest.uid, first.uid]
    strip = window.panels["samples"].history
    assert strip.list.count() == 2 and "2 results" in strip.count.text()


def test_the_history_is_bounded_on_disk_and_stars_survive_eviction_and_reopening(qtbot, window, tmp_path):
    studio = window.studio
    first = settled(qtbot, window, 1)[0]
    strip = window.panels["samples"].history
    strip.select([first.uid])
    strip.toggle_star()
    studio.history.store.limit = 2
    for n, seed in enumerate((5, 6, 7), start=2):
        studio.edit.change_params(seed=seed)
        settled(qtbot, window, min(n, 3), seed)
    entries = studio.history.entries
    assert [e.params.seed for e in entries] == [7, 6, 0] and entries[-1].starred
    folder = history_dir(studio.doc.document.history_id)
    assert len(list(folder.glob("*.npz"))) == 3  # two unstarred grids and the starred one
    project = tmp_path / "shoes.flowstudio.json"
    studio.projects.save(project)
    wait_for_files(qtbot, window)
    window.close_now()

    reopened = make_window(qtbot, start=False)
    try:
        reopened.start(str(project))
        wait_idle(qtbot, reopened)
        history = reopened.studio.history
        qtbot.waitUntil(lambda: any(e.uid == first.uid for e in history.entries), timeout=30_000)
        assert history.store.find(first.uid).starred and history.store.find(first.uid).params.seed == 0
        strip = reopened.panels["samples"].history
        strip.starred_only.setChecked(True)
        assert strip.list.count() == 1
    finally:
        reopened.close_now()


def test_compare_shows_two_results_side_by_side_with_what_differs(qtbot, window):
    studio = window.studio
    settled(qtbot, window, 1)
    studio.edit.change_params(seed=40, lam=0.3)
    a, b = settled(qtbot, window, 2)
    strip = window.panels["samples"].history
    strip.select([a.uid, b.uid])
    assert strip.compare.isEnabled()
    dialog = strip.compare_selected()
    qtbot.waitExposed(dialog)
    assert [e.uid for e in dialog.entries] == [a.uid, b.uid]
    shown = [grid.images.reshape(-1, *grid.images.shape[2:])[:16] for grid in dialog.grids]
    assert np.array_equal(shown[0], studio.history.images(a.uid))
    assert np.array_equal(shown[1], studio.history.images(b.uid))
    assert not np.array_equal(shown[0], shown[1])
    assert dialog.differences.text() == "What differs: λ 0.3 m → 0.5 m · seed 40 → 0"


def test_use_these_settings_restores_the_parameters_the_seed_and_the_set(qtbot, window):
    studio = window.studio
    settled(qtbot, window, 1)
    studio.edit.change_params(seed=42, lam=0.3, temperature=0.6, count=9, covariance="diagonal")
    wanted = settled(qtbot, window, 2)[0]
    studio.evidence.open_example("bags")
    wait_idle(qtbot, window)
    studio.edit.change_params(seed=7, lam=0.7, temperature=0.9, count=16, covariance="isotropic")
    settled(qtbot, window, 3)
    strip = window.panels["samples"].history
    strip.select([wanted.uid])
    strip.use_selected()
    wait_idle(qtbot, window)
    p = studio.doc.params
    assert p.likelihood == LikelihoodSpec(lam=0.3, covariance="diagonal")
    assert (p.seed, p.temperature, p.count) == (42, 0.6, 9)
    assert studio.doc.current_set.name == "sneakers"
    qtbot.waitUntil(lambda: studio.last_sample.request.params == p)
    assert np.array_equal(studio.last_sample.images, studio.history.images(wanted.uid))
    studio.undo.undo()  # one undo step brings the previous parameters back
    assert studio.doc.params.seed == 7
