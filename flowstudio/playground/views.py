"""What the playground shows, as numbers: heat maps of densities, and the latent grid warped through a flow.

A 2-D flow is a bijection ``x = f(z)`` from a standard normal ``z ~ N(0, I)``
to the data plane, with the change of variables (Kobyzev, Prince & Brubaker,
"Normalizing Flows: An Introduction and Review of Current Methods", 2020,
arXiv:1908.09257, eq. 1)::

    p_X(x) = p_Z(f^-1(x)) |det D f^-1(x)|                                    (1)

The playground draws three pictures of it:

* the **heat map** of a density on the square window ``[-E, E]^2`` cut into
  ``R x R`` cells: ``p`` at every cell centre divided by its largest value,
  ``p_ij / max_kl p_kl`` (:func:`flowstudio.imaging_points.heat_map`), so the
  brightest cell of each map is the top of the colour map whatever the
  density's height, and a constant added to ``log p`` changes nothing; a
  density known only from a sample has the normalised histogram
  (:func:`histogram_log_density`)::

      p_ij = #{points in cell ij} / (n * (2E / R)^2)                          (2)

* **samples** ``x = f(z)`` of fixed ``z`` (the same points all run long, so
  they can be seen moving into place);
* the **warped grid**: the lines ``z_1 = c`` and ``z_2 = c`` of a regular grid
  in latent space, pushed through ``f`` (the survey's Figure 10, after Dinh et
  al.'s RealNVP figure): where the lines crowd, the flow compresses the plane
  and the density is high.

The learned heat map comes from the model at :func:`flowstudio.data.toy2d.grid_points`
(cells ordered as an image, top row first).
"""

from __future__ import annotations

import numpy as np

from flowstudio.data.toy2d import EXTENT

LATENT_EXTENT = 2.5
"""The latent grid's lines lie at ``|z_k| <= LATENT_EXTENT`` (99 % of the normal's mass in each coordinate)."""


def histogram_log_density(points: np.ndarray, size: int, extent: float = EXTENT) -> np.ndarray:
    """Eq. (2), as a log: the normalised 2-D histogram of ``points [n, 2]`` with :func:`~flowstudio.data.toy2d.grid_points`'
    cells as bins (top row first); points outside the window count in the total, so the mass inside is
    what the sample says."""
    edges = np.linspace(-extent, extent, size + 1)
    hist, _, _ = np.histogram2d(points[:, 1], points[:, 0], bins=(edges, edges))
    with np.errstate(divide="ignore"):
        return np.log(hist[::-1] / (len(points) * (2 * extent / size) ** 2))


def latent_grid_lines(lines: int = 11, points: int = 96, extent: float = LATENT_EXTENT) -> np.ndarray:
    """A regular grid of latent lines, ``float32 [2 * lines, points, 2]``: first the ``lines`` horizontal ones
    (``z_2`` fixed, ``z_1`` from ``-extent`` to ``extent``), then the vertical ones."""
    fixed = np.linspace(-extent, extent, lines)
    along = np.linspace(-extent, extent, points)
    horizontal = np.stack(np.broadcast_arrays(along[None, :], fixed[:, None]), -1)
    vertical = horizontal[..., ::-1]
    return np.concatenate([horizontal, vertical]).astype(np.float32)
