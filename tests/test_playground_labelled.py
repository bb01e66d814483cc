"""The playground's labelled toys, headless: the targets, which families fit them, a session that learns the
classes from labels (a few among many points), its decision map, and the pictures of it."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from flowstudio.checkpoint import load_checkpoint
from flowstudio.data.toy2d import EIGHT_MODES, sample_toy_labelled
from flowstudio.errors import UserInputError
from flowstudio.imaging import read_png_params
from flowstudio.playground import render
from flowstudio.playground.session import (
    FRAME_TEST_POINTS,
    LABELLED_SHARE,
    PlaygroundSession,
    PlaygroundSettings,
    playground_families,
)
from flowstudio.playground.targets import LABELLED_TARGETS, labelled_toy_target, toy_target
from flowstudio.registry import get_family


def semi_supervised_family() -> str:
    names = playground_families(labelled_toy_target("moons", 10, n=200, resolution=8))
    if not names:
        pytest.skip("no registry family learns points from a few labels")
    return names[0]


def tiny_session(target, family: str | None = None, **settings) -> PlaygroundSession:
    return PlaygroundSession(target, PlaygroundSettings(family=family or semi_supervised_family(), preset="tiny",
                                                         resolution=16, samples=64, batch_size=128, lr=1e-2,
                                                         **settings))


def test_a_labelled_toy_keeps_its_points_and_the_asked_number_of_labels_spread_over_the_classes():
    target = labelled_toy_target("moons", 10, n=3000, resolution=16)
    points, classes = sample_toy_labelled("moons", 3000)
    assert np.array_equal(target.points, points) and np.array_equal(target.classes, classes)
    known = target.labels >= 0
    assert known.sum() == 10 and np.bincount(target.labels[known]).tolist() == [5, 5]
    assert np.array_equal(target.labels[known], classes[known])  # a kept label is the point's own
    assert target.partly_labelled and target.class_names == ("upper moon", "lower moon")
    full = labelled_toy_target("8modes", n=800, resolution=16)  # the inverse problem: every point labelled
    assert full.labelled and not full.partly_labelled and len(full.class_names) == 8
    assert LABELLED_TARGETS["moons"] == LABELLED_TARGETS["circles"] == 10 and LABELLED_TARGETS["8modes"] is None
    with pytest.raises(UserInputError, match="labelled toy"):
        labelled_toy_target("checkerboard")
    with pytest.raises(UserInputError, match="circles has 2 classes: keep at least one labelled point of each"):
        labelled_toy_target("circles", 1, n=200)


def test_the_families_offered_fit_the_target_and_a_misfit_is_refused_in_words():
    plain = playground_families(toy_target("moons", n=200, resolution=8))
    labelled = playground_families(labelled_toy_target("8modes", n=200, resolution=8))
    few = playground_families(labelled_toy_target("moons", 10, n=200, resolution=8))
    assert "maf" in plain and plain == playground_families()
    for name in plain:
        caps = get_family(name).capabilities
        assert not (caps.label_conditioning or caps.semi_supervised)
    for name in labelled:
        caps = get_family(name).capabilities
        assert caps.label_conditioning or caps.semi_supervised
    assert set(few) <= set(labelled) and all(get_family(name).capabilities.semi_supervised for name in few)
    with pytest.raises(UserInputError, match="cannot learn moons, 10 labelled"):
        PlaygroundSession(labelled_toy_target("moons", 10, n=500, resolution=8),
                          PlaygroundSettings(family="maf", preset="tiny"))
    if few:
        with pytest.raises(UserInputError, match="cannot learn moons"):
            PlaygroundSession(toy_target("moons", n=500, resolution=8),
                              PlaygroundSettings(family=few[0], preset="tiny"))


def test_the_few_labelled_points_train_in_every_batch_and_are_never_held_out():
    session = tiny_session(labelled_toy_target("moons", 10, n=3000, resolution=16))
    assert int((session.labels >= 0).sum()) == 10  # all ten in the training split
    assert len(session.heldout_classes) == len(session.heldout) == 600
    seen, real = [], session.model.forward  # the real model, its labels seen on the way in
    session.model.forward = lambda batch, noise, labels: seen.append(labels.clone()) or real(batch, noise, labels)
    session.step(3)
    for labels in seen:
        assert len(labels) == 128 and (labels >= 0).sum() >= round(LABELLED_SHARE * 128)


def test_a_trained_tiny_model_separates_the_eight_modes_and_its_decision_map_says_so():
    session = tiny_session(labelled_toy_target("8modes", n=4000, resolution=16))
    untrained = session.test_error()
    session.step(200)
    trained = session.test_error()
    assert untrained > 0.3 and trained < 0.05
    # the decision map: each mode's centre lies in the region of its own class
    with torch.no_grad():
        at_centres = session.model.class_log_probs(torch.tensor(EIGHT_MODES, dtype=torch.float32)).argmax(1)
    assert at_centres.tolist() == list(range(8))
    frame = session.frame()
    assert frame.class_log_probs.shape == (16, 16, 8) and frame.grid is None
    assert frame.test_error == session.test_error(FRAME_TEST_POINTS) < 0.05
    assert np.allclose(np.logaddexp.reduce(frame.class_log_probs, -1), 0, atol=1e-4)  # normalised p(y | x)
    assert set(np.argmax(frame.class_log_probs, -1).ravel()) == set(range(8))


def test_moons_with_ten_labels_learn_the_two_classes():
    session = tiny_session(labelled_toy_target("moons", 10, n=4000, resolution=16))
    before = session.test_error()
    session.step(200)
    assert session.test_error() < min(0.1, before)


def test_decision_regions_are_light_class_tints_with_a_dark_boundary_between_them():
    log_p = np.full((8, 8, 2), np.log(1e-6))
    log_p[:, :4, 0] = log_p[:, 4:, 1] = np.log(1 - 1e-6)  # class 0 on the left, class 1 on the right
    picture = np.asarray(render.decision_regions(log_p, 64)).astype(int)
    left, right = picture[32, 8], picture[32, 56]
    for colour, k in ((left, 0), (right, 1)):
        tint = np.asarray(render.class_colour(k)) - np.asarray(render.REGION_PAPER)
        assert np.corrcoef(colour - np.asarray(render.REGION_PAPER), tint)[0, 1] > 0.99  # paper tinted by k
        assert colour.mean() > 150  # light
    boundary = [c for c in range(64) if tuple(picture[32, c]) == render.BOUNDARY_INK]
    assert boundary and all(28 <= c <= 35 for c in boundary)  # only where the classes meet
    sure = render.decision_regions(np.log(np.full((8, 8, 2), 0.5)), 64)  # a tie: the palest tint
    assert np.asarray(sure).astype(int)[5, 5].mean() > left.mean()


def test_the_pictures_colour_the_classes_and_draw_the_labelled_points_large():
    session = tiny_session(labelled_toy_target("moons", 10, n=3000, resolution=16))
    session.step(100)
    pictures = session.pictures(session.frame(), size=128)
    assert pictures.captions[-1] == "decision regions" and pictures.test_error == session.test_error(FRAME_TEST_POINTS)
    target, learned, regions = pictures.arrays()
    labelled = session.points[session.labels >= 0].numpy()
    colours = {k: np.asarray(render.class_colour(k)) for k in (0, 1)}
    for point, k in zip(labelled, session.labels[session.labels >= 0].tolist()):
        col, row = np.floor(render.to_pixels(point, 128)).astype(int)
        for panel in (target, regions):
            patch = panel[max(0, row - 2):row + 3, max(0, col - 2):col + 3].reshape(-1, 3).astype(int)
            assert (np.abs(patch - colours[k]).sum(1) == 0).sum() >= 9  # a large dot of its class's colour
    hues = regions.reshape(-1, 3).astype(int)
    for k, colour in colours.items():  # both classes' regions are on the map
        tint = colour - np.asarray(render.REGION_PAPER)
        paper = hues - np.asarray(render.REGION_PAPER)
        assert ((paper @ tint) / (np.linalg.norm(paper, axis=1) * np.linalg.norm(tint) + 1e-9) > 0.99).mean() > 0.05
    samples = session.frame().sample_classes  # a label-conditioned family draws each class in turn
    if get_family(session.settings.family).capabilities.label_conditioning:
        assert samples.tolist() == [k % 2 for k in range(64)]


def test_exports_of_a_labelled_session_carry_the_test_error_and_the_class_names(tmp_path):
    session = tiny_session(labelled_toy_target("circles", 10, n=2000, resolution=16))
    session.step(20)
    pictures = session.pictures(session.frame(), size=64)
    png = session.export_png(pictures, tmp_path / "frame.png")
    params = read_png_params(png)
    assert params["target"] == "circles, 10 labelled" and params["test_error"] == session.test_error()
    card = load_checkpoint(session.save_model(tmp_path / "flow.safetensors")).card
    assert card.labels == ("outer circle", "inner circle") and card.steps == 20


@pytest.mark.parametrize("family", playground_families(labelled_toy_target("8modes", n=200, resolution=8)))
def test_every_labelled_family_draws_its_frames_on_the_eight_modes(family):
    """With or without a density of x alone (eq. 3 mixes a conditional flow's p(x | y) over the classes)."""
    session = tiny_session(labelled_toy_target("8modes", n=2000, resolution=16), family)
    before = session.test_error()
    session.step(60)
    frame = session.frame()
    assert np.isfinite(frame.log_density).all() and np.isfinite(frame.samples).all()
    assert frame.samples.shape == (64, 2) and frame.class_log_probs.shape == (16, 16, 8)
    assert session.test_error() < before
    assert len(session.pictures(frame, size=64).panels) == 3
