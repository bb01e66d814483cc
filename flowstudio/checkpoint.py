"""Native checkpoints: one ``.safetensors`` file, tensors plus JSON metadata.

Loading never unpickles anything: safetensors stores raw tensors and a JSON
header.  The header's string metadata holds

* ``flowstudio.format``: the format version (``"2"``),
* ``flowstudio.config``: the model's typed config as JSON
  (:mod:`flowstudio.models.config`) that :func:`build_model` reads,
* ``flowstudio.card``: the model card (JSON, :class:`flowstudio.card.ModelCard`):
  family, architecture, data, latent layout, conditioning, likelihood kind
  and test bits/dim, steps, licence and provenance,
* ``flowstudio.extra`` (optional): JSON that belongs with the ``extra/``
  tensors, e.g. the step counters and optimiser hyper-parameters of a
  resumable training checkpoint.

Older files are read through a migration (:data:`MIGRATIONS`): format 1
(version-1 cards, and tensor names of RealNVP and NICE from before the
shared flow blocks) is upgraded in memory, so the bundled models, earlier
training runs and imports all open; a file from a newer version is refused
with a message saying so.  The config and card are validated before any
tensor is read or any layer built.

Files are written atomically (temporary file, fsync, rename:
:func:`flowstudio.files.atomic_write_bytes`), so a crash or a full disk
mid-write leaves any previous checkpoint at that path intact; a failed write
raises :class:`~flowstudio.errors.WriteError`.
"""

from __future__ import annotations

import functools
import json
import os
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save

from flowstudio.card import CardError, ModelCard
from flowstudio.errors import ConfigError, FlowStudioError
from flowstudio.files import atomic_write_bytes, file_sha256  # noqa: F401  (also used from here by other modules)
from flowstudio.layout import LatentLayout
from flowstudio.models import Flow, build_model, config_from_json
from flowstudio.models.vector import VectorFlow, VectorFlowConfig
from flowstudio.registry import get_family

FORMAT_VERSION = 2
"""The format this version writes; it reads 1 (through :data:`MIGRATIONS`) and 2."""


class CheckpointError(FlowStudioError):
    """A checkpoint that cannot be read or is not a Flow Studio model; the message says why."""


@dataclass
class LoadedModel:
    model: Flow
    card: ModelCard
    path: Path
    sha256: str

    @property
    def model_id(self) -> str:
        """Short stable identifier: the card's name (or file stem) plus the first 12 hex of the hash."""
        return f"{self.card.name or self.path.stem}@{self.sha256[:12]}"


def default_card(model: Flow, **facts: Any) -> ModelCard:
    """The card of ``model``: architecture, data shape and latent layout from the model, plus ``facts``.

    ``facts`` use the flat names (``name``, ``training_data``,
    ``test_bits_per_dim``, ``test_bits_per_dim_std``, ``steps``, ``licence``);
    any other name (``recipe``, ``preset``, ``peer``, ``test_error``, ...) is provenance; ``labels`` (the class
    names of a labelled family) is the card's conditioning.  A points model's card has data
    kind ``points``, shape ``[D]`` and its held-out score in nats (``test_bits_per_dim`` is that score).  A family without an exact
    image density (GLF) gets ``likelihood: "none"``, and its held-out score (a training loss, not bits/dim) in
    the model's ``score_unit`` in the same place.
    """
    labels = facts.pop("labels", None)
    card = _card_of(model, facts)
    return card if not labels else replace(card, labels=tuple(labels))


def _card_of(model: Flow, facts: dict[str, Any]) -> ModelCard:
    if isinstance(model, VectorFlow):  # exact density in nats, on points [D]
        return ModelCard.from_json({"family": model.family, "architecture": model.config.architecture(),
                                    "image_shape": [model.dim], "n_bits": None, "data_kind": "points",
                                    "unit": model.score_unit, **facts}, model.layout)
    flat = {"family": model.family, "architecture": model.config.architecture(),
            "image_shape": list(model.image_shape), "n_bits": model.n_bits, "unit": model.score_unit, **facts}
    card = ModelCard.from_json(flat, model.layout)
    return card if get_family(model.family).capabilities.exact_density else replace(card, likelihood="none")


def save_checkpoint(model: Flow, path: str | os.PathLike, card: dict[str, Any] | None = None,
                    extra_tensors: dict[str, torch.Tensor] | None = None,
                    extra_metadata: dict[str, Any] | None = None) -> Path:
    """Save ``model`` (and optional extra tensors and JSON, e.g. optimiser state) to ``path`` atomically."""
    path = Path(path)
    card = card if card is not None else default_card(model)
    if not isinstance(card, ModelCard):
        raise TypeError(f"card must be a ModelCard, not {type(card).__name__}")
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    for k, v in (extra_tensors or {}).items():
        tensors[f"extra/{k}"] = v.detach().cpu().contiguous()
    metadata = {
        "flowstudio.format": str(FORMAT_VERSION),
        "flowstudio.config": json.dumps(model.config.to_json(), sort_keys=True),
        "flowstudio.card": json.dumps(card.to_json(), sort_keys=True),
    }
    if extra_metadata is not None:
        metadata["flowstudio.extra"] = json.dumps(extra_metadata, sort_keys=True)
    atomic_write_bytes(path, save(tensors, metadata=metadata))
    return path


def read_metadata(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read the stored ``(config JSON, card JSON)`` from the header only, as written (no migration)."""
    return _stored_json(_header_metadata(path), Path(path))


def _stored_json(meta: dict[str, str], path: Path) -> tuple[Any, Any]:
    try:
        return json.loads(meta["flowstudio.config"]), json.loads(meta.get("flowstudio.card", "{}"))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path.name}: corrupt metadata ({exc})") from None


def read_extra_metadata(path: str | os.PathLike) -> dict[str, Any] | None:
    """The ``extra_metadata`` stored by :func:`save_checkpoint`, or ``None`` when there is none."""
    text = _header_metadata(path).get("flowstudio.extra")
    try:
        return None if text is None else json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{Path(path).name}: corrupt extra metadata ({exc})") from None


def _header_metadata(path: str | os.PathLike) -> dict[str, str]:
    """A Flow Studio checkpoint's header metadata, checked for format; raises :class:`CheckpointError`."""
    return _read_header(Path(path))[0]


TensorSpecs = dict[str, tuple[tuple[int, ...], str]]
"""``name -> (shape, dtype)`` of a checkpoint's model tensors (dtype as safetensors names it: ``"F32"``, ...)."""


def _read_header(path: Path) -> tuple[dict[str, str], int, TensorSpecs]:
    """The header alone, read once: ``(metadata, format version, model tensor specs)``, checked for format."""
    if path.is_dir():
        raise CheckpointError(f"{path}: is a folder, not a checkpoint file (a model is one .safetensors file; "
                              "a training run's folder holds it as model.safetensors)")
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
            specs = {k: (tuple(fh.get_slice(k).get_shape()), fh.get_slice(k).get_dtype())
                     for k in fh.keys() if not k.startswith("extra/")}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path.name}: not a safetensors file ({_first_line(exc)})") from None
    if "flowstudio.config" not in meta:
        raise CheckpointError(f"{path.name}: a safetensors file, but not a Flow Studio model "
                              "(no flowstudio.config metadata); use 'flowstudio import' for peer checkpoints")
    return meta, _format_version(meta, path), specs


def _format_version(meta: dict[str, str], path: Path) -> int:
    text = meta.get("flowstudio.format")
    version = int(text) if isinstance(text, str) and text.isdigit() else None
    if version is None or version < 1:
        raise CheckpointError(f"{path.name}: unknown checkpoint format {text!r}")
    if version > FORMAT_VERSION:
        raise CheckpointError(f"{path.name}: made by a newer Flow Studio (checkpoint format {version}); "
                              f"this version reads formats 1 to {FORMAT_VERSION}: update Flow Studio to open it")
    return version


def _upgrade_v1_state(config: Any, state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Format 1 -> 2: tensor names of the family's layers as they are now (configs read unchanged)."""
    return get_family(config.family).model_class().upgrade_v1_state(state)


MIGRATIONS = {1: _upgrade_v1_state}
"""``format -> upgrade of its state dict to the next format``; applied in order up to :data:`FORMAT_VERSION`."""


def _migrate(config: Any, version: int, named: dict[str, Any]) -> dict[str, Any]:
    """Tensor names (with their tensors, or their specs) of a format-``version`` file as this format names them."""
    for old in range(version, FORMAT_VERSION):
        named = MIGRATIONS[old](config, named)
    return named


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> LoadedModel:
    """Load a Flow Studio checkpoint (any format this version reads) into an eval-mode model on ``device``.

    Everything in the header is checked before memory is spent on the model:
    the config against its bounds, then a skeleton of the model is built on
    PyTorch's ``meta`` device (shapes only, no storage) and the card and the
    stored tensors' names, shapes and dtypes are checked against it.  Only
    then is the model built and are the tensors read, so a damaged or hostile
    header is a :class:`CheckpointError`, never a huge allocation.  A file of
    format 1 is upgraded in memory (the file itself is not changed).
    """
    path = Path(path)
    meta, version, stored = _read_header(path)
    config_json, card_json = _stored_json(meta, path)
    try:
        config = config_from_json(config_json)
    except ConfigError as exc:
        raise CheckpointError(f"{path.name}: invalid model config ({exc})") from None
    layout, expected = _skeleton(config)
    try:
        card = ModelCard.from_json(card_json, layout)
    except CardError as exc:
        raise CheckpointError(f"{path.name}: damaged model card ({exc})") from None
    if card.latent != layout or card.family != config.family:
        raise CheckpointError(f"{path.name}: the card describes a different model than the config "
                              f"(family {card.family!r}, latent {card.latent.names})")
    _check_tensor_specs(path, _migrate(config, version, stored), expected)
    model = build_model(config)
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{path.name}: cannot read tensors ({_first_line(exc)})") from None
    model.load_state_dict(_migrate(config, version, {k: v for k, v in tensors.items() if not k.startswith("extra/")}),
                          strict=True)
    model.to(device).eval()
    return LoadedModel(model=model, card=card, path=path, sha256=file_sha256(path))


@functools.lru_cache(maxsize=16)
def _skeleton(config: Any) -> tuple[LatentLayout, TensorSpecs]:
    """The latent layout and ``name -> (shape, dtype)`` of the tensors a config's model has.

    Built on PyTorch's ``meta`` device, which allocates no storage, so a
    header asking for an enormous model costs nothing (cached: the studio
    and the tests open the same models again and again).  Vector flows are
    built for real on the CPU: zuko's constructors compute their masks with
    ``.item()``, which the meta device cannot, and a vector flow's config
    bounds keep it small (:data:`flowstudio.models.vector.MAX_DIM`).
    """
    if isinstance(config, VectorFlowConfig):
        skeleton = build_model(config)
    else:
        with torch.device("meta"):
            skeleton = build_model(config)
    return skeleton.layout, {k: (tuple(v.shape), _DTYPES.get(v.dtype, str(v.dtype)))
                             for k, v in skeleton.state_dict().items()}


_DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16", torch.bfloat16: "BF16",
           torch.uint8: "U8", torch.int64: "I64", torch.bool: "BOOL"}


def _check_tensor_specs(path: Path, stored: TensorSpecs, expected: TensorSpecs) -> None:
    """The stored tensors are exactly the model's: same names, shapes and dtypes."""
    problems = [f"{key} is {stored[key][1]} {list(stored[key][0])} in the file, the config needs {dtype} {list(shape)}"
                for key, (shape, dtype) in expected.items() if key in stored and stored[key] != (shape, dtype)]
    problems += [f"missing {k}" for k in expected if k not in stored]
    problems += [f"unexpected {k}" for k in stored if k not in expected]
    if problems:
        more = f" and {len(problems) - 3} more" if len(problems) > 3 else ""
        raise CheckpointError(f"{path.name}: weights do not match the stored architecture "
                              f"({'; '.join(problems[:3])}{more})")


def load_extra_tensors(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The ``extra/`` tensors saved beside the model (e.g. optimiser state), without the prefix."""
    return {k[len("extra/"):]: v for k, v in load_file(str(path)).items() if k.startswith("extra/")}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
