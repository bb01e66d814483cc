"""Tests for the synthetic portraits: determinism, attributes honoured, OOD variants, frequencies, variety."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from flowstudio.data import (
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
from flowstudio.data.portraits import FREQUENCIES, occlusion_box, portrait_rng


def render(attrs, seed=0):
    return render_portrait(attrs, np.random.default_rng(seed)).astype(np.int32)


def test_shapes_and_dtype():
    images, attrs = generate_portraits(6, seed=1)
    assert images.shape == (6, 3, 32, 32) and images.dtype == np.uint8
    assert len(attrs) == 6 and all(isinstance(a, PortraitAttributes) for a in attrs)
    assert images.std() > 20  # not blank
    empty, none = generate_portraits(0)
    assert empty.shape == (0, 3, 32, 32) and none == []


def test_deterministic_and_independent_of_n():
    a, attrs_a = generate_portraits(40, seed=7)
    b, attrs_b = generate_portraits(40, seed=7)
    assert a.tobytes() == b.tobytes() and attrs_a == attrs_b
    first, first_attrs = generate_portraits(5, seed=7)
    assert first.tobytes() == a[:5].tobytes() and first_attrs == attrs_a[:5]
    assert sample_attributes(40, seed=7) == attrs_a
    other, _ = generate_portraits(40, seed=8)
    assert all((other[i] != a[i]).any() for i in range(40))
    # Image i is rendered from portrait_rng(seed, i), after its attributes are drawn from it.
    rng = portrait_rng(7, 3)
    rng.random(16)
    assert (render_portrait(attrs_a[3], rng) == a[3]).all()


def test_sampling_is_pinned():
    # numpy's PCG64 streams are stable across versions: changing the sampling order would silently change the data.
    got = [(a.skin, a.hair_colour, a.hair_style, a.glasses, a.mouth, a.background, a.clothing)
           for a in sample_attributes(4, seed=0)]
    assert got == [(3, 0, "short", True, "smile", 5, 4), (5, 2, "bun", False, "neutral", 1, 5),
                   (0, 1, "long", True, "neutral", 1, 0), (5, 4, "short", False, "neutral", 4, 2)]


def test_fixing_an_attribute_leaves_the_others():
    free = sample_attributes(30, seed=3)
    red = sample_attributes(30, seed=3, hair_colour="red", glasses=True)
    assert red == [dataclasses.replace(a, hair_colour=4, glasses=True) for a in free]
    images, attrs = generate_portraits(10, seed=3, hair_style="bald", mouth="open", greyscale=True)
    assert all(a.hair_style == "bald" and a.mouth == "open" and a.greyscale for a in attrs)


def test_names_and_validation():
    a = PortraitAttributes(skin="dark", hair_colour="ginger", background="Mint", hair_style="Curly")
    assert (a.skin, a.hair_colour, a.background, a.hair_style) == (5, 4, 1, "curly")
    assert a.hair_colour_name == "red" and a.skin_name == "dark" and a.background_name == "mint"
    assert PortraitAttributes(hair_colour="dark brown").hair_colour == HAIR_COLOURS.index("dark_brown")
    assert len(SKIN_TONES) == 6 and len(BACKGROUNDS) == 6 and "red" in HAIR_COLOURS
    assert set(MOUTHS) == {"neutral", "smile", "open"} and 4 <= len(HAIR_STYLES) <= 5
    with pytest.raises(ValueError, match="hair_colour must be one of"):
        PortraitAttributes(hair_colour="purple")
    with pytest.raises(ValueError, match="occlusion"):
        PortraitAttributes(occlusion="hat")
    with pytest.raises(ValueError):
        PortraitAttributes(skin=6)
    with pytest.raises(TypeError, match="unknown portrait attribute"):
        generate_portraits(2, hat=True)
    with pytest.raises(ValueError, match="seed"):
        generate_portraits(2, seed=-1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.skin = 0


def hair_mask(a, b):
    return np.abs(a - b).sum(0) > 60


def test_red_hair_is_red():
    images, attrs = generate_portraits(12, seed=5, hair_colour="red")
    for image, a in zip(images, attrs):
        black = render(dataclasses.replace(a, hair_colour="black"))
        mask = hair_mask(image.astype(np.int32), black)
        assert mask.sum() >= 8, a  # every style shows some hair (bald: tufts and eyebrows)
        r, g, b = image[:, mask].mean(1)
        assert r > 1.6 * g and r > 2.5 * b and r > 120, (a, r, g, b)
        assert black[:, mask].mean() < 0.6 * r  # the same pixels are dark with black hair


def test_glasses_add_dark_rings_around_the_eyes():
    for a in sample_attributes(12, seed=2, glasses=False):
        without, with_ = render(a), render(dataclasses.replace(a, glasses=True))
        y0, y1, x0, x1 = occlusion_box(a)  # the eye band
        lum_without, lum_with = without[:, y0:y1, x0:x1].mean(0), with_[:, y0:y1, x0:x1].mean(0)
        ring = (lum_with < lum_without - 15) & (lum_with < 110)  # pixels the dark frames cover
        assert ring.sum() >= 8, a
        assert (lum_with <= lum_without + 5).all()  # glasses only darken
        assert (with_[:, y1 + 2:] == without[:, y1 + 2:]).all()  # nothing changes below the eyes


def test_greyscale():
    grey, attrs = generate_portraits(8, seed=4, greyscale=True)
    assert (grey[:, 0] == grey[:, 1]).all() and (grey[:, 1] == grey[:, 2]).all()
    colour = render_portrait(dataclasses.replace(attrs[0], greyscale=False)).astype(np.float64)
    lum = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
    assert np.abs(grey[0, 0] - lum).max() <= 0.5 + 1e-9
    assert grey.std() > 20


def test_solid_occlusion_is_one_colour_over_the_eyes():
    images, attrs = generate_portraits(10, seed=6, occlusion="solid")
    for image, a in zip(images, attrs):
        y0, y1, x0, x1 = occlusion_box(a)
        assert y1 - y0 >= 5 and x1 - x0 >= 16
        band = image[:, y0:y1, x0:x1]
        assert (band == band[:, :1, :1]).all()
        clean = render_portrait(dataclasses.replace(a, occlusion=None))
        outside = np.ones((32, 32), bool)
        outside[y0:y1, x0:x1] = False
        assert (image[:, outside] == clean[:, outside]).all()


def test_noise_occlusion_is_noisy():
    images, attrs = generate_portraits(10, seed=6, occlusion="noise")
    clean, _ = generate_portraits(10, seed=6)
    for image, clean_image, a in zip(images, clean, attrs):
        y0, y1, x0, x1 = occlusion_box(a)
        band = image[:, y0:y1, x0:x1].astype(np.float64)
        assert band.std() > 60  # uniform noise: ~74
        assert np.abs(np.diff(band, axis=2)).mean() > 60  # neighbours unrelated
        assert clean_image[:, y0:y1, x0:x1].std() < band.std()
    with pytest.raises(ValueError, match="rng"):
        render_portrait(attrs[0])


def test_frequencies():
    attrs = sample_attributes(2000, seed=11)
    assert abs(attribute_labels(attrs, "glasses").mean() - FREQUENCIES["glasses"]) < 0.03
    assert abs(attribute_labels(attrs, "hair_colour=red").mean() - 0.12) < 0.025
    for name in ("skin", "hair_colour", "hair_style", "mouth"):
        counts = np.bincount(attribute_labels(attrs, name), minlength=len(FREQUENCIES[name])) / len(attrs)
        assert np.abs(counts - np.asarray(FREQUENCIES[name]) / sum(FREQUENCIES[name])).max() < 0.035, name
    assert np.bincount(attribute_labels(attrs, "background")).min() > 250  # uniform over 6
    assert all(a.occlusion is None and not a.greyscale for a in attrs)
    dx = attribute_labels(attrs, "face_dx")
    assert dx.dtype == np.float64 and -1.5 <= dx.min() < -1.3 and 1.3 < dx.max() <= 1.5


def test_attribute_labels():
    attrs = [PortraitAttributes(hair_colour="red", mouth="open", glasses=True, occlusion="noise"),
             PortraitAttributes(hair_colour="black")]
    assert attribute_labels(attrs, "hair_colour").tolist() == [4, 0]
    assert attribute_labels(attrs, "mouth").tolist() == [2, 0]
    assert attribute_labels(attrs, "glasses").tolist() == [1, 0]
    assert attribute_labels(attrs, "occlusion").tolist() == [2, 0]
    assert attribute_labels(attrs, "occlusion=none").tolist() == [0, 1]
    assert attribute_labels(attrs, "hair_colour=ginger").tolist() == [1, 0]
    assert attribute_labels(attrs, "glasses=false").tolist() == [0, 1]
    assert attribute_labels(attrs, "hair_colour").dtype == np.int64
    with pytest.raises(ValueError, match="unknown"):
        attribute_labels(attrs, "hat")
    with pytest.raises(ValueError):
        attribute_labels(attrs, "face_dx=0")


def test_variety():
    images, _ = generate_portraits(200, seed=9)
    flat = images.reshape(200, -1).astype(np.int16)
    mads = np.concatenate([np.abs(flat[i] - flat[i + 1:]).mean(1) for i in range(199)])
    assert mads.min() > 2.0  # no two alike
    assert np.median(mads) > 25
    assert len({im.tobytes() for im in images}) == 200
