"""The Playground tab with a labelled toy in the real window: the labelled-points box, the families that learn
from labels, live frames with the decision regions and the test error."""

from __future__ import annotations

import pytest

from flowstudio.playground.targets import family_fits
from flowstudio.registry import families_for
from flowstudio.studio._qt.views.playground_view import LABELLED_CAPTIONS, LABELLED_ITEM
from tests.studio_support import IDLE_TIMEOUT_MS, messages, studio_home, window  # noqa: F401

TINY = {"preset": "tiny", "resolution": 16, "samples": 50, "batch_size": 64}


def choose(view, data: str) -> None:
    index = view.density.findData(data)
    assert index >= 0
    view.density.setCurrentIndex(index)
    view.density.activated.emit(index)  # as a click on the item does


def listed(view) -> list[str]:
    return [view.family.itemData(i) for i in range(view.family.count())]


def test_a_labelled_toy_trains_live_with_its_decision_regions_and_test_error(qtbot, window):
    view = window.panels["playground"]
    window.show_panel("playground")
    view.overrides = dict(TINY)
    qtbot.waitUntil(lambda: view.runner.session is not None and not view.runner.busy, timeout=IDLE_TIMEOUT_MS)
    assert not view.labelled.isEnabled() and "maf" in listed(view)
    few = [f.name for f in families_for("points") if family_fits(f, True, True)]
    if not few:
        pytest.skip("no registry family learns points from a few labels")
    choose(view, LABELLED_ITEM + "moons")
    assert view.labelled.isEnabled() and view.labelled.value() == 10
    assert listed(view) == few and "maf" not in listed(view)  # the families that learn from a few labels
    qtbot.waitUntil(lambda: view.runner.session is not None and view.runner.session.target.name == "moons, 10 labelled"
                    and not view.runner.busy, timeout=IDLE_TIMEOUT_MS)
    assert view.panels.captions == LABELLED_CAPTIONS and "test error" in view.status.text()
    shown = []
    view.runner.framed.connect(lambda s: shown.append((s.step, s.pictures.test_error)))
    view.steps.setValue(60)
    view.train_button.click()
    qtbot.waitUntil(lambda: view.runner.state == "idle" and not view.runner.busy, timeout=IDLE_TIMEOUT_MS)
    assert len(shown) >= 2 and shown[-1][0] == 60 and all(error is not None for _, error in shown)
    assert view.status.text().startswith("Step 60 ") and f"{100 * shown[-1][1]:.1f} %" in view.status.text()
    assert len(view.panels.images) == 3 and not view.panels.images[2].isNull()

    view.labelled.setValue(1)  # fewer labels than classes: said in words, the session learning is kept
    qtbot.waitUntil(lambda: any("keep at least one labelled point of each" in m.text
                                for m in messages(window, "error")), timeout=IDLE_TIMEOUT_MS)
    assert view.runner.session.target.name == "moons, 10 labelled" and view.labelled.value() == 10
    assert view.status.text().startswith("Step 60 ")

    view.labelled.setValue(0)  # "all": every point labelled, a new session
    assert view.labelled.text() == "all"
    qtbot.waitUntil(lambda: view.runner.session.target.name == "moons, labelled" and not view.runner.busy,
                    timeout=IDLE_TIMEOUT_MS)
    assert set(few) <= set(listed(view))
    choose(view, "moons")  # back to the unlabelled toy: the plain flows and the warped grid
    assert not view.labelled.isEnabled() and "maf" in listed(view) and view.family.currentData() == "maf"
    qtbot.waitUntil(lambda: view.runner.session.target.name == "moons" and not view.runner.busy,
                    timeout=IDLE_TIMEOUT_MS)
    assert view.panels.captions[2].startswith("Latent grid") and "test error" not in view.status.text()
