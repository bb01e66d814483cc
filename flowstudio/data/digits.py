"""scikit-learn's bundled handwritten digits, as uint8 images.

The 1,797 grey 8 x 8 digits ship inside scikit-learn (``load_digits`` reads
a file from the installed package, no download), which makes them a tiny,
always-available data set for quick experiments and tests.  Their pixels are
0..16; we rescale them to the 0..255 range every other image in Flow Studio
uses, with white strokes on a black background.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from flowstudio.errors import UserInputError


def load_digits(size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(images, labels)``: uint8 ``[N, 1, S, S]`` and int64 ``[N]`` (digit 0..9).

    ``S`` is 8, or ``size`` when given: each digit is then resized with
    Pillow's bicubic filter, which upscales smoothly without the ringing of
    LANCZOS on such small images.
    """
    from sklearn.datasets import load_digits as sklearn_load_digits  # slow import: only when used

    if size is not None and size < 1:
        raise UserInputError(f"size must be None or a positive int, got {size}")
    digits = sklearn_load_digits()
    images = np.rint(digits.images * (255.0 / 16.0)).astype(np.uint8)
    if size is not None and size != images.shape[-1]:
        images = np.stack(
            [np.asarray(Image.fromarray(im).resize((size, size), Image.Resampling.BICUBIC)) for im in images]
        )
    return images[:, np.newaxis], digits.target.astype(np.int64)
