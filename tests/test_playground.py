"""The 2-D playground's core, headless: targets, heat maps, the warped grid, a session that learns, its exports."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from PIL import Image

from flowstudio.checkpoint import load_checkpoint
from flowstudio.data.toy2d import EXTENT, grid_points
from flowstudio.errors import UserInputError
from flowstudio.imaging import read_png_params
from flowstudio.imaging_points import VIRIDIS, scatter
from flowstudio.playground.recording import Recording
from flowstudio.playground.render import grid_ground, heat_image, ink_dots, warped_grid_image
from flowstudio.playground.session import PlaygroundSession, PlaygroundSettings
from flowstudio.playground.targets import bundled_pictures, csv_target, picture_target, toy_target
from flowstudio.playground.views import histogram_log_density, latent_grid_lines


def tiny_session(target=None, **settings) -> PlaygroundSession:
    target = target or toy_target("moons", n=2000, resolution=32)
    return PlaygroundSession(target, PlaygroundSettings(family="maf", preset="tiny", resolution=16, samples=50,
                                                         grid_lines=5, batch_size=64, **settings))


def test_latent_grid_lines_are_a_regular_grid_of_horizontal_then_vertical_lines():
    lines = latent_grid_lines(lines=5, points=7, extent=2.0)
    assert lines.shape == (10, 7, 2) and lines.dtype == np.float32
    horizontal, vertical = lines[:5], lines[5:]
    assert np.allclose(horizontal[:, :, 1], np.linspace(-2, 2, 5)[:, None])  # z_2 fixed along each line
    assert np.allclose(horizontal[:, :, 0], np.linspace(-2, 2, 7)[None, :])
    assert np.array_equal(vertical, horizontal[..., ::-1])


def test_warped_grid_has_the_latent_grids_shape_and_is_the_flows_decode_of_it():
    session = tiny_session()
    frame = session.frame()
    assert frame.grid.shape == (2 * 5, 64, 2)
    with torch.no_grad():
        expected = session.model.decode(torch.from_numpy(latent_grid_lines(5, 64)).reshape(-1, 2)).reshape(10, 64, 2)
    assert np.allclose(frame.grid, expected.numpy(), atol=1e-5)
    assert frame.log_density.shape == (16, 16) and frame.samples.shape == (50, 2)


def test_heat_map_puts_the_densest_cell_at_the_top_of_the_colour_map_whatever_the_densitys_height():
    size = 16
    x = grid_points(size).astype(np.float64)
    log_normal = (-0.5 * (x ** 2).sum(1) - math.log(2 * math.pi)).reshape(size, size)
    log_normal[0, 0] = -np.inf  # a cell of zero density
    image = np.asarray(heat_image(log_normal, size))  # one pixel a cell: no enlargement
    peak = np.unravel_index(np.argmax(log_normal), log_normal.shape)
    assert np.array_equal(image[peak], VIRIDIS[255]) and np.array_equal(image[0, 0], VIRIDIS[0])
    assert np.array_equal(np.asarray(heat_image(log_normal + 7.0, size)), image)  # only p / max p counts
    enlarged = np.asarray(heat_image(log_normal, 64))
    assert enlarged.shape == (64, 64, 3)


def test_histogram_of_points_is_a_normalised_density_on_the_grid():
    points = toy_target("8gaussians", n=20_000).points
    log_p = histogram_log_density(points, 32)
    cell = (2 * EXTENT / 32) ** 2
    assert np.exp(log_p).sum() * cell == pytest.approx(1.0, abs=1e-3)
    assert np.isneginf(log_p).any()  # empty cells between the Gaussians


def test_session_steps_decrease_the_held_out_loss_on_moons():
    session = tiny_session(lr=1e-2)
    before = session.heldout_nll()
    session.step(150)
    after = session.heldout_nll()
    assert session.step_count == 150 and session.loss is not None
    assert after < before - 0.3, (before, after)


def test_reset_gives_back_the_same_untrained_model_and_clears_the_recording():
    session = tiny_session()
    first = session.frame().log_density
    session.advance(60.0, 5)
    assert session.step_count == 5 and len(session.recording.frames) == 1  # the first frame is always kept
    session.reset()
    assert session.step_count == 0 and session.loss is None and not session.recording.frames
    assert np.allclose(session.frame().log_density, first)


def test_exports_write_a_png_with_parameters_an_animation_and_a_checkpoint(tmp_path):
    session = tiny_session()
    pictures = None
    for _ in range(3):
        pictures = session.advance(60.0, 2, size=64)
    png = session.export_png(pictures, tmp_path / "frame.png")
    params = read_png_params(png)
    assert params["kind"] == "playground" and params["step"] == 6 and params["family"] == "maf"
    with Image.open(png) as im:
        assert im.width > 3 * 64
    gif = session.export_animation(tmp_path / "run.gif")
    with Image.open(gif) as im:
        assert im.format == "GIF" and im.n_frames == 2  # frames 1 and 3: one in two is kept at first
        assert im.size == session.recording.frames[0].size  # as recorded, not enlarged
    model = session.save_model(tmp_path / "moons.safetensors")
    loaded = load_checkpoint(model)
    assert loaded.card.steps == 6 and loaded.card.score_unit == "nats"
    assert loaded.card.test_bits_per_dim == pytest.approx(session.heldout_nll())
    x = session.heldout[:20]
    with torch.no_grad():
        assert torch.allclose(loaded.model.log_prob(x), session.model.log_prob(x), atol=1e-5)


def test_an_empty_recording_cannot_be_animated(tmp_path):
    with pytest.raises(UserInputError, match="nothing to animate"):
        tiny_session().export_animation(tmp_path / "run.gif")


def test_recording_thins_evenly_and_stays_bounded():
    session = tiny_session()
    session.recording = Recording(max_frames=4, first_stride=1)
    for _ in range(9):
        session.advance(60.0, 1, size=32)
    # kept: 1 2 3 4 -> full: 1 3, stride 2 -> 1 3 5 7 -> full: 1 5, stride 4 -> 1 5 9
    assert len(session.recording.frames) == 3 and session.recording.stride == 4


def test_csv_points_outside_the_window_are_fitted_into_it(tmp_path):
    path = tmp_path / "far.csv"
    rng = np.random.default_rng(0)
    np.savetxt(path, rng.normal(100.0, 30.0, size=(500, 2)), delimiter=",", header="x,y", comments="")
    target = csv_target(path, resolution=16)
    assert np.abs(target.points).max() <= EXTENT and "scaled" in target.note
    assert target.log_density.shape == (16, 16)
    inside = tmp_path / "near.csv"
    np.savetxt(inside, rng.normal(0.0, 1.0, size=(500, 2)) / 3, delimiter=",")
    assert csv_target(inside).note == ""


def test_csv_of_three_columns_is_refused_in_words(tmp_path):
    path = tmp_path / "xyz.csv"
    np.savetxt(path, np.zeros((10, 3)), delimiter=",")
    with pytest.raises(UserInputError, match="3 columns; the playground learns 2-D points"):
        csv_target(path)


def test_a_bundled_picture_is_a_target_whose_points_lie_on_its_dark_pixels():
    heart = next(p for p in bundled_pictures() if p.stem == "heart")
    target = picture_target(heart, n=3000)
    assert target.name == "heart.png" and target.points.shape == (3000, 2)
    assert np.isfinite(target.log_density).sum() > 0.2 * target.log_density.size


def test_settings_are_checked_in_words():
    with pytest.raises(UserInputError, match="does not learn 2-D points"):
        PlaygroundSettings(family="glow")
    with pytest.raises(UserInputError, match="batch_size must be between"):
        PlaygroundSettings(family="maf", batch_size=1)
    with pytest.raises(UserInputError, match="unknown preset"):
        PlaygroundSettings(family="maf", preset="huge")


def test_the_warped_grid_picture_skips_lines_thrown_to_infinity():
    lines = latent_grid_lines(3, 8)
    lines[0, 3] = np.inf
    lines[1] *= 1e9
    ground = grid_ground(np.zeros((10, 2), np.float32), 32)
    image = warped_grid_image(lines, ground)
    assert image.size == (32, 32)


def test_ink_dots_draw_exactly_what_the_scatter_plot_draws():
    rng = np.random.default_rng(0)
    points = np.concatenate([rng.normal(size=(400, 2)) * 1.5, [[3.99, -3.99], [9.0, 0.0], [np.nan, 1.0]]])
    background = rng.integers(0, 256, size=(64, 64, 3), dtype=np.uint8)
    expected = scatter(points, 64, EXTENT, radius=1, alpha=0.55, ink=(250, 250, 246), background=background)
    drawn = background.copy()
    ink_dots(drawn, points, (250, 250, 246), alpha=0.55)
    assert np.array_equal(drawn, expected)


def test_recorded_frames_keep_the_first_frames_size_when_the_panels_resize():
    session = tiny_session()
    session.recording = Recording(first_stride=1)
    for size in (32, 48, 40):
        session.advance(60.0, 1, size=size)
    sizes = {frame.size for frame in session.recording.frames}
    assert len(session.recording.frames) == 3 and len(sizes) == 1
