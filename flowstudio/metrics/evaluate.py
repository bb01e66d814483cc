"""Sample quality of a Flow Studio model: N samples against N Fashion-MNIST test images.

The images are drawn as ``G(eps)``, ``eps ~ N(0, T^2 I)`` (``model.sample``,
seeded), turned to uint8 pixels (``model.postprocess``) and compared with the
first N test images by :func:`flowstudio.metrics.frechet.sample_quality`
(FD-FashionCNN, precision, recall).  The classifier knows only 1 x 28 x 28
Fashion-MNIST, so other image shapes are refused.
"""

from __future__ import annotations

import torch

from flowstudio.data import load_fashion_mnist
from flowstudio.errors import UserInputError
from flowstudio.metrics.fashion_classifier import FashionCNN
from flowstudio.metrics.frechet import DEFAULT_K, DEFAULT_N, SampleQuality, sample_quality
from flowstudio.models import ImageFlow
from flowstudio.registry import require_data

FASHION_SHAPE = (1, 28, 28)
TEST_IMAGES = 10_000


@torch.no_grad()
def generated_images(model: ImageFlow, n: int, seed: int = 0, temperature: float = 1.0,
                     batch_size: int = 500) -> torch.Tensor:
    """``n`` uint8 samples ``[n, C, H, W]`` of ``model`` at ``temperature``, reproducible from ``seed``."""
    model.eval()
    return torch.cat([model.postprocess(model.sample(min(batch_size, n - start), temperature, seed + start)).cpu()
                      for start in range(0, n, batch_size)])


def evaluate_sample_quality(model: ImageFlow, n: int = DEFAULT_N, seed: int = 0, temperature: float = 1.0,
                            classifier: FashionCNN | None = None, k: int = DEFAULT_K,
                            batch_size: int = 500) -> SampleQuality:
    """FD-FashionCNN, precision and recall of ``n`` samples of ``model`` against ``n`` test images."""
    require_data(model.family, "images", "FD-FashionCNN (the sample quality of Fashion-MNIST images)")
    if tuple(model.image_shape) != FASHION_SHAPE:
        shape = "x".join(map(str, model.image_shape))
        raise UserInputError(f"{shape} images: FD-FashionCNN uses a Fashion-MNIST classifier and so needs a "
                             "model of 1x28x28 grey images")
    if not k < n <= TEST_IMAGES:
        raise UserInputError(f"the number of images must be {k + 1} to {TEST_IMAGES} (the test split), got {n}")
    real, _ = load_fashion_mnist("test", limit=n)
    return sample_quality(generated_images(model, n, seed, temperature, batch_size), real, classifier, k)
