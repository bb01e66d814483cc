"""Tests for the 2-D point data: toy densities, CSV points, pictures as densities, target heat maps."""

from __future__ import annotations

import math

import numpy as np
import pytest
from PIL import Image

from flowstudio.data.toy2d import (
    EXTENT,
    TOY_NAMES,
    density_grid,
    grid_points,
    image_density_points,
    load_points_csv,
    sample_toy,
)
from flowstudio.errors import UserInputError


@pytest.mark.parametrize("name", TOY_NAMES)
def test_toy_densities_are_seeded_float32_points_in_the_box(name):
    a, b, c = sample_toy(name, 2000, seed=3), sample_toy(name, 2000, seed=3), sample_toy(name, 2000, seed=4)
    assert a.shape == (2000, 2) and a.dtype == np.float32
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.abs(a).max() < EXTENT + 1 and np.quantile(np.abs(a), 0.99) < EXTENT
    assert a.std(0).min() > 0.5  # spread over the box, not a point


def test_toy_shapes_are_the_classic_ones():
    radii = np.linalg.norm(sample_toy("circles", 4000, 0), axis=1)
    assert np.mean(np.abs(radii - 3) < 0.3) == pytest.approx(0.5, abs=0.05)
    assert np.mean(np.abs(radii - 1.5) < 0.3) == pytest.approx(0.5, abs=0.05)
    rings = np.linalg.norm(sample_toy("rings", 4000, 0), axis=1)
    for r in (3.0, 2.25, 1.5, 0.75):
        assert np.mean(np.abs(rings - r) < 0.2) == pytest.approx(0.25, abs=0.05)
    board = sample_toy("checkerboard", 4000, 0)
    assert ((np.floor(board[:, 0] / 2) + np.floor(board[:, 1] / 2)) % 2 == 0).all()
    eight = sample_toy("8gaussians", 4000, 0)
    angles = np.round(np.arctan2(eight[:, 1], eight[:, 0]) / (math.pi / 4)) % 8
    assert np.bincount(angles.astype(int), minlength=8).min() > 400


def test_unknown_toy_names_and_counts_are_refused():
    with pytest.raises(UserInputError, match="unknown toy density 'moon'; known: moons, circles"):
        sample_toy("moon", 10)
    with pytest.raises(UserInputError, match="whole number from 1"):
        sample_toy("moons", 0)


def test_exact_target_densities_integrate_to_one_and_match_the_samples():
    cell = (2 * EXTENT / 64) ** 2
    for name in TOY_NAMES:
        grid = density_grid(name, size=64)
        assert grid.shape == (64, 64)
        assert np.exp(grid).sum() * cell == pytest.approx(1.0, abs=0.02)
    # the exact 8-Gaussian density and a histogram of its samples agree where the mass is
    exact = np.exp(density_grid("8gaussians", size=128)).reshape(16, 8, 16, 8).mean((1, 3))  # cell averages
    samples = sample_toy("8gaussians", 200_000, 1)
    hist, _, _ = np.histogram2d(samples[:, 1], samples[:, 0], bins=np.linspace(-4, 4, 17))
    hist = hist[::-1] / (len(samples) * (0.5**2))
    assert np.abs(hist - exact).max() < 0.1 * exact.max()
    board = density_grid("checkerboard", size=8)  # cells of side 1: the squares alternate every two cells
    assert board[7, 0] == pytest.approx(-math.log(32)) and board[7, 2] == -np.inf and board[5, 2] == board[7, 0]


def test_grid_points_run_row_by_row_from_the_top():
    points = grid_points(4, extent=2.0)
    assert points.shape == (16, 2)
    assert points[0].tolist() == [-1.5, 1.5] and points[3].tolist() == [1.5, 1.5] and points[-1].tolist() == [1.5, -1.5]


def test_csv_points_with_and_without_header(tmp_path):
    (tmp_path / "a.csv").write_text("x,y,z\n1,2,3\n4.5, -6, 7e-1\n\n")
    (tmp_path / "b.txt").write_text("1 2\n3 4\n")
    points = load_points_csv(tmp_path / "a.csv")
    assert points.dtype == np.float32 and points.tolist() == [[1, 2, 3], [4.5, -6, pytest.approx(0.7)]]
    assert load_points_csv(tmp_path / "b.txt").tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("text, message", [
    ("", "the CSV file is empty"),
    ("x,y\n", "a header but no points"),
    ("1,2\n3\n", "line 2: 1 values, but the first point has 2"),
    ("1,2\n3,abc\n", "line 2: every value must be a finite number"),
    ("1,2\n3,nan\n", "line 2: every value must be a finite number"),
])
def test_bad_csv_files_get_a_clear_message(tmp_path, text, message):
    path = tmp_path / "p.csv"
    path.write_text(text)
    with pytest.raises(UserInputError, match=message):
        load_points_csv(path)
    with pytest.raises(UserInputError, match="no such CSV file"):
        load_points_csv(tmp_path / "missing.csv")


def test_a_picture_becomes_a_density_of_its_dark_pixels(tmp_path):
    picture = np.full((20, 40), 255, np.uint8)
    picture[0:10, 0:10] = 0  # a black block at the top left
    picture[10:20, 30:40] = 191  # a light grey block of the same size at the bottom right
    points = image_density_points(picture, 20_000, seed=1)
    assert points.dtype == np.float32 and points.shape == (20_000, 2)
    in_black = (points[:, 0] < -2) & (points[:, 1] > 0)
    in_grey = (points[:, 0] > 2) & (points[:, 1] < 0)
    assert (in_black | in_grey).all()
    assert in_black.mean() == pytest.approx(255 / (255 + 64), abs=0.02)  # darkness 255 vs 64 on equal areas
    assert points[:, 0].min() >= -EXTENT and points[:, 0].max() <= EXTENT  # the long side spans the box
    assert np.abs(points[:, 1]).max() <= EXTENT / 2  # the aspect ratio is kept; y points up
    Image.fromarray(picture).save(tmp_path / "p.png")
    assert np.array_equal(image_density_points(tmp_path / "p.png", 500, seed=2), image_density_points(picture, 500, 2))
    grid = density_grid(picture, size=64)
    assert np.exp(grid).sum() * (8 / 64) ** 2 == pytest.approx(1.0)
    assert grid[24, 0] > grid[40, -1] > -np.inf and grid[24, -1] == -np.inf and grid[0, 0] == -np.inf


def test_transparent_pixels_are_blank_and_a_blank_picture_is_refused(tmp_path):
    rgba = np.zeros((8, 8, 4), np.uint8)  # black but fully transparent
    rgba[2, 3] = (0, 0, 0, 255)
    points = image_density_points(rgba, 100, seed=0)
    assert np.ptp(points[:, 0]) <= 1.0 and np.ptp(points[:, 1]) <= 1.0  # all inside that one pixel
    with pytest.raises(UserInputError, match="blank"):
        image_density_points(np.full((8, 8), 255, np.uint8), 10)
    (tmp_path / "junk.png").write_bytes(b"not a picture")
    with pytest.raises(UserInputError, match="junk.png: cannot be used as a density"):
        image_density_points(tmp_path / "junk.png", 10)
    with pytest.raises(UserInputError, match="uint8 array"):
        image_density_points(np.zeros((8, 8), np.float32), 10)
