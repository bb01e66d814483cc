"""The family registry (no torch): every model family Flow Studio can build, train and open, in one place.

A family is one module (its config dataclass and its ``nn.Module``) plus one
:class:`Family` entry below.  Everything else reads this table: model
building and checkpoints (:func:`flowstudio.models.build_model`), the
command line (``flowstudio train --family``), the training presets, the
Train panel, the training runner's defaults and the studio (which asks for
*capabilities*, never for a family by name).  The entries hold plain data
and import paths, so the GUI can list families and presets without
importing PyTorch.

To add a family: write ``flowstudio/models/NAME.py`` with a config derived
from :class:`flowstudio.models.config.ImageFlowConfig` and a model derived
from :class:`flowstudio.models.base.ImageFlow` (for points:
:class:`flowstudio.models.vector.VectorFlowConfig` and ``VectorFlow``), add an entry here, and run
``pytest tests/test_family_contract.py``: the contract test runs over every
entry's ``tiny`` config.  A family that learns from images and from points has
a class for each in its one module: :attr:`Family.model` for images and
:attr:`Family.point_model` for points (with their own presets and tiny
configs, where they differ); a labelled family's models set ``uses_labels``
(:mod:`flowstudio.training.objective` says what they take and give).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from flowstudio.errors import UserInputError

PRESET_NAMES = ("small", "medium", "large")


@dataclass(frozen=True)
class Capabilities:
    """What a family's models can do; front ends offer what these allow."""

    exact_density: bool
    """log p(x) is exact, so bits/dim and the evidence badges apply."""
    invertible_latent: bool
    """``eps = encode(x)`` is meant to be ``N(0, I)`` and decode maps any ``eps`` to an image: Transflow
    (posteriors, sweeps, interpolation) applies."""
    sampling: bool
    exact_reconstruction: bool = True
    """decode(encode(x)) = x exactly (a bijection); False where an autoencoder sits between the image and the
    latent (GLF, VAE): there decode(encode(x)) is a reconstruction, and encode(decode(eps)) only near eps."""
    label_conditioning: bool = False
    """generates for a given label (``context``)."""
    classification: bool = False
    """gives p(y | x) itself (not only through few-shot Transflow classes)."""
    semi_supervised: bool = False
    """trains from a few labels and many unlabelled images."""


@dataclass(frozen=True)
class Preset:
    """A starting point that trains well: architecture settings, batch size, learning rate, steps, and the
    learning-rate schedule after warm-up (``flowstudio.training.settings.LR_DECAYS``)."""

    arch: Mapping[str, Any]
    batch_size: int
    lr: float
    steps: int
    lr_decay: str = "none"


@dataclass(frozen=True)
class Family:
    """One model family: how it is named and shown, where its code is, what it can do and how to start it."""

    name: str
    label: str
    summary: str
    reference: str
    model: str
    """``"module:Class"`` of the ``nn.Module``; its ``config_type`` is the typed config."""
    capabilities: Capabilities
    data_kinds: tuple[str, ...]
    """Kinds of training data it learns from (``"images"``, or ``"points"``: vectors ``[D]``)."""
    presets: Mapping[str, Preset]
    tiny: Mapping[str, Any] = field(default_factory=dict)
    """Smallest sensible architecture (for the contract test and quick checks)."""
    point_model: str | None = None
    """``"module:Class"`` of the family's model for points, where it learns from both images (:attr:`model`)
    and points (a family that learns from points only names its one class in :attr:`model`)."""
    point_presets: Mapping[str, Preset] | None = None
    point_tiny: Mapping[str, Any] | None = None

    def _variant(self, kind: str | None) -> bool:
        """Whether ``kind`` picks the points variant."""
        return kind == "points" and self.point_model is not None

    def model_class(self, kind: str | None = None) -> type:
        """The model class for data of ``kind`` (imports the family's module, and so torch)."""
        module, _, name = (self.point_model if self._variant(kind) else self.model).partition(":")
        return getattr(importlib.import_module(module), name)

    def config_class(self, kind: str | None = None) -> type:
        return self.model_class(kind).config_type

    def presets_for(self, kind: str | None = None) -> Mapping[str, Preset]:
        return self.point_presets if self._variant(kind) and self.point_presets is not None else self.presets

    def tiny_for(self, kind: str | None = None) -> Mapping[str, Any]:
        return self.point_tiny if self._variant(kind) and self.point_tiny is not None else self.tiny

    def preset(self, name: str, kind: str | None = None) -> Preset:
        presets = self.presets_for(kind)
        if name not in presets:
            raise UserInputError(f"unknown preset {name!r}; choose one of {', '.join(presets)}")
        return presets[name]


_IMAGE_FLOW = Capabilities(exact_density=True, invertible_latent=True, sampling=True)

_EPOCH = 234
"""Steps of batch 256 in one pass over Fashion-MNIST's 60,000 training images."""
_AUTOENCODER_PRESETS = {  # the GLF paper's nets and Adam 1e-3, batch 256, for 10 / 50 / 100 epochs, the rate
    # halved after half of them (the paper: after 50 of 100)
    "small": Preset({}, 256, 1e-3, 10 * _EPOCH, "halve"),
    "medium": Preset({}, 256, 1e-3, 50 * _EPOCH, "halve"),
    "large": Preset({}, 256, 1e-3, 100 * _EPOCH, "halve")}
_AUTOENCODER_TINY = {"latent": 4, "conv1": 4, "conv2": 8, "fc": 16, "flow_blocks": 2, "flow_hidden": 8,
                     "flow_depth": 1}

_VECTOR_FLOW = Capabilities(exact_density=True, invertible_latent=True, sampling=True)
_VECTOR_PRESETS = {  # flows on points (through zuko); the survey's 2-D toys train in seconds with small
    "small": Preset({"transforms": 4, "hidden": 64, "depth": 2}, 256, 1e-3, 2_000),
    "medium": Preset({"transforms": 6, "hidden": 128, "depth": 2}, 512, 1e-3, 5_000),
    "large": Preset({"transforms": 8, "hidden": 256, "depth": 3}, 1024, 5e-4, 20_000)}
_VECTOR_TINY = {"transforms": 2, "hidden": 8, "depth": 1}

_ENTRIES = (
    Family(
        name="glow", label="Glow", summary="multi-scale flow with actnorm, 1x1 convolutions and affine couplings",
        reference="Kingma & Dhariwal 2018, arXiv:1807.03039", model="flowstudio.models.glow:Glow",
        capabilities=_IMAGE_FLOW, data_kinds=("images",),
        presets={"small": Preset({"levels": 2, "steps": 4, "hidden": 64}, 64, 1e-3, 2_000),
                 "medium": Preset({"levels": 3, "steps": 8, "hidden": 128}, 64, 1e-3, 10_000),
                 "large": Preset({"levels": 3, "steps": 16, "hidden": 256}, 64, 5e-4, 50_000)},
        tiny={"levels": 2, "steps": 2, "hidden": 8}),
    Family(
        name="realnvp", label="RealNVP", summary="multi-scale flow with checkerboard and channel affine couplings",
        reference="Dinh, Sohl-Dickstein & Bengio 2017, arXiv:1605.08803", model="flowstudio.models.realnvp:RealNVP",
        capabilities=_IMAGE_FLOW, data_kinds=("images",),
        presets={"small": Preset({"scales": 2, "hidden": 32, "blocks": 1}, 64, 1e-3, 2_000),
                 "medium": Preset({"scales": 2, "hidden": 64, "blocks": 2}, 64, 1e-3, 10_000),
                 "large": Preset({"scales": 3, "hidden": 128, "blocks": 4}, 64, 5e-4, 50_000)},
        tiny={"scales": 2, "hidden": 8, "blocks": 1}),
    Family(
        name="nice", label="NICE", summary="additive couplings on the flattened image",
        reference="Dinh, Krueger & Bengio 2015, arXiv:1410.8516", model="flowstudio.models.nice:NICE",
        capabilities=_IMAGE_FLOW, data_kinds=("images",),
        presets={"small": Preset({"couplings": 4, "hidden": 256, "depth": 2}, 64, 1e-3, 2_000),
                 "medium": Preset({"couplings": 4, "hidden": 512, "depth": 3}, 64, 1e-3, 10_000),
                 "large": Preset({"couplings": 4, "hidden": 1000, "depth": 5}, 64, 5e-4, 50_000)},
        tiny={"couplings": 4, "hidden": 16, "depth": 2}),
    Family(
        name="glf", label="GLF", summary="autoencoder with a flow on its latent, trained in one stage",
        reference="Xiao, Yan & Amit 2019, arXiv:1905.10485", model="flowstudio.models.glf:GLF",
        capabilities=Capabilities(exact_density=False, invertible_latent=True, sampling=True,
                                  exact_reconstruction=False),
        data_kinds=("images",), presets=_AUTOENCODER_PRESETS, tiny=_AUTOENCODER_TINY),
    Family(
        name="vae", label="VAE (baseline)", summary="variational autoencoder, optionally with a flow prior "
                                                    "(flow_prior=true): GLF's baselines",
        reference="Kingma & Welling 2014, arXiv:1312.6114; as in Xiao, Yan & Amit 2019, arXiv:1905.10485",
        model="flowstudio.models.vae:VAE",
        capabilities=Capabilities(exact_density=False, invertible_latent=False, sampling=True,
                                  exact_reconstruction=False),
        data_kinds=("images",), presets=_AUTOENCODER_PRESETS, tiny=_AUTOENCODER_TINY),
    *(Family(name=name, label=label, summary=summary, reference=reference, model=model,
             capabilities=_VECTOR_FLOW, data_kinds=("points",), presets=_VECTOR_PRESETS, tiny=_VECTOR_TINY)
      for name, label, summary, reference, model in (
          ("maf", "MAF", "masked autoregressive flow on points: density in one pass, sampling in D",
           "Papamakarios, Pavlakou & Murray 2017, arXiv:1705.07057", "flowstudio.models.maf:MAF"),
          ("iaf", "IAF", "inverse autoregressive flow on points: sampling in one pass, density in D",
           "Kingma et al. 2016, arXiv:1606.04934", "flowstudio.models.iaf:IAF"),
          ("realnvp-vector", "RealNVP (points)", "affine couplings on points",
           "Dinh, Sohl-Dickstein & Bengio 2017, arXiv:1605.08803",
           "flowstudio.models.vector_realnvp:VectorRealNVP"),
          ("nice-vector", "NICE (points)", "additive couplings and a diagonal scaling on points",
           "Dinh, Krueger & Bengio 2015, arXiv:1410.8516", "flowstudio.models.vector_nice:VectorNICE"))),
    Family(
        name="scnf", label="Semi-conditional flow",
        summary="unconditional Glow with a label-conditioned flow on its deepest latent: semi-supervised "
                "classification from a few labels, exact p(y | x)",
        reference="Atanov, Volokhova, Ashukha, Sosnovik & Vetrov 2019, arXiv:1905.00505",
        model="flowstudio.models.scnf:SCNFImages", point_model="flowstudio.models.scnf:SCNFPoints",
        capabilities=Capabilities(exact_density=True, invertible_latent=False, sampling=True,
                                  label_conditioning=True, classification=True, semi_supervised=True),
        data_kinds=("images", "points"),
        presets={"small": Preset({"levels": 2, "steps": 4, "hidden": 64, "deep_channels": 4}, 64, 1e-3, 2_000),
                 "medium": Preset({"levels": 2, "steps": 8, "hidden": 128, "deep_channels": 4}, 64, 1e-3, 10_000),
                 "large": Preset({"levels": 2, "steps": 16, "hidden": 256, "deep_channels": 4}, 64, 5e-4, 50_000)},
        tiny={"levels": 2, "steps": 1, "hidden": 8, "deep_channels": 2, "flow_layers": 2, "flow_hidden": 8,
              "flow_depth": 1},
        point_presets=_VECTOR_PRESETS,
        point_tiny={**_VECTOR_TINY, "flow_layers": 2, "flow_hidden": 8, "flow_depth": 1}),
    Family(
        name="conditional", label="Conditional flow",
        summary="one flow [x, padding] <-> [style z, label part c]: classifies forwards, generates by label "
                "backwards, trained by the one likelihood loss (GLF's autoencoder for images)",
        reference="A method to model conditional distributions with normalizing flows (issue 10); toy after "
                  "Ardizzone et al. 2019, arXiv:1808.04730",
        model="flowstudio.models.conditional:ConditionalImages",
        point_model="flowstudio.models.conditional:ConditionalPoints",
        capabilities=Capabilities(exact_density=False, invertible_latent=False, sampling=True,
                                  exact_reconstruction=False, label_conditioning=True, classification=True),
        data_kinds=("images", "points"), presets=_AUTOENCODER_PRESETS, tiny=_AUTOENCODER_TINY,
        point_presets={  # the 8-mode toy: 8 blocks of 3 FC layers of 512, batch 1600, Adam 1e-3
            "small": Preset({"blocks": 4, "hidden": 128, "depth": 2}, 512, 1e-3, 2_000),
            "medium": Preset({"blocks": 8, "hidden": 512, "depth": 2}, 1600, 1e-3, 5_000),
            "large": Preset({"blocks": 8, "hidden": 512, "depth": 2}, 1600, 1e-3, 20_000)},
        point_tiny={"blocks": 2, "hidden": 8, "depth": 1}),
)

FAMILIES: Mapping[str, Family] = MappingProxyType({f.name: f for f in _ENTRIES})
DEFAULT_FAMILY = _ENTRIES[0].name
"""What ``flowstudio train`` and the Train panel start with."""


def get_family(name: str) -> Family:
    """The entry of family ``name``; an unknown name is a :class:`UserInputError` listing the known ones."""
    try:
        return FAMILIES[name]
    except (KeyError, TypeError):
        raise UserInputError(f"unknown model family {name!r}; known: {', '.join(FAMILIES)}") from None


def require(family: str, capability: str, purpose: str) -> Family:
    """The entry of ``family`` if its models have ``capability`` (a :class:`Capabilities` field), else a
    :class:`UserInputError` saying in words what ``purpose`` needs and which families offer it."""
    entry = get_family(family)
    if not getattr(entry.capabilities, capability):
        able = [f.label for f in FAMILIES.values() if getattr(f.capabilities, capability)]
        raise UserInputError(f"{entry.label} models cannot be used for {purpose}; "
                             f"models that can: {', '.join(able) if able else 'none yet'}")
    return entry


def require_data(family: str, data_kind: str, purpose: str, capability: str | None = None) -> Family:
    """The entry of ``family`` if its models learn from ``data_kind`` (``"images"``, ``"points"``), else a
    :class:`UserInputError` saying in words what its models learn from and which families fit ``purpose``
    (those of ``data_kind`` with ``capability``, a :class:`Capabilities` field, if given)."""
    entry = get_family(family)
    if data_kind not in entry.data_kinds:
        able = [f.label for f in families_for(data_kind) if capability is None or getattr(f.capabilities, capability)]
        raise UserInputError(f"{entry.label} models learn from {' and '.join(entry.data_kinds)}, not {data_kind}, "
                             f"so they cannot be used for {purpose}; models that can: {', '.join(able)}")
    return entry


def families_for(data_kind: str) -> list[Family]:
    """The families that learn from data of this kind, in registry order."""
    return [f for f in FAMILIES.values() if data_kind in f.data_kinds]
