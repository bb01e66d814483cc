"""Heat maps and scatter plots of 2-D densities (numpy + Pillow only)."""

from __future__ import annotations

import numpy as np
import pytest

from flowstudio.errors import UserInputError
from flowstudio.imaging_points import INK, PAPER, VIRIDIS, heat_map, scatter, view_extent


def test_heat_maps_are_viridis_linear_in_the_density_or_in_its_log():
    log_p = np.log(np.array([[1.0, 0.5], [0.25, 1e-300]]))
    log_p[1, 1] = -np.inf  # zero density
    linear = heat_map(log_p)
    assert linear.shape == (2, 2, 3) and linear.dtype == np.uint8
    assert linear[0, 0].tolist() == VIRIDIS[255].tolist() and linear[1, 1].tolist() == VIRIDIS[0].tolist()
    assert linear[0, 1].tolist() == VIRIDIS[128].tolist()  # half the peak density: the middle colour
    logs = heat_map(log_p, log_range=np.log(4.0))
    assert logs[1, 0].tolist() == VIRIDIS[0].tolist() and logs[0, 1].tolist() == VIRIDIS[128].tolist()
    assert (heat_map(np.full((3, 3), -np.inf)) == VIRIDIS[0]).all()
    luminance = VIRIDIS @ np.array([0.299, 0.587, 0.114])
    assert np.diff(luminance).min() > -1 and luminance[-1] - luminance[0] > 150  # rises all the way (to rounding)
    with pytest.raises(UserInputError, match="2-D array"):
        heat_map(np.zeros(4))


def test_scatter_inks_the_pixel_under_each_point_with_y_up():
    picture = scatter(np.array([[-3.9, 3.9], [0.1, -0.1]]), size=8, extent=4.0, radius=0, alpha=1.0)
    inked = np.argwhere((picture == INK).all(-1)).tolist()
    assert inked == [[0, 0], [4, 4]]  # top left, and just right of and below the centre
    assert (picture[1, 1] == PAPER).all()
    many = scatter(np.zeros((5, 2)) + 0.1, size=8, radius=0, alpha=0.5)
    few = scatter(np.zeros((1, 2)) + 0.1, size=8, radius=0, alpha=0.5)
    assert int(many[3, 4].sum()) < int(few[3, 4].sum()) < int(PAPER[0] + PAPER[1] + PAPER[2])  # dots darken like ink
    assert scatter(np.array([[np.nan, 0.0], [100.0, 0.0]]), size=8).tolist() == scatter(np.zeros((0, 2)), size=8).tolist()
    with pytest.raises(UserInputError, match=r"points \[n, 2 or more\]"):
        scatter(np.zeros((3, 1)))


def test_the_view_holds_most_points_and_snaps_to_whole_numbers():
    assert view_extent(np.zeros((10, 2))) == 4.0
    points = np.random.default_rng(0).normal(scale=3.0, size=(5000, 2))
    extent = view_extent(points)
    assert extent == int(extent) and extent >= np.quantile(np.abs(points), 0.995)
