"""FD-FashionCNN and precision/recall: sample quality on our own classifier's features, with no download.

**Fréchet distance** (Heusel et al. 2017, arXiv:1706.08500, eq. 6; Dowson &
Landau 1982).  With ``phi`` the 128 penultimate activations of the bundled
Fashion-MNIST classifier (:mod:`flowstudio.metrics.fashion_classifier`), fit
Gaussians ``N(mu_r, S_r)`` to ``phi`` of N test images and ``N(mu_g, S_g)`` to
``phi`` of N generated ones::

    FD = ||mu_r - mu_g||^2 + Tr(S_r + S_g - 2 (S_r S_g)^(1/2))          (1)

The means, covariances and the trace of the matrix square root are
torchmetrics' ``FrechetInceptionDistance`` given a custom ``feature`` module
(we hand it features already computed, see :func:`frechet_distance`), not a
hand-written ``sqrtm``.  This is **not** the Inception FID that papers report
(Inception-v3 on 299 x 299 colour images): values are on another scale and are
only comparable with other FD-FashionCNN values at the same N.

**Precision and recall for distributions** (Kynkäänniemi et al. 2019,
arXiv:1904.06991, eq. 1-3), on the same features.  Each real feature vector
``r`` gets a ball of radius ``NND_k(r)``, its distance to its k-th nearest other
real vector (k = 3, the paper's choice); likewise for the generated set::

    f(x, S) = 1  if  ||x - s|| <= NND_k(s)  for some s in S, else 0      (2)
    precision = mean_{g in G} f(g, R),   recall = mean_{r in R} f(r, G)  (3)

Precision is the share of generated images that fall on the real images'
manifold (fidelity), recall the share of real images that the generated ones'
manifold covers (diversity).  Why written here (25 lines): torch-fidelity's
``prc`` needs torchvision, which Flow Studio does not ship, and the ``prdc``
package forms the full N x N distance matrices (three of 800 MB at N = 10,000);
:func:`_kth_neighbour_radii` and :func:`_covered` go through them in chunks.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torchmetrics.image.fid import FrechetInceptionDistance

from flowstudio.errors import UserInputError
from flowstudio.metrics.fashion_classifier import FashionCNN, load_classifier

METRIC_NAME = "FD-FashionCNN"
DEFAULT_N = 10_000
DEFAULT_K = 3
_CHUNK = 1000


@dataclass(frozen=True)
class SampleQuality:
    """FD-FashionCNN (lower is better), precision and recall (higher is better), and the set sizes."""

    fd: float
    precision: float
    recall: float
    n_generated: int
    n_real: int
    k: int = DEFAULT_K

    def to_json(self) -> dict:
        return {"metric": METRIC_NAME, **asdict(self)}


class _Precomputed(nn.Module):
    """The identity on ``[B, D]`` features, as torchmetrics' ``feature=`` module: we extract features once
    (they also serve precision/recall) and let torchmetrics do only eq. (1)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.num_features = dim

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def _check_features(a: torch.Tensor, b: torch.Tensor) -> None:
    if a.dim() != 2 or b.dim() != 2 or a.shape[1] != b.shape[1]:
        raise UserInputError(f"feature sets must be [N, D] with one D, got {list(a.shape)} and {list(b.shape)}")
    if min(len(a), len(b)) < 2:
        raise UserInputError("the Fréchet distance needs at least 2 images in each set")


def frechet_distance(real: torch.Tensor, generated: torch.Tensor) -> float:
    """Eq. (1) between feature sets ``real [N, D]`` and ``generated [M, D]`` (float64 throughout)."""
    _check_features(real, generated)
    metric = FrechetInceptionDistance(feature=_Precomputed(real.shape[1])).set_dtype(torch.float64)
    metric.update(real.double(), real=True)
    metric.update(generated.double(), real=False)
    return float(metric.compute())


def _kth_neighbour_radii(x: torch.Tensor, k: int) -> torch.Tensor:
    """``NND_k`` of every row of ``x`` among the other rows (the k+1-th smallest distance counts itself)."""
    return torch.cat([torch.cdist(part, x).kthvalue(k + 1, dim=1).values for part in x.split(_CHUNK)])


def _covered(points: torch.Tensor, centres: torch.Tensor, radii: torch.Tensor) -> float:
    """Share of ``points`` inside at least one ball ``(centres, radii)``: eq. (2) averaged."""
    hits = torch.cat([(torch.cdist(part, centres) <= radii).any(dim=1) for part in points.split(_CHUNK)])
    return hits.double().mean().item()


def precision_recall(real: torch.Tensor, generated: torch.Tensor, k: int = DEFAULT_K) -> tuple[float, float]:
    """Eq. (3): ``(precision, recall)`` of ``generated`` against ``real`` features."""
    _check_features(real, generated)
    if not 1 <= k < min(len(real), len(generated)):
        raise UserInputError(f"k = {k} needs more than k images in each set ({len(real)} and {len(generated)})")
    real, generated = real.double(), generated.double()
    precision = _covered(generated, real, _kth_neighbour_radii(real, k))
    recall = _covered(real, generated, _kth_neighbour_radii(generated, k))
    return precision, recall


@torch.no_grad()
def classifier_features(cnn: FashionCNN, images: torch.Tensor | np.ndarray, batch_size: int = 500) -> torch.Tensor:
    """Penultimate features ``[N, 128]`` of uint8 images ``[N, 1, 28, 28]``."""
    cnn.eval()
    images = torch.as_tensor(images)
    return torch.cat([cnn.features(part) for part in images.split(batch_size)])


def sample_quality(generated: torch.Tensor | np.ndarray, real: torch.Tensor | np.ndarray,
                   cnn: FashionCNN | None = None, k: int = DEFAULT_K) -> SampleQuality:
    """FD-FashionCNN, precision and recall of uint8 ``generated`` images against uint8 ``real`` ones.

    ``cnn`` defaults to the bundled classifier.  Use the same N on both sides
    (10,000 is the convention: FD is biased upward at small N).
    """
    cnn = cnn if cnn is not None else load_classifier()[0]
    fr, fg = classifier_features(cnn, real), classifier_features(cnn, generated)
    precision, recall = precision_recall(fr, fg, k)
    return SampleQuality(frechet_distance(fr, fg), precision, recall, len(fg), len(fr), k)
