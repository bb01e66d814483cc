"""Property tests of the image loader: whatever the bytes, an image of the asked shape or one clear ImageLoadError."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from flowstudio.data.images import ImageLoadError, load_image

FORMATS = ["PNG", "JPEG", "BMP", "GIF", "WEBP", "TIFF"]
MODES = ["L", "RGB", "RGBA", "P", "LA", "I;16", "1", "CMYK"]


@st.composite
def image_files(draw):
    """A real image in some format and mode, possibly cut short or with bytes flipped."""
    mode, fmt = draw(st.sampled_from(MODES)), draw(st.sampled_from(FORMATS))
    w, h = draw(st.integers(1, 48)), draw(st.integers(1, 48))
    seed = draw(st.integers(0, 2**16))
    pixels = np.random.default_rng(seed).integers(0, 256, (h, w, 4), dtype=np.uint8)
    image = Image.fromarray(pixels, "RGBA").convert(mode)
    buf = io.BytesIO()
    try:
        image.save(buf, format=fmt)
    except (OSError, ValueError, KeyError):  # this format cannot hold this mode: save it as PNG
        buf = io.BytesIO()
        image.convert("RGBA").save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    damage = draw(st.sampled_from(["none", "truncate", "flip", "garbage"]))
    if damage == "truncate":
        data = data[:draw(st.integers(0, max(0, len(data) - 1)))]
    elif damage == "flip" and data:
        for index in draw(st.lists(st.integers(0, len(data) - 1), min_size=1, max_size=8)):
            data[index] ^= 0xFF
    elif damage == "garbage":
        data = bytearray(draw(st.binary(max_size=256)))
    return bytes(data)


@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow warns about the corrupt EXIF it is fed here
@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=image_files(), channels=st.sampled_from([1, 3]), side=st.sampled_from([(8, 8), (28, 28), (32, 16)]))
def test_any_file_loads_to_the_asked_shape_or_gives_one_clear_reason(tmp_path_factory, data, channels, side):
    path = tmp_path_factory.mktemp("img") / "file.png"
    path.write_bytes(data)
    try:
        image = load_image(path, channels, side)
    except ImageLoadError as exc:
        assert exc.reason and "\n" not in exc.reason and str(exc).startswith("file.png: ")
        return
    assert image.dtype == np.uint8 and image.shape == (channels, *side)
