"""Data for Flow Studio: the user's image files and the bundled data sets.

* :mod:`flowstudio.data.images`: load arbitrary image files (or folders of
  them) as uint8 ``[C, H, W]`` arrays sized for a model, with one-line
  reasons for every file that cannot be used;
* :mod:`flowstudio.data.fashion_mnist`: Fashion-MNIST from the Debian package;
* :mod:`flowstudio.data.digits`: scikit-learn's bundled 8 x 8 digits;
* :mod:`flowstudio.data.portraits`: seeded synthetic 32 x 32 colour portraits
  with known attributes (a licence-free stand-in for CelebA).
"""

from flowstudio.data.digits import load_digits
from flowstudio.data.fashion_mnist import CLASS_NAMES, DEFAULT_ROOT, load_fashion_mnist
from flowstudio.data.images import (
    IMAGE_EXTENSIONS,
    MAX_FILE_BYTES,
    MAX_PIXELS,
    MIN_SIDE,
    SUPPORTED_FORMATS,
    Conversion,
    ImageLoadError,
    LoadResult,
    describe_conversions,
    iter_image_paths,
    iter_loaded_images,
    load_image,
    load_image_converted,
    load_images,
)
from flowstudio.data.portraits import (
    BACKGROUNDS,
    HAIR_COLOURS,
    HAIR_STYLES,
    MOUTHS,
    SKIN_TONES,
    PortraitAttributes,
    attribute_labels,
    generate_portraits,
    render_portrait,
    sample_attributes,
)

__all__ = [
    "BACKGROUNDS",
    "CLASS_NAMES",
    "DEFAULT_ROOT",
    "HAIR_COLOURS",
    "HAIR_STYLES",
    "IMAGE_EXTENSIONS",
    "MAX_FILE_BYTES",
    "MAX_PIXELS",
    "MIN_SIDE",
    "MOUTHS",
    "SKIN_TONES",
    "SUPPORTED_FORMATS",
    "Conversion",
    "ImageLoadError",
    "LoadResult",
    "PortraitAttributes",
    "attribute_labels",
    "describe_conversions",
    "generate_portraits",
    "iter_image_paths",
    "iter_loaded_images",
    "load_digits",
    "load_fashion_mnist",
    "load_image",
    "load_image_converted",
    "load_images",
    "render_portrait",
    "sample_attributes",
]
