"""Tests for flowstudio.data.images: good files of every kind, and every kind of bad input.

All files are generated in tmp_path with Pillow and numpy; they are tiny, so
the whole module runs in well under a second or two.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from flowstudio.data import images as images_module
from flowstudio.data import (
    MAX_FILE_BYTES,
    ImageLoadError,
    iter_image_paths,
    iter_loaded_images,
    load_image,
    load_images,
)

RED, GREEN, BLUE = (255, 0, 0), (0, 255, 0), (0, 0, 255)


def rgb_image(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def save(image: Image.Image, path: Path, **kwargs) -> Path:
    image.save(path, **kwargs)
    return path


def png_with_claimed_size(path: Path, width: int, height: int) -> Path:
    """A real 8x8 PNG whose IHDR is patched to claim ``width`` x ``height``."""
    save(Image.new("L", (8, 8)), path)
    data = bytearray(path.read_bytes())
    # signature (8) + IHDR length (4) + b"IHDR" (4), then width, height; CRC covers type + 13 data bytes
    struct.pack_into(">II", data, 16, width, height)
    struct.pack_into(">I", data, 29, zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


def reason_for(path: Path, channels: int = 1, size: tuple[int, int] = (8, 8)) -> str:
    with pytest.raises(ImageLoadError) as info:
        load_image(path, channels, size)
    assert info.value.path == path
    assert str(info.value) == f"{path.name}: {info.value.reason}"
    assert "\n" not in info.value.reason
    return info.value.reason


# --- good files ---------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".webp", ".bmp", ".gif"])
@pytest.mark.parametrize("channels", [1, 3])
def test_every_supported_format_loads_with_model_shape(tmp_path, suffix, channels):
    path = save(rgb_image(40, 30), tmp_path / f"photo{suffix}")
    pixels = load_image(path, channels, (12, 16))
    assert pixels.shape == (channels, 12, 16)
    assert pixels.dtype == np.uint8
    assert pixels.flags.c_contiguous
    assert 0 <= pixels.min() < pixels.max() <= 255


@pytest.mark.parametrize(
    ("size", "thirds"),
    [((100, 300), "horizontal"), ((300, 100), "vertical")],
)
def test_centre_crop_keeps_the_middle(tmp_path, size, thirds):
    height, width = size
    image = np.zeros((height, width, 3), np.uint8)
    if thirds == "horizontal":  # wide image: left red, middle green, right blue
        image[:, :100], image[:, 100:200], image[:, 200:] = RED, GREEN, BLUE
    else:  # tall image: top red, middle green, bottom blue
        image[:100], image[100:200], image[200:] = RED, GREEN, BLUE
    path = save(Image.fromarray(image), tmp_path / "thirds.png")
    pixels = load_image(path, 3, (16, 16))
    assert (pixels[0] == 0).all() and (pixels[1] == 255).all() and (pixels[2] == 0).all()


def test_grayscale_file_becomes_rgb_by_repeating_the_level(tmp_path):
    path = save(Image.new("L", (10, 10), 77), tmp_path / "grey.png")
    assert (load_image(path, 3, (8, 8)) == 77).all()


def test_rgb_file_becomes_grey_with_pillow_luminance(tmp_path):
    path = save(Image.new("RGB", (10, 10), RED), tmp_path / "red.png")
    expected = Image.new("RGB", (1, 1), RED).convert("L").getpixel((0, 0))
    assert expected == 76
    assert (load_image(path, 1, (8, 8)) == expected).all()


@pytest.mark.parametrize("background", [0, 128])
def test_rgba_is_composited_over_the_background(tmp_path, background):
    rgba = np.zeros((8, 8, 4), np.uint8)
    rgba[:, :4] = (255, 255, 255, 0)  # transparent white on the left
    rgba[:, 4:] = (255, 255, 255, 255)  # opaque white on the right
    path = save(Image.fromarray(rgba), tmp_path / "alpha.png")
    pixels = load_image(path, 1, (8, 8), background=background)
    assert (pixels[:, :, :4] == background).all()
    assert (pixels[:, :, 4:] == 255).all()


def test_grey_with_alpha_is_composited(tmp_path):
    la = Image.merge("LA", [Image.new("L", (8, 8), 200), Image.new("L", (8, 8), 0)])
    path = save(la, tmp_path / "la.png")
    assert Image.open(path).mode == "LA"
    assert (load_image(path, 3, (8, 8)) == 0).all()


def test_palette_png_with_transparent_index(tmp_path):
    palette = Image.new("P", (8, 8), 1)
    palette.putpalette([0, 0, 0, *GREEN] + [0] * (256 - 2) * 3)
    palette.paste(0, (0, 0, 8, 4))  # top half: index 0, made transparent
    path = save(palette, tmp_path / "palette.png", transparency=0)
    assert Image.open(path).mode == "P"
    pixels = load_image(path, 3, (8, 8), background=50)
    assert (pixels[:, :4] == 50).all()
    assert (pixels[:, 4:].transpose(1, 2, 0) == GREEN).all()


def test_16_bit_png_is_scaled_not_clipped(tmp_path):
    deep = np.full((8, 8), 65535, np.uint16)
    deep[:, 4:] = 257 * 100
    path = save(Image.fromarray(deep), tmp_path / "deep.png")
    assert Image.open(path).mode.startswith("I")
    pixels = load_image(path, 1, (8, 8))
    assert (pixels[:, :, :4] == 255).all()
    assert (pixels[:, :, 4:] == 100).all()


def test_cmyk_jpeg_becomes_rgb(tmp_path):
    path = save(Image.new("CMYK", (16, 16), (0, 255, 255, 0)), tmp_path / "cmyk.jpg")
    assert Image.open(path).mode == "CMYK"
    red, green, blue = load_image(path, 3, (8, 8)).reshape(3, -1).mean(axis=1)
    assert red > 200 and green < 60 and blue < 60


def test_animated_gif_uses_its_first_frame(tmp_path):
    first, second = Image.new("RGB", (8, 8), RED), Image.new("RGB", (8, 8), BLUE)
    path = save(first, tmp_path / "anim.gif", save_all=True, append_images=[second], duration=100)
    assert Image.open(path).n_frames == 2
    pixels = load_image(path, 3, (8, 8))
    assert (pixels.transpose(1, 2, 0) == RED).all()


def test_exif_orientation_is_applied(tmp_path):
    image = Image.new("RGB", (40, 20), RED)
    image.paste(BLUE, (20, 0, 40, 20))  # stored: left red, right blue
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display": left becomes top
    path = save(image, tmp_path / "rotated.jpg", exif=exif, quality=95)
    pixels = load_image(path, 3, (40, 20)).astype(int)
    top, bottom = pixels[:, 2:18].reshape(3, -1).mean(1), pixels[:, 22:38].reshape(3, -1).mean(1)
    assert top[0] > 200 > top[2] and bottom[2] > 200 > bottom[0]


# --- bad files --------------------------------------------------------------


def test_missing_file(tmp_path):
    assert reason_for(tmp_path / "nope.png") == "no such file"


def test_directory(tmp_path):
    assert "folder" in reason_for(tmp_path)


def test_zero_byte_file(tmp_path):
    path = tmp_path / "empty.png"
    path.touch()
    assert "empty" in reason_for(path)


@pytest.mark.parametrize("suffix", [".png", ".jpg"])
def test_truncated_file(tmp_path, suffix):
    data = save(rgb_image(64, 64), tmp_path / f"whole{suffix}").read_bytes()
    path = tmp_path / f"half{suffix}"
    path.write_bytes(data[: len(data) // 2])
    assert "truncated" in reason_for(path)


def test_text_renamed_png(tmp_path):
    path = tmp_path / "notes.png"
    path.write_text("these are my notes, not a picture\n")
    assert "not a recognised image" in reason_for(path)


def test_unsupported_format(tmp_path):
    path = save(rgb_image(16, 16), tmp_path / "scan.tiff")
    assert "unsupported image format TIFF" in reason_for(path)


def test_decompression_bomb_header_checked_before_decoding(tmp_path):
    path = png_with_claimed_size(tmp_path / "big.png", 9000, 8000)  # 72 Mpx
    assert reason_for(path) == "image is 9000 x 8000 pixels, over the limit of 64 megapixels"


def test_huge_decompression_bomb_refused_by_pillow(tmp_path):
    path = png_with_claimed_size(tmp_path / "bomb.png", 20000, 20000)  # 400 Mpx
    assert "over the limit of 64 megapixels" in reason_for(path)


def test_file_over_byte_limit(tmp_path):
    path = tmp_path / "huge.png"
    with path.open("wb") as f:
        f.truncate(MAX_FILE_BYTES + 2**20)  # sparse: takes no disk space
    assert reason_for(path) == "file is 257 MB, over the limit of 256 MB"


def test_image_too_small(tmp_path):
    path = save(Image.new("RGB", (2, 2)), tmp_path / "tiny.png")
    assert "2 x 2 pixels" in reason_for(path)


def test_permission_denied(tmp_path, monkeypatch):
    # Tests may run as root, where chmod 000 does not stop reads, so fake the refusal.
    path = save(rgb_image(8, 8), tmp_path / "locked.png")

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(images_module.Image, "open", refuse)
    assert reason_for(path) == "permission denied"


def test_bad_arguments_are_programming_errors(tmp_path):
    path = save(rgb_image(8, 8), tmp_path / "ok.png")
    for channels, size in [(2, (8, 8)), (1, (0, 8)), (1, (8,))]:
        with pytest.raises(ValueError):
            load_image(path, channels, size)


# --- sets of files ----------------------------------------------------------


def test_iter_image_paths_expands_folders(tmp_path):
    (tmp_path / "set" / "sub").mkdir(parents=True)
    (tmp_path / "set" / ".git").mkdir()
    for name in ["b.png", "a.JPG", "notes.txt", ".hidden.png", "sub/c.webp", ".git/d.png", "sub/scan.TIF"]:
        (tmp_path / "set" / name).write_bytes(b"x")
    (tmp_path / "empty").mkdir()
    explicit = tmp_path / "set" / "notes.txt"

    files, problems = iter_image_paths(
        [tmp_path / "set", explicit, tmp_path / "set" / "b.png", tmp_path / "empty", tmp_path / "gone"]
    )
    names = [str(f.relative_to(tmp_path / "set")) for f in files]
    assert names == ["a.JPG", "b.png", "sub/c.webp", "notes.txt"]
    assert [(p.name, r.split(" (")[0]) for p, r in problems] == [
        ("scan.TIF", "unsupported image format TIFF"),  # every file a scan leaves out says why
        ("empty", "folder has no images"),
        ("gone", "no such file or folder"),
    ]
    _, problems = iter_image_paths(tmp_path / "set")
    assert [(p.name, r.split(" (")[0]) for p, r in problems] == [
        ("notes.txt", "not an image file"), ("scan.TIF", "unsupported image format TIFF")]
    assert iter_image_paths(str(tmp_path / "set" / "b.png")) == ([tmp_path / "set" / "b.png"], [])


@pytest.fixture
def mixed_set(tmp_path):
    """A folder of 3 good images and 4 bad files, plus an empty folder and a missing path."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    good = [save(rgb_image(20, 20, seed), folder / f"good{seed}.png") for seed in range(3)]
    (folder / "empty.png").touch()
    (folder / "text.png").write_text("hello")
    save(Image.new("L", (3, 3)), folder / "tiny.png")
    data = save(rgb_image(32, 32), tmp_path / "whole.jpg").read_bytes()
    (folder / "truncated.jpg").write_bytes(data[: len(data) // 2])
    (tmp_path / "nothing").mkdir()
    return [folder, tmp_path / "nothing", tmp_path / "missing"], good


def test_load_images_keeps_good_files_and_reports_bad_ones(mixed_set):
    paths, good = mixed_set
    seen = []
    result = load_images(paths, 3, (8, 8), on_error=lambda path, reason: seen.append(path.name))
    assert result.images.shape == (3, 3, 8, 8) and result.images.dtype == np.uint8
    assert result.paths == good
    for image, path in zip(result.images, result.paths):
        assert (image == load_image(path, 3, (8, 8))).all()
    reasons = {path.name: reason for path, reason in result.errors}
    assert "empty" in reasons["empty.png"]
    assert "not a recognised image" in reasons["text.png"]
    assert "too small" in reasons["tiny.png"]
    assert "truncated" in reasons["truncated.jpg"]
    assert "no images" in reasons["nothing"]
    assert "no such file" in reasons["missing"]
    assert sorted(seen) == sorted(reasons)


def test_load_images_with_nothing_loadable_gives_an_empty_batch(tmp_path):
    result = load_images([tmp_path / "missing"], 1, (28, 28))
    assert result.images.shape == (0, 1, 28, 28) and result.images.dtype == np.uint8
    assert result.paths == [] and len(result.errors) == 1


def test_iter_loaded_images_streams_batches(mixed_set, tmp_path):
    paths, good = mixed_set
    more = [save(rgb_image(20, 20, seed), tmp_path / f"more{seed}.png") for seed in range(3, 5)]
    batches = list(iter_loaded_images([*paths, *more], 1, (8, 8), batch_size=2))
    assert [len(b.images) for b in batches] == [2, 2, 1]
    assert all(len(b.images) == len(b.paths) for b in batches)
    assert [p for b in batches for p in b.paths] == good + more
    assert sum(len(b.errors) for b in batches) == 6
    whole = load_images([*paths, *more], 1, (8, 8))
    assert (np.concatenate([b.images for b in batches]) == whole.images).all()


def test_32_bit_and_float_modes_are_kept_in_range_or_stretched():
    # No supported format decodes to "I" or "F" in current Pillow, so test the scaling directly.
    in_range = Image.fromarray(np.array([[0, 100], [200, 255]], np.int32))
    assert images_module._to_8bit(in_range).tolist() == [[0, 100], [200, 255]]
    stretched = Image.fromarray(np.array([[-1.0, 0.0], [0.5, 1.0]], np.float32))
    assert images_module._to_8bit(stretched).tolist() == [[0, 128], [191, 255]]
