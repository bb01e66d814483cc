"""Model families (one module each) behind two interfaces: :class:`~flowstudio.models.base.ImageFlow` for
images and :class:`~flowstudio.models.vector.VectorFlow` for points (vectors).

Which families exist is the registry's business (:mod:`flowstudio.registry`);
this package only builds a model from a config.
"""

from __future__ import annotations

from typing import Any

import torch

from flowstudio.errors import ConfigError
from flowstudio.models.base import Flow, ImageFlow
from flowstudio.models.config import FlowConfig, ImageFlowConfig
from flowstudio.registry import get_family


def config_from_json(data: Any) -> FlowConfig:
    """The typed config of a stored JSON config (``{"family": ..., ...}``); :class:`ConfigError` if invalid."""
    if not isinstance(data, dict):
        raise ConfigError(f"a model config must be a JSON object, not {type(data).__name__}")
    try:
        family = get_family(data.get("family"))
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    return family.config_class(config_kind(data)).from_json(data)


def config_kind(data: dict[str, Any]) -> str:
    """The data kind a stored config is for: ``"points"`` when it has a point dimension, else ``"images"``
    (a family with a class for each kind has one config class for each, told apart by their data fields)."""
    return "points" if "dim" in data else "images"


def build_model(config: FlowConfig | dict[str, Any]) -> Flow:
    """Build an (untrained) model from a typed config or its JSON; the config's family picks the class.

    The model is an :class:`ImageFlow` or a
    :class:`~flowstudio.models.vector.VectorFlow`, as the family's registry
    entry says.  Initial weights depend only on the config's ``seed``: construction runs
    under a forked RNG, so building a model never disturbs the caller's
    random stream.
    """
    if not isinstance(config, FlowConfig):
        config = config_from_json(config)
    cls = get_family(config.family).model_class(config_kind(config.to_json()))
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return cls(config)


__all__ = ["Flow", "FlowConfig", "ImageFlow", "ImageFlowConfig", "build_model", "config_from_json", "config_kind"]
