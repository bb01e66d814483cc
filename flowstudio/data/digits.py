"""scikit-learn's bundled handwritten digits, as uint8 images.

The 1,797 grey 8 x 8 digits ship inside scikit-learn as one small CSV file
(``sklearn/datasets/data/digits.csv.gz``: 64 pixels then the label per row; no
download), which makes them a tiny, always-available data set for quick
experiments and tests.  Their pixels are 0..16; we rescale them to the 0..255
range every other image in Flow Studio uses, with white strokes on a black
background.

The file is read here directly instead of through ``sklearn.datasets.load_digits``
(``tests/test_data_datasets.py`` checks both give the same digits): importing
scikit-learn takes a second and pulls in SciPy, and the packaged app (see
``packaging/flowstudio.spec``) ships this one file instead of the 84 MB the two
packages would add.  It is looked up in the bundle's resources first
(``resources/datasets/digits.csv.gz``), then in the installed scikit-learn.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
from PIL import Image

from flowstudio.errors import UserInputError
from flowstudio.resources import resources_dir

DIGITS_FILE = "digits.csv.gz"


def digits_file() -> Path:
    """Where scikit-learn's digits CSV is: the packaged app's resources, else the installed scikit-learn."""
    bundled = resources_dir() / "datasets" / DIGITS_FILE
    if bundled.is_file():
        return bundled
    spec = importlib.util.find_spec("sklearn")  # finds the package without importing it
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the digits data set comes with scikit-learn, which is not installed "
                                "(pip install scikit-learn)")
    return Path(spec.origin).parent / "datasets" / "data" / DIGITS_FILE


def load_digits(size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(images, labels)``: uint8 ``[N, 1, S, S]`` and int64 ``[N]`` (digit 0..9).

    ``S`` is 8, or ``size`` when given: each digit is then resized with
    Pillow's bicubic filter, which upscales smoothly without the ringing of
    LANCZOS on such small images.
    """
    if size is not None and size < 1:
        raise UserInputError(f"size must be None or a positive int, got {size}")
    table = np.loadtxt(digits_file(), delimiter=",", dtype=np.float64)
    images = np.rint(table[:, :64].reshape(-1, 8, 8) * (255.0 / 16.0)).astype(np.uint8)
    labels = table[:, 64]
    if size is not None and size != images.shape[-1]:
        images = np.stack(
            [np.asarray(Image.fromarray(im).resize((size, size), Image.Resampling.BICUBIC)) for im in images]
        )
    return images[:, np.newaxis], labels.astype(np.int64)
