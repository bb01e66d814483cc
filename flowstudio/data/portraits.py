"""Synthetic colour portraits: a seeded, CelebA-like data set with known attributes.

The Transflow paper's CelebA experiments (classifying attributes such as red
hair or glasses from a flow's latents; telling in-distribution faces from
greyscale or occluded ones) need faces with *known* attributes.  This module
draws them: small cartoon portraits, uint8 ``[N, 3, 32, 32]``, each with a
:class:`PortraitAttributes` record of exactly what was drawn.

Attributes
----------
* ``skin``: index into :data:`SKIN_TONES` (light to dark);
* ``hair_colour``: index into :data:`HAIR_COLOURS` (black, dark brown, brown,
  blonde, red, grey);
* ``hair_style``: one of :data:`HAIR_STYLES` (short, long, curly, bun, bald);
* ``glasses``: bool (two dark rings and a bridge over the eyes);
* ``mouth``: one of :data:`MOUTHS` (neutral, smile, open);
* ``background``: index into :data:`BACKGROUNDS` (soft plain colours);
* ``clothing``: index into :data:`CLOTHING` (the shirt on the shoulders);
* continuous per-image jitter: face position (``face_dx``, ``face_dy``, about
  +-1.5 px), ``face_size``, ``face_width``, ``eye_spacing``, ``gaze`` and
  shades of skin, hair and background, so that no two portraits are alike;
* out-of-distribution variants, off unless asked for: ``occlusion`` (None,
  ``"solid"``: a band of one colour over the eyes, or ``"noise"``: the same
  band filled with uniform random noise) and ``greyscale`` (luminance,
  replicated to the three channels).

Palette attributes can be given by name everywhere (``hair_colour="red"``);
they are stored as indices, and :func:`attribute_labels` turns a list of
records into label arrays for classification experiments.

Determinism
-----------
:func:`generate_portraits` draws image ``i`` from its own generator,
``numpy.random.default_rng([seed, i])``: first its attributes (a fixed number
of draws, whatever is fixed by keyword, so fixing one attribute leaves the
others as they were), then anything random in the drawing (occlusion noise).
The same ``(n, seed, fixed)`` therefore gives byte-identical images on every
run, and image ``i`` does not depend on ``n``: the first 100 portraits of a
60,000 set are the 100 of a 100 set.

Licence
-------
The portraits are synthetic, drawn by Flow Studio from geometric shapes; no
photograph or third-party data set is involved.  They carry no licence
restrictions, and neither does a model trained only on them (such as the one
Flow Studio bundles).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image, ImageDraw

SIZE = 32
"""Side of a portrait in pixels."""

_SUPERSAMPLE = 4  # drawn at 128 x 128, then box-reduced to 32 x 32: smooth edges

SKIN_TONES = ("pale", "fair", "light", "olive", "brown", "dark")
HAIR_COLOURS = ("black", "dark_brown", "brown", "blonde", "red", "grey")
HAIR_STYLES = ("short", "long", "curly", "bun", "bald")
MOUTHS = ("neutral", "smile", "open")
BACKGROUNDS = ("sky", "mint", "lavender", "peach", "cream", "silver")
CLOTHING = ("navy", "maroon", "forest", "charcoal", "white", "mustard", "teal")
OCCLUSIONS = (None, "solid", "noise")

_SKIN_RGB = ((255, 226, 204), (243, 200, 166), (226, 176, 134), (196, 140, 96), (145, 95, 62), (96, 62, 44))
_HAIR_RGB = ((30, 26, 26), (72, 46, 30), (126, 84, 46), (228, 194, 122), (200, 72, 26), (172, 172, 176))
_BACKGROUND_RGB = ((178, 208, 236), (184, 228, 204), (210, 196, 236), (250, 212, 190), (244, 236, 196),
                   (214, 214, 220))
_CLOTHING_RGB = ((40, 56, 104), (122, 36, 48), (40, 98, 62), (72, 72, 78), (236, 236, 236), (212, 166, 50),
                 (30, 122, 128))

FREQUENCIES: dict[str, Any] = {
    "skin": (0.2, 0.2, 0.18, 0.16, 0.14, 0.12),
    "hair_colour": (0.28, 0.24, 0.18, 0.12, 0.12, 0.06),
    "hair_style": (0.36, 0.28, 0.14, 0.12, 0.10),
    "glasses": 0.2,
    "mouth": (0.4, 0.45, 0.15),
}
"""How often :func:`sample_attributes` draws each value (in the order of the name lists)."""

_PALETTES = {"skin": SKIN_TONES, "hair_colour": HAIR_COLOURS, "background": BACKGROUNDS, "clothing": CLOTHING}
_CHOICES = {"hair_style": HAIR_STYLES, "mouth": MOUTHS, "occlusion": OCCLUSIONS}
_ALIASES = {"ginger": "red", "auburn": "red", "gray": "grey", "blond": "blonde"}
_CDF = {k: np.cumsum(v) / np.sum(v) for k, v in FREQUENCIES.items() if not isinstance(v, float)}


def _key(name: str) -> str:
    k = name.strip().lower().replace("-", "_").replace(" ", "_")
    return _ALIASES.get(k, k)


def _palette_index(field: str, value: Any) -> int:
    names = _PALETTES[field]
    if isinstance(value, str):
        key = _key(value)
        if key not in names:
            raise ValueError(f"{field} must be one of {', '.join(names)} (or its index), got {value!r}")
        return names.index(key)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) \
            or not 0 <= value < len(names):
        raise ValueError(f"{field} must be one of {', '.join(names)} or an index 0..{len(names) - 1}, got {value!r}")
    return int(value)


@dataclass(frozen=True)
class PortraitAttributes:
    """What one portrait shows.  Palette fields accept names and are stored as indices."""

    skin: int = 2
    hair_colour: int = 2
    hair_style: str = "short"
    glasses: bool = False
    mouth: str = "neutral"
    background: int = 0
    clothing: int = 0
    face_dx: float = 0.0       # px, about -1.5..1.5
    face_dy: float = 0.0       # px, about -1.5..1.5
    face_size: float = 1.0     # head height factor, about 0.92..1.08
    face_width: float = 1.0    # head width / height factor, about 0.88..1.08
    eye_spacing: float = 1.0   # about 0.85..1.15
    gaze: float = 0.0          # pupil shift in px, about -0.35..0.35
    skin_shade: float = 1.0    # brightness factors ("slight colour jitter")
    hair_shade: float = 1.0
    background_shade: float = 1.0
    occlusion: str | None = None
    greyscale: bool = False

    def __post_init__(self):
        for field in _PALETTES:
            object.__setattr__(self, field, _palette_index(field, getattr(self, field)))
        for field, names in _CHOICES.items():
            value = getattr(self, field)
            key = _key(value) if isinstance(value, str) else value
            if key not in names:
                raise ValueError(f"{field} must be one of {', '.join(map(str, names))}, got {value!r}")
            object.__setattr__(self, field, key)
        for field in ("glasses", "greyscale"):
            object.__setattr__(self, field, bool(getattr(self, field)))
        for field in ("face_dx", "face_dy", "face_size", "face_width", "eye_spacing", "gaze", "skin_shade",
                      "hair_shade", "background_shade"):
            object.__setattr__(self, field, float(getattr(self, field)))

    @property
    def skin_name(self) -> str:
        return SKIN_TONES[self.skin]

    @property
    def hair_colour_name(self) -> str:
        return HAIR_COLOURS[self.hair_colour]

    @property
    def background_name(self) -> str:
        return BACKGROUNDS[self.background]

    @property
    def clothing_name(self) -> str:
        return CLOTHING[self.clothing]


ATTRIBUTE_NAMES = tuple(f.name for f in dataclasses.fields(PortraitAttributes))


# --- sampling -----------------------------------------------------------------------------------------------------

_N_DRAWS = 16  # uniforms drawn per portrait, always all of them: fixing one attribute leaves the others unchanged


def _check_fixed(fixed: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(fixed) - set(ATTRIBUTE_NAMES))
    if unknown:
        raise TypeError(f"unknown portrait attribute(s) {', '.join(unknown)}; known: {', '.join(ATTRIBUTE_NAMES)}")
    dataclasses.replace(PortraitAttributes(), **fixed)  # validates the values once, with a clear message
    return fixed


def _sample_one(rng: np.random.Generator, fixed: dict[str, Any]) -> PortraitAttributes:
    u = rng.random(_N_DRAWS)

    def pick(i: int, field: str) -> int:
        return int(np.searchsorted(_CDF[field], u[i], side="right"))

    values = {
        "skin": pick(0, "skin"),
        "hair_colour": pick(1, "hair_colour"),
        "hair_style": HAIR_STYLES[pick(2, "hair_style")],
        "glasses": bool(u[3] < FREQUENCIES["glasses"]),
        "mouth": MOUTHS[pick(4, "mouth")],
        "background": min(int(u[5] * len(BACKGROUNDS)), len(BACKGROUNDS) - 1),
        "clothing": min(int(u[6] * len(CLOTHING)), len(CLOTHING) - 1),
        "face_dx": 3.0 * u[7] - 1.5,
        "face_dy": 3.0 * u[8] - 1.5,
        "face_size": 0.92 + 0.16 * u[9],
        "face_width": 0.88 + 0.2 * u[10],
        "eye_spacing": 0.85 + 0.3 * u[11],
        "gaze": 0.7 * u[12] - 0.35,
        "skin_shade": 0.93 + 0.14 * u[13],
        "hair_shade": 0.86 + 0.28 * u[14],
        "background_shade": 0.95 + 0.1 * u[15],
    }
    values.update(fixed)
    return PortraitAttributes(**values)


def _check_n_seed(n: int, seed: int):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative int, got {n!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative int, got {seed!r}")


def portrait_rng(seed: int, index: int) -> np.random.Generator:
    """The generator portrait ``index`` of a set with ``seed`` is drawn from (attributes first, then drawing)."""
    return np.random.default_rng([int(seed), int(index)])


def sample_attributes(n: int, seed: int = 0, **fixed: Any) -> list[PortraitAttributes]:
    """Random attributes of portraits ``0..n-1`` (exactly those :func:`generate_portraits` draws).

    Frequencies follow :data:`FREQUENCIES` (glasses 20 %, red hair 12 %, ...);
    ``occlusion`` is None and ``greyscale`` False unless fixed.  Any keyword
    fixes that attribute for all, e.g. ``hair_colour="red"``, ``glasses=True``,
    ``occlusion="noise"``, ``greyscale=True``.
    """
    _check_n_seed(n, seed)
    _check_fixed(fixed)
    return [_sample_one(portrait_rng(seed, i), fixed) for i in range(n)]


def generate_portraits(n: int, seed: int = 0, **fixed: Any) -> tuple[np.ndarray, list[PortraitAttributes]]:
    """``(images, attributes)``: uint8 ``[n, 3, 32, 32]`` portraits and what each shows.

    Deterministic in ``(seed, fixed)``, and image ``i`` does not depend on
    ``n`` (see the module docstring).  Keywords fix attributes as in
    :func:`sample_attributes`.
    """
    _check_n_seed(n, seed)
    _check_fixed(fixed)
    images = np.empty((n, 3, SIZE, SIZE), np.uint8)
    attrs = []
    for i in range(n):
        rng = portrait_rng(seed, i)
        a = _sample_one(rng, fixed)
        images[i] = render_portrait(a, rng)
        attrs.append(a)
    return images, attrs


def attribute_labels(attrs_list: Sequence[PortraitAttributes], name: str) -> np.ndarray:
    """One attribute of every record as an array, for classification experiments.

    Palette and choice attributes give int64 indices into their name lists
    (``occlusion`` into :data:`OCCLUSIONS`), booleans give int64 0/1 and jitter
    fields float64.  ``"field=value"`` (e.g. ``"hair_colour=red"``) gives
    int64 0/1: whether each record has that value.
    """
    if "=" in name:
        field, value = (part.strip() for part in name.split("=", 1))
        if field in ("glasses", "greyscale"):
            if value.lower() not in ("true", "false", "1", "0"):
                raise ValueError(f"{field} is true or false, got {value!r}")
            target: Any = value.lower() in ("true", "1")
        elif field in _PALETTES or field in _CHOICES:
            target = getattr(PortraitAttributes(**{field: None if value.lower() == "none" else value}), field)
        else:
            raise ValueError(f"'field=value' labels need a categorical attribute, got {field!r}")
        return np.array([getattr(a, field) == target for a in attrs_list], np.int64)
    if name not in ATTRIBUTE_NAMES:
        raise ValueError(f"unknown portrait attribute {name!r}; known: {', '.join(ATTRIBUTE_NAMES)}")
    values = [getattr(a, name) for a in attrs_list]
    if name in _CHOICES:
        return np.array([_CHOICES[name].index(v) for v in values], np.int64)
    if name in _PALETTES or name in ("glasses", "greyscale"):
        return np.array(values, np.int64)
    return np.array(values, np.float64)


# --- drawing ------------------------------------------------------------------------------------------------------

def _shade(rgb: Sequence[int], factor: float) -> tuple[int, int, int]:
    return tuple(int(min(255, max(0, round(c * factor)))) for c in rgb)


def _mix(a: Sequence[int], b: Sequence[int], t: float) -> tuple[int, int, int]:
    return tuple(int(round((1 - t) * x + t * y)) for x, y in zip(a, b))


@dataclass(frozen=True)
class _Geometry:
    cx: float   # head centre, px in the 32 x 32 frame
    cy: float
    rx: float   # head half-width and half-height
    ry: float
    ey: float   # eye line
    ex: float   # eye offset from cx


def _geometry(a: PortraitAttributes) -> _Geometry:
    ry = 8.6 * a.face_size
    rx = 7.4 * a.face_size * a.face_width
    cx, cy = 16.0 + a.face_dx, 14.6 + a.face_dy
    return _Geometry(cx, cy, rx, ry, cy + 0.02 * ry, 0.4 * rx * a.eye_spacing)


def occlusion_box(attrs: PortraitAttributes) -> tuple[int, int, int, int]:
    """``(y0, y1, x0, x1)``: the band over the eyes that ``occlusion`` covers (pixel rows/columns, end exclusive)."""
    g = _geometry(attrs)
    y0 = max(0, int(round(g.ey - 3.0)))
    x0, x1 = max(0, int(np.floor(g.cx - g.rx - 2.0))), min(SIZE, int(np.ceil(g.cx + g.rx + 2.0)))
    return y0, min(SIZE, y0 + 6), x0, x1


def render_portrait(attrs: PortraitAttributes, rng: np.random.Generator | None = None) -> np.ndarray:
    """Draw one portrait: uint8 ``[3, 32, 32]``.

    Drawn with Pillow at 4x (128 x 128) and box-reduced, for smooth edges.
    ``rng`` supplies what is random in the drawing itself (the occlusion's
    colour or noise); it is only needed for occluded portraits.
    """
    a = attrs
    s = float(_SUPERSAMPLE)
    g = _geometry(a)
    cx, cy, rx, ry = g.cx, g.cy, g.rx, g.ry

    skin = _shade(_SKIN_RGB[a.skin], a.skin_shade)
    skin_dark = _shade(_mix(skin, (150, 70, 50), 0.15), 0.84)  # warm shadow
    hair = _shade(_HAIR_RGB[a.hair_colour], a.hair_shade)
    hair_dark = _shade(hair, 0.7)
    light_hair = HAIR_COLOURS[a.hair_colour] in ("blonde", "grey")
    brow = _mix(hair, (40, 30, 25), 0.45) if light_hair else _shade(hair, 0.8)  # light hair: darker brows
    bg = _shade(_BACKGROUND_RGB[a.background], a.background_shade)
    shirt = _CLOTHING_RGB[a.clothing]

    im = Image.new("RGB", (SIZE * _SUPERSAMPLE, SIZE * _SUPERSAMPLE), bg)
    d = ImageDraw.Draw(im)

    def box(x: float, y: float, hx: float, hy: float) -> tuple[float, float, float, float]:
        return (s * (x - hx), s * (y - hy), s * (x + hx), s * (y + hy))

    def ellipse(x, y, hx, hy, fill=None, outline=None, width=0):
        d.ellipse(box(x, y, hx, hy), fill=fill, outline=outline, width=int(round(width * s)))

    def pts(*xy: float) -> list[tuple[float, float]]:
        return [(s * xy[i], s * xy[i + 1]) for i in range(0, len(xy), 2)]

    style = a.hair_style
    # Hair behind the head.
    if style == "long":
        top = cy - 0.15 * ry
        ellipse(cx, top, rx + 2.0, ry * 0.9 + 1.4, fill=hair)
        d.rectangle((s * (cx - rx - 2.0), s * top, s * (cx + rx + 2.0), s * (cy + ry + 3.5)), fill=hair)
        ellipse(cx, cy + ry + 3.5, rx + 2.0, 1.5, fill=hair)
    elif style == "curly":
        ellipse(cx, cy - 0.2 * ry, rx + 2.4, ry * 0.9 + 1.8, fill=hair)
        for t in np.linspace(np.pi * 0.95, np.pi * 2.05, 9):
            ellipse(cx + (rx + 2.2) * np.cos(t), cy - 0.2 * ry + (ry * 0.9 + 1.6) * np.sin(t), 1.9, 1.9, fill=hair)
    elif style == "bun":
        ellipse(cx, cy - ry - 0.6, 3.2, 2.6, fill=hair)
        ellipse(cx, cy - ry - 0.6, 3.2, 2.6, outline=hair_dark, width=0.3)
    elif style == "short":
        d.chord(box(cx, cy, rx + 0.9, ry + 1.0), 165, 375, fill=hair)
    # Neck and shoulders.
    neck_w = 0.42 * rx
    d.rectangle((s * (cx - neck_w), s * (cy + 0.5 * ry), s * (cx + neck_w), s * (SIZE - 3.0)), fill=skin_dark)
    sx = 16.0 + 0.5 * a.face_dx
    shirt_top = cy + ry + 1.8
    ellipse(sx, shirt_top + 7.0, 13.5, 7.0, fill=shirt)
    d.pieslice(box(cx, shirt_top - 0.3, neck_w + 0.2, 2.4), 0, 180, fill=skin_dark)  # neckline
    # Ears (hidden by long hair), then the head.
    if style != "long":
        for side in (-1, 1):
            ellipse(cx + side * rx * 0.98, g.ey + 0.6, 1.3, 1.8, fill=skin_dark)
    ellipse(cx, cy, rx, ry, fill=skin)
    # Hair in front: a cap over the forehead (and fringe strands for long hair).
    if style in ("short", "long", "curly"):
        d.chord(box(cx, cy, rx + 0.3, ry + 0.6), 198, 342, fill=hair)  # forehead line ~0.35 ry above the eyes
        d.pieslice(box(cx - 0.2 * rx, cy - 0.45 * ry, 0.7 * rx, 0.4 * ry), 180, 300, fill=hair)  # side part
        if style == "long":
            for side in (-1, 1):
                d.polygon(pts(cx + side * (rx + 0.4), cy - 0.5 * ry, cx + side * (rx - 1.3), cy - 0.1 * ry,
                              cx + side * (rx - 0.6), cy + 0.5 * ry, cx + side * (rx + 0.6), cy + 0.4 * ry),
                          fill=hair)
        if style == "curly":
            for t in np.linspace(np.pi * 1.12, np.pi * 1.88, 5):
                ellipse(cx + rx * 0.9 * np.cos(t), cy - 0.35 * ry + 0.55 * ry * np.sin(t), 1.6, 1.4, fill=hair)
    elif style == "bun":
        d.chord(box(cx, cy, rx + 0.5, ry + 0.7), 188, 352, fill=hair)  # hair pulled back: thin cap
    else:  # bald: a little hair above the ears, and a sheen
        for side in (-1, 1):
            ellipse(cx + side * (rx - 0.3), g.ey - 1.0, 0.9, 2.0, fill=hair)
        ellipse(cx - 0.25 * rx, cy - 0.7 * ry, 1.8, 0.8, fill=_mix(skin, (255, 255, 255), 0.3))
    # Eyebrows, eyes, nose, mouth.
    ey = g.ey
    for side in (-1, 1):
        x = cx + side * g.ex
        d.line(pts(x - 1.3 * side, ey - 1.9, x + 1.2 * side, ey - 2.3), fill=brow, width=int(0.8 * s))
        ellipse(x, ey, 1.35, 1.0, fill=(250, 250, 250))
        ellipse(x + a.gaze, ey + 0.05, 0.8, 0.85, fill=(28, 22, 20))
    d.line(pts(cx + 0.1, ey + 1.8, cx + 0.7, ey + 3.6, cx - 0.3, ey + 3.9), fill=skin_dark, width=int(0.6 * s))
    my = cy + 0.58 * ry
    lip = _mix(_shade(skin, 0.6), (120, 20, 35), 0.5)
    if a.mouth == "neutral":
        d.line(pts(cx - 2.0, my, cx + 2.0, my), fill=lip, width=int(0.9 * s))
    elif a.mouth == "smile":
        d.arc(box(cx, my - 1.2, 2.7, 2.0), 15, 165, fill=lip, width=int(0.9 * s))
    else:
        ellipse(cx, my + 0.2, 1.6, 1.2, fill=(110, 30, 36))
        ellipse(cx, my + 0.2, 1.6, 1.2, outline=lip, width=0.4)
    if a.glasses:
        frame = (22, 22, 28)
        for side in (-1, 1):
            x = cx + side * g.ex
            ellipse(x, ey, 2.5, 2.1, outline=frame, width=0.8)
            d.line(pts(x + side * 2.4, ey - 0.4, cx + side * rx * 0.98, ey - 0.8), fill=frame, width=int(0.6 * s))
        d.line(pts(cx - g.ex + 2.4, ey - 0.3, cx + g.ex - 2.4, ey - 0.3), fill=frame, width=int(0.6 * s))

    out = np.asarray(im.reduce(_SUPERSAMPLE)).transpose(2, 0, 1).copy()
    if a.occlusion is not None:
        if rng is None:
            raise ValueError("an occluded portrait needs an rng for its colour or noise")
        y0, y1, x0, x1 = occlusion_box(a)
        if a.occlusion == "solid":
            out[:, y0:y1, x0:x1] = rng.integers(0, 256, size=3, dtype=np.uint8)[:, None, None]
        else:
            out[:, y0:y1, x0:x1] = rng.integers(0, 256, size=(3, y1 - y0, x1 - x0), dtype=np.uint8)
    if a.greyscale:
        lum = 0.299 * out[0] + 0.587 * out[1] + 0.114 * out[2]
        out[:] = np.clip(np.rint(lum), 0, 255).astype(np.uint8)
    return out
