"""Load the user's image files as uint8 arrays shaped for a model: ``[C, H, W]``.

Users hand Flow Studio a few (or thousands of) arbitrary files: phone photos,
screenshots with transparency, 16-bit scans, animated GIFs, and now and then
something that is not an image at all.  This module turns each into exactly
what a model of ``channels`` (1 or 3) and ``size`` ``(H, W)`` expects, or
refuses it with an :class:`ImageLoadError` whose one-line ``reason`` can be
shown to the user as is.  A bad file never stops the rest of a set from
loading (:func:`load_images`, :func:`iter_loaded_images`).

What happens to one file (:func:`load_image`):

1. ``os.stat`` checks: it exists, is a regular file, is not empty and is not
   over :data:`MAX_FILE_BYTES`.
2. ``Image.open`` reads only the header.  Formats other than PNG, JPEG, WebP,
   BMP and GIF are refused, and so are images over :data:`MAX_PIXELS` or with
   a side under :data:`MIN_SIDE`, all before any pixel data is decoded.
3. The first frame is decoded with ``.load()``.  Truncated files are errors:
   ``ImageFile.LOAD_TRUNCATED_IMAGES`` is left off, so a half-grey image never
   slips into a training set.  The EXIF orientation is then applied.
4. The pixel mode becomes ``L`` or ``RGB``:

   * 16-bit modes (``I;16``, ``I;16B``, ...) are divided by 257, which maps
     0..65535 onto 0..255 exactly; ``I`` and ``F`` are kept as they are when
     every value already lies in 0..255 and are otherwise min-max stretched
     onto 0..255, because their range is unknown (a constant image, which
     cannot be stretched, is clipped);
   * anything with transparency (``RGBA``, ``LA``, palette) is composited over
     a solid grey ``background``, black by default because the bundled
     Fashion-MNIST model was trained on black backgrounds;
   * ``CMYK``, ``YCbCr``, ``1`` and the like go through ``RGB``;
   * ``RGB`` becomes ``L`` with Pillow's ITU-R 601-2 luminance, and ``L``
     becomes ``RGB`` by repeating the grey level.
5. The image is centre-cropped to the target aspect ratio and resized to
   ``(H, W)`` with LANCZOS; for large reductions Pillow first box-reduces by
   an integer factor (``reducing_gap``), which is fast and alias-free.

Nothing of this is silent: :func:`load_image_converted` also returns a
:class:`Conversion` saying what was done to the file (its original size,
whether colour was made grey or grey colour, cropped, shrunk or enlarged,
transparency flattened), :class:`LoadResult` carries one per image, and
:func:`describe_conversions` says it in one plain sentence for a whole set,
with the model's own size ("3 colour images were made grey; ... — the model
draws 28×28 grey images").  The files themselves are never changed, so a
set read again for another model starts from the originals.

Wrong settings (``channels=2``, a negative size, ``batch_size=0``) raise
:class:`~flowstudio.errors.UserInputError` (a ``ValueError``), not
:class:`ImageLoadError`: they are not about a file, and front ends pass them
on from their options.
"""

from __future__ import annotations

import os
import stat
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from flowstudio.errors import FlowStudioError, UserInputError

MAX_FILE_BYTES = 256 * 2**20
"""Files larger than this (256 MiB) are refused before they are opened."""

MAX_PIXELS = 64_000_000
"""Images with more pixels than this (64 megapixels) are refused from their
header alone, before decoding: this stops decompression bombs, small files
that claim a huge canvas.  It is below Pillow's own ``MAX_IMAGE_PIXELS``
(about 89 megapixels), so our check, with its clearer message, comes first;
Pillow still refuses, in ``Image.open``, headers over twice its limit."""

MIN_SIDE = 4
"""Images whose smaller side is under this many pixels are refused: nothing
recognisable survives scaling them up to a model's size."""

SUPPORTED_FORMATS = frozenset({"PNG", "JPEG", "MPO", "WEBP", "BMP", "DIB", "GIF"})
"""Pillow format names accepted (MPO is the multi-picture JPEG some cameras write)."""

IMAGE_EXTENSIONS = frozenset({".png", ".jpg", ".jpeg", ".jfif", ".webp", ".bmp", ".gif"})
"""File extensions picked up when scanning a folder (compared case-insensitively)."""

PathLike = str | os.PathLike
ErrorCallback = Callable[[Path, str], None]

_FORMAT_NAMES = "PNG, JPEG, WebP, BMP or GIF"
_SIXTEEN_BIT_MODES = frozenset({"I;16", "I;16L", "I;16B", "I;16N"})
_HIGH_DEPTH_MODES = _SIXTEEN_BIT_MODES | {"I", "F"}
_ALPHA_MODES = frozenset({"RGBA", "RGBa", "LA", "La", "PA"})
_EXIF_ORIENTATION = 0x0112
_TURNED = frozenset({5, 6, 7, 8})
"""EXIF orientations that rotate the picture a quarter turn."""


class ImageLoadError(FlowStudioError):
    """A file could not be used as an image; ``reason`` is one line for the user."""

    def __init__(self, path: PathLike, reason: str) -> None:
        self.path = Path(path)
        self.reason = reason
        super().__init__(f"{self.path.name}: {reason}")


@dataclass
class LoadResult:
    """Images loaded from a set of paths, and what was skipped and why.

    ``images[i]`` came from ``paths[i]``; ``errors`` lists every skipped
    file or folder with its reason.
    """

    images: np.ndarray
    paths: list[Path] = field(default_factory=list)
    errors: list[tuple[Path, str]] = field(default_factory=list)
    conversions: list[Conversion] = field(default_factory=list)
    """``conversions[i]``: what was done to ``paths[i]`` to fit the model."""


COLOUR_SPREAD = 12
"""An RGB image counts as colour when some pixel's channels differ by more than this (of 255); a grey
picture saved as RGB (R = G = B, give or take JPEG noise) is grey."""


@dataclass(frozen=True)
class Conversion:
    """What loading did to one file to fit the model: ``size`` is the original ``(width, height)``."""

    size: tuple[int, int]
    colour: bool
    """The original has colour (not only grey levels)."""
    made_grey: bool
    made_colour: bool
    cropped: bool
    resized: bool
    transparency: bool
    """Transparent pixels were put on the background grey."""

    @property
    def changed(self) -> bool:
        return self.made_grey or self.made_colour or self.cropped or self.resized or self.transparency


def load_image(
    path: PathLike, channels: int, size: tuple[int, int], *, background: int = 0
) -> np.ndarray:
    """Load one image file as a uint8 array ``[channels, H, W]``.

    ``size`` is ``(H, W)``; ``background`` is the grey level (0..255) that
    transparent pixels are composited over.  Raises :class:`ImageLoadError`
    for anything wrong with the file (see the module docstring).
    """
    return load_image_converted(path, channels, size, background=background)[0]


def load_image_converted(
    path: PathLike, channels: int, size: tuple[int, int], *, background: int = 0
) -> tuple[np.ndarray, Conversion]:
    """:func:`load_image`, and the :class:`Conversion` saying what was done to the file."""
    _check_args(channels, size, background)
    path = Path(path)
    _check_file(path)
    with _open(path) as im:
        _check_header(path, im)
        stored = im.size  # before a JPEG draft decodes it smaller
        try:
            # JPEG only: let libjpeg decode at 1/2..1/8 scale, keeping both sides
            # >= max(H, W) so the crop still has enough pixels after any EXIF rotation.
            side = max(size)
            im.draft(None, (side, side))
            im.load()
            original = stored[::-1] if im.getexif().get(_EXIF_ORIENTATION) in _TURNED else stored
            im = ImageOps.exif_transpose(im)
        except Exception as exc:  # Pillow's decoders raise many types on bad data
            raise ImageLoadError(
                path, f"could not decode the image; the file is truncated or corrupt ({_one_line(exc)})"
            ) from exc
        transparency = im.mode == "P" or im.mode in _ALPHA_MODES or "transparency" in im.info
        try:
            im = _to_l_or_rgb(im, background)
        except (ValueError, OSError) as exc:
            raise ImageLoadError(path, f"unsupported pixel format {im.mode!r} ({_one_line(exc)})") from exc
        colour = _has_colour(im)
        target = "L" if channels == 1 else "RGB"
        im = im if im.mode == target else im.convert(target)
        cropped = _crop_box(im.size, size)[2:] != im.size
        im = _crop_resize(im, size)
    height, width = size
    conversion = Conversion(size=original, colour=colour, made_grey=channels == 1 and colour,
                            made_colour=channels == 3 and not colour, cropped=cropped,
                            resized=original != (width, height), transparency=transparency)
    pixels = np.asarray(im, dtype=np.uint8)
    if channels == 1:
        return pixels[np.newaxis].copy(), conversion
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)), conversion


def _has_colour(im: Image.Image) -> bool:
    """Whether an ``RGB`` image holds colour, judged on 32×32 of its pixels (fast for any size)."""
    if im.mode != "RGB":
        return False
    small = np.asarray(im.resize((32, 32), Image.Resampling.NEAREST), dtype=np.int16)  # real pixels, not averages
    return int((small.max(axis=2) - small.min(axis=2)).max()) > COLOUR_SPREAD



def iter_image_paths(paths: PathLike | Iterable[PathLike]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Expand files and folders into the list of image files to load.

    Files named directly are kept whatever their extension (:func:`load_image`
    will say if they are not images).  Folders are scanned recursively in
    sorted order for files with an :data:`IMAGE_EXTENSIONS` extension;
    hidden files and folders (names starting with ``.``) are skipped.  A file
    reached twice is listed once.  Returns ``(files, problems)`` where
    ``problems`` holds ``(path, reason)`` for missing paths, folders without
    images, folders that could not be read, and every other file a folder
    scan left out (an unsupported format such as TIFF, or not an image).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    files: dict[Path, None] = {}  # ordered set
    problems: list[tuple[Path, str]] = []
    for path in map(Path, paths):
        try:
            is_dir = stat.S_ISDIR(path.stat().st_mode)
        except FileNotFoundError:
            problems.append((path, "no such file or folder"))
            continue
        except OSError as exc:
            problems.append((path, f"cannot access: {exc.strerror or exc}"))
            continue
        if not is_dir:
            files[path] = None
            continue
        reported = len(problems)
        found = _scan_folder(path, problems)
        if not found and len(problems) == reported:  # an unreadable folder is reported once
            extensions = ", ".join(sorted(IMAGE_EXTENSIONS))
            problems.append((path, f"folder has no images (looked for {extensions})"))
        files.update(dict.fromkeys(found))
    return list(files), [(p, reason) for p, reason in problems if p not in files]  # named directly: kept


def iter_loaded_images(
    paths: PathLike | Iterable[PathLike],
    channels: int,
    size: tuple[int, int],
    batch_size: int = 256,
    *,
    background: int = 0,
    on_error: ErrorCallback | None = None,
) -> Iterator[LoadResult]:
    """Load images in batches of up to ``batch_size``, so memory stays bounded.

    Each :class:`LoadResult` carries the errors met since the previous batch
    (problems with the given paths come in the first one); a last batch with
    no images is yielded if errors are still to be reported.  ``on_error``,
    if given, is called with ``(path, reason)`` as each error is met, e.g. to
    log it or show progress.
    """
    _check_args(channels, size, background)
    if batch_size < 1:
        raise UserInputError(f"batch_size must be at least 1, got {batch_size}")
    files, errors = iter_image_paths(paths)
    if on_error is not None:
        for path, reason in errors:
            on_error(path, reason)
    images: list[np.ndarray] = []
    loaded: list[Path] = []
    conversions: list[Conversion] = []
    for path in files:
        try:
            pixels, conversion = load_image_converted(path, channels, size, background=background)
            images.append(pixels)
            loaded.append(path)
            conversions.append(conversion)
        except ImageLoadError as err:
            errors.append((path, err.reason))
            if on_error is not None:
                on_error(path, err.reason)
        if len(images) == batch_size:
            yield LoadResult(np.stack(images), loaded, errors, conversions)
            images, loaded, errors, conversions = [], [], [], []
    if images or errors:
        yield LoadResult(_stack(images, channels, size), loaded, errors, conversions)


def load_images(
    paths: PathLike | Iterable[PathLike],
    channels: int,
    size: tuple[int, int],
    *,
    background: int = 0,
    on_error: ErrorCallback | None = None,
) -> LoadResult:
    """Load every image under ``paths`` into one ``[N, C, H, W]`` uint8 array.

    Bad files and folders are skipped and listed in ``errors``; ``images``
    has shape ``[0, C, H, W]`` when nothing loaded.  See
    :func:`iter_loaded_images` for ``on_error`` and for streaming large sets.
    """
    result = LoadResult(_stack([], channels, size))
    batches = [result.images]
    for batch in iter_loaded_images(paths, channels, size, background=background, on_error=on_error):
        batches.append(batch.images)
        result.paths += batch.paths
        result.errors += batch.errors
        result.conversions += batch.conversions
    result.images = np.concatenate(batches)
    return result


SIZE_GROUPS = 3
"""Original sizes named one by one in :func:`describe_conversions`; the rest are counted together."""


def _images(n: int, what: str = "") -> str:
    return f"{n} {what + ' ' if what else ''}image{'' if n == 1 else 's'}"


def _were(n: int) -> str:
    return "was" if n == 1 else "were"


def describe_conversions(conversions: Iterable[Conversion], channels: int, size: tuple[int, int]) -> str:
    """What loading did to a set, in one plain sentence; empty when every file already fit the model.

    ``"3 colour images were made grey; 2 images 800×600 were cropped to a square and shrunk to 28×28 —
    the model draws 28×28 grey images"``.
    """
    conversions = list(conversions)
    height, width = size
    target = f"{width}×{height}"
    parts = []
    grey = sum(c.made_grey for c in conversions)
    colour = sum(c.made_colour for c in conversions)
    flat = sum(c.transparency for c in conversions)
    if grey:
        parts.append(f"{_images(grey, 'colour')} {_were(grey)} made grey")
    if colour:
        used_as = "a colour image (it stays" if colour == 1 else "colour images (they stay"
        parts.append(f"{_images(colour, 'grey')} {_were(colour)} used as {used_as} grey)")
    if flat:
        parts.append(f"{_images(flat)} with transparent parts {_were(flat)} put on a plain background")
    by_size: dict[tuple[tuple[int, int], bool], int] = {}
    for c in conversions:
        if c.resized or c.cropped:
            by_size[(c.size, c.cropped)] = by_size.get((c.size, c.cropped), 0) + 1
    groups = sorted(by_size.items(), key=lambda item: -item[1])
    shape = "a square" if width == height else f"the model's {target} shape"
    for ((w, h), cropped), n in groups[:SIZE_GROUPS]:
        how = "shrunk" if w * h > width * height else "enlarged"
        crop = f"cropped to {shape} and " if cropped else ""
        parts.append(f"{_images(n)} {w}×{h} {_were(n)} {crop}{how} to {target}")
    rest = sum(n for _, n in groups[SIZE_GROUPS:])
    if rest:
        parts.append(f"{_images(rest)} of other sizes {_were(rest)} resized to {target}")
    if not parts:
        return ""
    return f"{'; '.join(parts)} — the model draws {target} {'grey' if channels == 1 else 'colour'} images"


def _scan_folder(folder: Path, problems: list[tuple[Path, str]]) -> list[Path]:
    """Image files under ``folder``: each folder's files sorted, then its subfolders.

    Symlinked subfolders are not followed (no loops); unreadable folders are
    added to ``problems``.
    """
    found: list[Path] = []

    def report(exc: OSError) -> None:
        problems.append((Path(exc.filename), f"cannot read folder: {exc.strerror or exc}"))

    for folder_path, subfolders, names in os.walk(folder, onerror=report):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            suffix = Path(name).suffix.lower()
            if suffix in IMAGE_EXTENSIONS:
                found.append(Path(folder_path, name))
            else:
                problems.append((Path(folder_path, name), _not_scanned(suffix)))
    return found


UNSUPPORTED_FORMATS = {".tif": "TIFF", ".tiff": "TIFF", ".heic": "HEIC", ".heif": "HEIF", ".avif": "AVIF",
                       ".jxl": "JPEG XL", ".psd": "Photoshop", ".svg": "SVG", ".ico": "ICO", ".exr": "OpenEXR",
                       ".dng": "camera raw", ".cr2": "camera raw", ".nef": "camera raw", ".arw": "camera raw"}
"""Image formats people keep beside their pictures that Flow Studio does not read, by extension."""


def _not_scanned(suffix: str) -> str:
    """Why a file found in a folder is left out."""
    if suffix in UNSUPPORTED_FORMATS:
        return (f"unsupported image format {UNSUPPORTED_FORMATS[suffix]} (supported: {_FORMAT_NAMES}); "
                "convert it to PNG or JPEG")
    return f"not an image file (no {', '.join(sorted(IMAGE_EXTENSIONS))} extension)"


def _check_args(channels: int, size: tuple[int, int], background: int) -> None:
    if channels not in (1, 3):
        raise UserInputError(f"channels must be 1 or 3, got {channels!r}")
    if len(size) != 2 or min(size) < 1:
        raise UserInputError(f"size must be (H, W) with positive sides, got {size!r}")
    if not 0 <= background <= 255:
        raise UserInputError(f"background must be a grey level in 0..255, got {background!r}")


def _check_file(path: Path) -> None:
    """Refuse what is not a readable, non-empty, not-too-big regular file."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise ImageLoadError(path, "no such file") from None
    except PermissionError:
        raise ImageLoadError(path, "permission denied") from None
    except OSError as exc:
        raise ImageLoadError(path, f"cannot read file: {exc.strerror or exc}") from None
    if stat.S_ISDIR(info.st_mode):
        raise ImageLoadError(path, "is a folder, not an image file")
    if not stat.S_ISREG(info.st_mode):
        raise ImageLoadError(path, "not a regular file")
    if info.st_size == 0:
        raise ImageLoadError(path, "file is empty (0 bytes)")
    if info.st_size > MAX_FILE_BYTES:
        raise ImageLoadError(
            path, f"file is {info.st_size / 2**20:.0f} MB, over the limit of {MAX_FILE_BYTES // 2**20} MB"
        )


def _open(path: Path) -> Image.Image:
    """``Image.open`` (header only), with every failure turned into a reason."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            return Image.open(path)
    except FileNotFoundError:
        raise ImageLoadError(path, "no such file") from None
    except PermissionError:
        raise ImageLoadError(path, "permission denied") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageLoadError(
            path, f"image is over the limit of {MAX_PIXELS // 10**6} megapixels (possible decompression bomb)"
        ) from None
    except UnidentifiedImageError:
        raise ImageLoadError(
            path, f"not a recognised image file (its contents are not {_FORMAT_NAMES})"
        ) from None
    except Exception as exc:  # a plugin choking on a malformed header
        raise ImageLoadError(path, f"cannot read the image header ({_one_line(exc)})") from exc


def _check_header(path: Path, im: Image.Image) -> None:
    """Refuse unsupported formats and bad sizes before decoding any pixels."""
    if im.format not in SUPPORTED_FORMATS:
        raise ImageLoadError(path, f"unsupported image format {im.format} (supported: {_FORMAT_NAMES})")
    width, height = im.size
    if width * height > MAX_PIXELS:
        raise ImageLoadError(
            path,
            f"image is {width} x {height} pixels, over the limit of {MAX_PIXELS // 10**6} megapixels",
        )
    if min(width, height) < MIN_SIDE:
        raise ImageLoadError(
            path, f"image is too small: {width} x {height} pixels (each side must be at least {MIN_SIDE})"
        )


def _to_l_or_rgb(im: Image.Image, background: int) -> Image.Image:
    """Convert a decoded image of any mode to ``L`` or ``RGB``, whichever keeps it (the model's mode comes next)."""
    if im.mode in _HIGH_DEPTH_MODES:
        im = Image.fromarray(_to_8bit(im))
    if im.mode == "P" or im.mode in _ALPHA_MODES or "transparency" in im.info:
        rgba = im.convert("RGBA")
        under = Image.new("RGBA", im.size, (background, background, background, 255))
        im = Image.alpha_composite(under, rgba)
    return im if im.mode in ("L", "RGB") else im.convert("RGB")


def _to_8bit(im: Image.Image) -> np.ndarray:
    """Scale a 16-bit, 32-bit integer or float image to uint8 (see module docstring)."""
    values = np.nan_to_num(np.asarray(im, dtype=np.float64))
    if im.mode in _SIXTEEN_BIT_MODES:
        values = values / 257.0
    else:
        low, high = values.min(), values.max()
        if (low < 0 or high > 255) and high > low:
            values = (values - low) * (255.0 / (high - low))
        values = np.clip(values, 0, 255)  # only a constant image can still be out of range
    return np.rint(values).astype(np.uint8)


def _crop_box(source: tuple[int, int], size: tuple[int, int]) -> tuple[int, int, int, int]:
    """``(left, top, width, height)`` of the centred crop of a ``source`` (W, H) to the aspect of ``size`` (H, W)."""
    height, width = size
    src_w, src_h = source
    crop_w = max(1, min(src_w, round(src_h * width / height)))
    crop_h = max(1, min(src_h, round(src_w * height / width)))
    return (src_w - crop_w) // 2, (src_h - crop_h) // 2, crop_w, crop_h


def _crop_resize(im: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Centre-crop to the aspect ratio of ``size`` = (H, W), then resize to it."""
    height, width = size
    left, top, crop_w, crop_h = _crop_box(im.size, size)
    im = im.crop((left, top, left + crop_w, top + crop_h))
    if im.size != (width, height):
        im = im.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    return im


def _stack(images: list[np.ndarray], channels: int, size: tuple[int, int]) -> np.ndarray:
    if images:
        return np.stack(images)
    return np.zeros((0, channels, *size), dtype=np.uint8)


def _one_line(exc: BaseException) -> str:
    """An exception as a single line: its message, or its type when it has none."""
    return " ".join(str(exc).split()) or type(exc).__name__
