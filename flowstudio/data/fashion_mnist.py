"""Fashion-MNIST from the Debian package ``dataset-fashion-mnist``.

Fashion-MNIST (Zalando Research, 2017; MIT licensed) holds 70,000 grey
28 x 28 pictures of clothing in 10 classes (:data:`CLASS_NAMES`): 60,000 for
training and 10,000 for testing.  It is what the bundled base model was
trained on.  We read it from the files the Debian package installs under
``/usr/share/datasets/fashion-mnist`` rather than downloading it, so Flow
Studio works offline, and we parse the files ourselves because torchvision
is not available here.

The files are gzip-compressed *idx* files, a format from the original MNIST
distribution.  All integers are big-endian::

    bytes 0-1   0x0000
    byte  2     element type (0x08 = unsigned byte, the only one used here)
    byte  3     number of dimensions n
    then        n uint32 sizes, the first being the number of items
    then        the elements, row-major

so images start with magic ``0x00000803`` (3 dimensions: N, 28, 28) and
labels with ``0x00000801`` (1 dimension: N).
"""

from __future__ import annotations

import gzip
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from flowstudio.errors import FlowStudioError, UserInputError

DEFAULT_ROOT = Path("/usr/share/datasets/fashion-mnist")
"""Where ``apt-get install dataset-fashion-mnist`` puts the files."""

CLASS_NAMES = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
"""Label ``k`` is ``CLASS_NAMES[k]``."""

_FILES = {
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}


class CorruptDatasetError(FlowStudioError, ValueError):
    """A Fashion-MNIST file that is damaged or incomplete; the message names it (reinstall the package)."""


_IMAGES_MAGIC = 0x00000803
_LABELS_MAGIC = 0x00000801
_SIDE = 28


def load_fashion_mnist(
    split: str = "train", root: str | os.PathLike | None = None, limit: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(images, labels)`` of one split: uint8 ``[N, 1, 28, 28]`` and int64 ``[N]``.

    ``split`` is ``"train"`` (60,000 items) or ``"test"`` (10,000); ``root``
    is the folder holding the four ``.gz`` files (default :data:`DEFAULT_ROOT`);
    ``limit`` keeps only the first ``limit`` items, and reads only those.
    Pixels are 0 (black background) to 255.  Raises ``FileNotFoundError``
    with an install hint when a file is missing, :class:`CorruptDatasetError`
    (a ``ValueError``) when a file is corrupt, and
    :class:`~flowstudio.errors.UserInputError` for a wrong ``split`` or ``limit``.
    """
    if split not in _FILES:
        raise UserInputError(f"split must be 'train' or 'test', got {split!r}")
    if limit is not None and limit < 0:
        raise UserInputError(f"limit must be None or >= 0, got {limit}")
    folder = Path(root) if root is not None else DEFAULT_ROOT
    images_path, labels_path = (folder / name for name in _FILES[split])
    images = _read_idx(images_path, _IMAGES_MAGIC, limit)
    labels = _read_idx(labels_path, _LABELS_MAGIC, limit)
    if images.shape[1:] != (_SIDE, _SIDE):
        raise CorruptDatasetError(f"{images_path}: corrupt idx file: images are {images.shape[1:]}, expected (28, 28)")
    if len(images) != len(labels):
        raise CorruptDatasetError(f"{folder}: {len(images)} images but {len(labels)} labels")
    if labels.size and labels.max() >= len(CLASS_NAMES):
        raise CorruptDatasetError(f"{labels_path}: corrupt idx file: label {labels.max()} is not in 0..9")
    return images[:, np.newaxis], labels.astype(np.int64)


def _read_idx(path: Path, magic: int, limit: int | None) -> np.ndarray:
    """Read an unsigned-byte idx file (see the module docstring), first ``limit`` items only."""
    if not path.is_file():
        raise FileNotFoundError(
            f"Fashion-MNIST file {path} not found; install the dataset with "
            "'sudo apt-get install dataset-fashion-mnist', or pass root= a folder holding its .gz files"
        )
    with open(path, "rb") as raw:  # errors opening the file itself stay as they are
        try:
            with gzip.GzipFile(fileobj=raw) as f:
                (found,) = struct.unpack(">I", _read_exactly(f, 4))
                if found != magic:
                    raise ValueError(f"magic number 0x{found:08x}, expected 0x{magic:08x}")
                ndim = magic & 0xFF
                shape = list(struct.unpack(f">{ndim}I", _read_exactly(f, 4 * ndim)))
                if limit is not None:
                    shape[0] = min(shape[0], limit)
                data = _read_exactly(f, math.prod(shape))
        except (OSError, EOFError, zlib.error, ValueError) as exc:  # gzip.BadGzipFile is an OSError
            raise CorruptDatasetError(f"{path}: corrupt idx file: {exc}") from exc
    return np.frombuffer(data, dtype=np.uint8).reshape(shape).copy()


def _read_exactly(f, count: int) -> bytes:
    data = f.read(count)
    if len(data) != count:
        raise ValueError(f"file ends early: wanted {count} bytes, got {len(data)}")
    return data
