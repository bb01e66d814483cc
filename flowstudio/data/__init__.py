"""Data for Flow Studio: the user's image files and the bundled data sets.

* :mod:`flowstudio.data.images`: load arbitrary image files (or folders of
  them) as uint8 ``[C, H, W]`` arrays sized for a model, with one-line
  reasons for every file that cannot be used;
* :mod:`flowstudio.data.fashion_mnist`: Fashion-MNIST from the Debian package;
* :mod:`flowstudio.data.digits`: scikit-learn's bundled 8 x 8 digits.
"""

from flowstudio.data.digits import load_digits
from flowstudio.data.fashion_mnist import CLASS_NAMES, DEFAULT_ROOT, load_fashion_mnist
from flowstudio.data.images import (
    IMAGE_EXTENSIONS,
    MAX_FILE_BYTES,
    MAX_PIXELS,
    MIN_SIDE,
    SUPPORTED_FORMATS,
    ImageLoadError,
    LoadResult,
    iter_image_paths,
    iter_loaded_images,
    load_image,
    load_images,
)

__all__ = [
    "CLASS_NAMES",
    "DEFAULT_ROOT",
    "IMAGE_EXTENSIONS",
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "MIN_SIDE",
    "SUPPORTED_FORMATS",
    "ImageLoadError",
    "LoadResult",
    "iter_image_paths",
    "iter_loaded_images",
    "load_digits",
    "load_fashion_mnist",
    "load_image",
    "load_images",
]
