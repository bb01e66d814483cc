"""The studio on a GLF checkpoint: samples, λ sweep, interpolation and classify work in its latent, and the
evidence tiles show its latent NLL and reconstruction error, never bits per pixel."""

from __future__ import annotations

from flowstudio.checkpoint import default_card, save_checkpoint
from flowstudio.models import build_model
from flowstudio.registry import FAMILIES
from flowstudio.scores import LATENT_NLL
from flowstudio.studio._qt.panels.evidence_model import badge_text, tooltip
from tests.conftest import randomized
from tests.studio_support import studio_home, wait_idle, window  # noqa: F401


def tiny_glf(folder):
    model = randomized(build_model({"family": "glf", "image_shape": [1, 28, 28], **FAMILIES["glf"].tiny}))
    return save_checkpoint(model, folder / "glf.safetensors", default_card(model, name="tiny-glf"))


def test_a_glf_checkpoint_draws_every_view_and_labels_its_scores(qtbot, window, tmp_path):
    studio = window.studio
    studio.load_model(str(tiny_glf(tmp_path)))
    wait_idle(qtbot, window)
    assert studio.host.info.model_id.startswith("tiny-glf@") and studio.last_sample.m == 8
    assert studio.last_sample.images.shape == (16, 1, 28, 28)
    items = studio.doc.current_set.items
    assert all(i.unit == LATENT_NLL and i.reconstruction is not None for i in items)
    text = tooltip(items[0], "ok")
    assert "Latent NLL" in text and "Reconstruction error" in text and "bits per pixel under" not in text
    assert badge_text(items[0]).startswith("NLL ")
    assert "no exact image likelihood" in dict(studio.host.info.card.rows())["Likelihood"]

    window.show_panel("sweep")
    qtbot.waitUntil(lambda: studio.last_sweep is not None, timeout=60_000)
    wait_idle(qtbot, window)
    assert studio.last_sweep.images.shape[2:] == (1, 28, 28)

    view = window.panels["interpolation"]
    window.show_panel("interpolation")
    studio.evidence.open_example("bags")
    sets = {s.name: s.uid for s in studio.doc.sets}
    view.choose(sets["sneakers"], sets["bags"])
    qtbot.waitUntil(lambda: view.result is not None and view.result.post_b.m == 8, timeout=60_000)
    wait_idle(qtbot, window)
    assert view.result.images.shape[-3:] == (1, 28, 28)

    classify = window.panels["classify"]
    window.show_panel("classify")
    classify.set_classes(["sneakers", "bags"])
    from tests.studio_support import example, simulate_drop

    assert simulate_drop(classify.table, [str(example("bags"))])
    qtbot.waitUntil(lambda: classify.model.rowCount() == 8, timeout=60_000)
    wait_idle(qtbot, window)
    assert all(r.predicted in ("sneakers", "bags") for r in classify.model.rows)
