"""Typed model configs (no torch): dataclasses with declared bounds that round-trip to checkpoint JSON.

Each family module defines its config as a frozen dataclass derived from
:class:`ImageFlowConfig` (image flows) or
:class:`~flowstudio.models.vector.VectorFlowConfig` (flows on points), both
subclasses of :class:`FlowConfig`, declaring every architecture setting with
:func:`setting` (default, bounds or choices, help).  A config validates
itself when made, so a model is never built from a value outside its
bounds (a hostile or damaged checkpoint header, a mistyped ``--arch``):
:class:`~flowstudio.errors.ConfigError` names the setting and its range.

The JSON form is flat: ``{"family": ..., "image_shape": [C, H, W], <settings>}``
(``"dim": D`` for points), the same shape that format-1 checkpoints stored, so
they read unchanged.
"""

from __future__ import annotations

from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar

from flowstudio.errors import ConfigError
from flowstudio.jsonvalues import is_number, is_whole

MAX_SIDE = 1024
MAX_CHANNELS = 4


def setting(default: Any, *, low: float | None = None, high: float | None = None,
            choices: tuple[Any, ...] | None = None, help: str = "") -> Any:
    """A config field with its default, its allowed range or choices, and a help text."""
    return field(default=default, metadata={"low": low, "high": high, "choices": choices, "help": help})


class FlowConfig:
    """What every typed config does (the dataclasses derived from it declare the fields): validate itself,
    round-trip through the flat JSON form, and say which of its fields the training data fixes."""

    family: ClassVar[str] = ""
    data_names: ClassVar[tuple[str, ...]] = ()
    """The fields the training data fixes (an image shape, a point dimension): required in the JSON, not settings."""
    not_architecture: ClassVar[tuple[str, ...]] = ()
    """Settings that are not part of the network (:meth:`architecture` leaves them out)."""

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            object.__setattr__(self, f.name, self.data_value(f.name, value) if f.name in self.data_names
                               else checked_setting(self.family, f, value))
        self.check()

    @classmethod
    def data_value(cls, name: str, value: Any) -> Any:
        """The checked value of data field ``name``; raise :class:`ConfigError`."""
        raise NotImplementedError

    def check(self) -> None:
        """Constraints between settings (subclasses add theirs); raise :class:`ConfigError`."""

    # -- JSON ------------------------------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"family": self.family}
        for f in fields(self):
            value = getattr(self, f.name)
            data[f.name] = list(value) if isinstance(value, tuple) else value
        return data

    @classmethod
    def from_json(cls, data: Any) -> FlowConfig:
        """Read the flat JSON form; unknown names, a wrong family or bad values raise :class:`ConfigError`."""
        if not isinstance(data, dict):
            raise ConfigError(f"a model config must be a JSON object, not {type(data).__name__}")
        data = dict(data)
        family = data.pop("family", cls.family)
        if family != cls.family:
            raise ConfigError(f"config of family {family!r} given to {cls.family!r}")
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise ConfigError(f"unknown {cls.family} setting{'s' if len(unknown) > 1 else ''} "
                              f"{', '.join(unknown)}; known: {', '.join(cls.setting_names())}")
        missing = [name for name in cls.data_names if name not in data]
        if missing:
            raise ConfigError(f"a model config needs {', '.join(missing)}")
        return cls(**data)

    @classmethod
    def setting_names(cls) -> list[str]:
        """The architecture settings a user may override (``--arch``), in declaration order."""
        return [f.name for f in fields(cls) if f.name not in (*cls.data_names, "seed")]

    def architecture(self) -> dict[str, Any]:
        """The settings that describe the network (not the data fields or the weight seed)."""
        left_out = ("family", *self.data_names, *self.not_architecture, "seed")
        return {k: v for k, v in self.to_json().items() if k not in left_out}

    @classmethod
    def data_fields(cls, shape: list[int] | tuple[int, ...]) -> dict[str, Any]:
        """The config fields that the training data's sample shape fixes."""
        raise NotImplementedError

    @classmethod
    def label_fields(cls, class_names: tuple[str, ...]) -> dict[str, Any]:
        """The config fields the training data's classes fix (a labelled family's ``classes``); default: none."""
        return {}

    @classmethod
    def fit_arch(cls, arch: dict[str, Any], data_shape: tuple[int, ...]) -> dict[str, Any]:
        """A preset's architecture adjusted to what the data shape allows (multi-scale depth); default: as is."""
        return dict(arch)


@dataclass(frozen=True)
class ImageFlowConfig(FlowConfig):
    """What every image flow's config has: the image shape, bits per pixel, pixel offset and weight seed."""

    data_names: ClassVar[tuple[str, ...]] = ("image_shape",)
    not_architecture: ClassVar[tuple[str, ...]] = ("n_bits",)
    image_shape: tuple[int, int, int]
    n_bits: int = setting(5, low=1, high=8, help="bits per pixel the model sees")
    pixel_offset: float = setting(-0.5, low=-1.0, high=1.0, help="model-space offset of pixel value 0")
    seed: int = setting(0, low=0, high=2**32 - 1, help="seed of the initial weights")

    @classmethod
    def data_value(cls, name: str, value: Any) -> tuple[int, int, int]:
        return _image_shape(value)

    @classmethod
    def data_fields(cls, shape: list[int] | tuple[int, ...]) -> dict[str, Any]:
        """The config fields that the training data's sample shape fixes: ``{"image_shape": [C, H, W]}``."""
        return {"image_shape": list(shape)}


def halvings(h: int, w: int) -> int:
    """How many times both sides can be halved exactly."""
    k = 0
    while h % 2 == 0 and w % 2 == 0 and h > 1 and w > 1:
        h, w, k = h // 2, w // 2, k + 1
    return k


def _image_shape(value: Any) -> tuple[int, int, int]:
    if not isinstance(value, (list, tuple)) or len(value) != 3:
        raise ConfigError(f"image_shape must be [C, H, W], not {value!r}")
    c, h, w = (whole("image_shape", v) for v in value)
    if not 1 <= c <= MAX_CHANNELS or not (1 <= h <= MAX_SIDE and 1 <= w <= MAX_SIDE):
        raise ConfigError(f"image_shape {[c, h, w]} is outside 1-{MAX_CHANNELS} channels and "
                          f"1-{MAX_SIDE} pixels a side")
    return c, h, w


def whole(name: str, value: Any) -> int:
    """``value`` as an ``int`` if it is a whole number, else a :class:`ConfigError` naming ``name``."""
    if not is_whole(value):
        raise ConfigError(f"{name} must be a whole number, not {value!r}")
    return int(value)


def checked_setting(family: str, f: Any, value: Any) -> Any:
    """``value`` for field ``f``, of the default's type and within the declared bounds."""
    meta, default = f.metadata, f.default
    name, raw = f.name, value
    if default is MISSING:
        return value
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"{family} {name} must be true or false, not {value!r}")
    elif isinstance(default, int):
        value = whole(name, value)
    elif isinstance(default, float):
        if not is_number(value):
            raise ConfigError(f"{family} {name} must be a finite number, not {value!r}")
        value = float(value)
    elif isinstance(default, str) and not isinstance(value, str):
        raise ConfigError(f"{family} {name} must be text, not {value!r}")
    choices, low, high = meta.get("choices"), meta.get("low"), meta.get("high")
    if choices is not None and value not in choices:
        raise ConfigError(f"{family} {name} must be one of {', '.join(map(str, choices))}, not {raw!r}")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ConfigError(f"{family} {name} must be between {low:g} and {high:g}, not {raw!r}")
    return value
