"""Native checkpoints: one ``.safetensors`` file, tensors plus JSON metadata.

Loading never unpickles anything: safetensors stores raw tensors and a JSON
header.  The header's string metadata holds

* ``flowstudio.format``: the format version (``"1"``),
* ``flowstudio.config``: the model config (JSON) that :func:`build_model` reads,
* ``flowstudio.card``: the model card (JSON): family, architecture, image
  shape, n_bits, training data, test bits/dim, steps, licence note, ...
* ``flowstudio.extra`` (optional): JSON that belongs with the ``extra/``
  tensors, e.g. the step counters and optimiser hyper-parameters of a
  resumable training checkpoint.

Files are written atomically (temporary file, fsync, rename), so a crash
mid-write leaves any previous checkpoint at that path intact.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file, save

from flowstudio.models import ImageFlow, build_model

FORMAT_VERSION = "1"
CARD_FIELDS = ("family", "architecture", "image_shape", "n_bits", "training_data", "test_bits_per_dim",
               "steps", "licence")


class CheckpointError(Exception):
    """A checkpoint that cannot be read or is not a Flow Studio model; the message says why."""


@dataclass
class LoadedModel:
    model: ImageFlow
    card: dict[str, Any]
    path: Path
    sha256: str

    @property
    def model_id(self) -> str:
        """Short stable identifier: the card's name (or file stem) plus the first 12 hex of the hash."""
        return f"{self.card.get('name') or self.path.stem}@{self.sha256[:12]}"


def default_card(model: ImageFlow, **fields: Any) -> dict[str, Any]:
    """A model card with the architecture fields filled from the model's config."""
    cfg = model.config
    card: dict[str, Any] = {
        "family": cfg["family"],
        "architecture": {k: v for k, v in cfg.items() if k not in ("family", "image_shape", "n_bits")},
        "image_shape": list(model.image_shape),
        "n_bits": model.n_bits,
        "training_data": None,
        "test_bits_per_dim": None,
        "steps": 0,
        "licence": None,
    }
    card.update(fields)
    return card


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file in the same folder, fsync and rename."""
    path = Path(path)
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)  # mkstemp creates 0600; keep the file's mode (or rw-r--r--)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def save_checkpoint(model: ImageFlow, path: str | os.PathLike, card: dict[str, Any] | None = None,
                    extra_tensors: dict[str, torch.Tensor] | None = None,
                    extra_metadata: dict[str, Any] | None = None) -> Path:
    """Save ``model`` (and optional extra tensors and JSON, e.g. optimiser state) to ``path`` atomically."""
    path = Path(path)
    card = card if card is not None else default_card(model)
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    for k, v in (extra_tensors or {}).items():
        tensors[f"extra/{k}"] = v.detach().cpu().contiguous()
    metadata = {
        "flowstudio.format": FORMAT_VERSION,
        "flowstudio.config": json.dumps(model.config, sort_keys=True),
        "flowstudio.card": json.dumps(card, sort_keys=True),
    }
    if extra_metadata is not None:
        metadata["flowstudio.extra"] = json.dumps(extra_metadata, sort_keys=True)
    atomic_write_bytes(path, save(tensors, metadata=metadata))
    return path


def read_metadata(path: str | os.PathLike) -> tuple[dict[str, Any], dict[str, Any]]:
    """Read ``(config, card)`` from the header only (no tensor data is loaded)."""
    meta = _header_metadata(path)
    try:
        return json.loads(meta["flowstudio.config"]), json.loads(meta.get("flowstudio.card", "{}"))
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{Path(path).name}: corrupt metadata ({exc})") from None


def read_extra_metadata(path: str | os.PathLike) -> dict[str, Any] | None:
    """The ``extra_metadata`` stored by :func:`save_checkpoint`, or ``None`` when there is none."""
    text = _header_metadata(path).get("flowstudio.extra")
    try:
        return None if text is None else json.loads(text)
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{Path(path).name}: corrupt extra metadata ({exc})") from None


def _header_metadata(path: str | os.PathLike) -> dict[str, str]:
    """A Flow Studio checkpoint's header metadata, checked for format; raises :class:`CheckpointError`."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint file")
    try:
        with safe_open(str(path), framework="pt") as fh:
            meta = fh.metadata() or {}
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path.name}: not a safetensors file ({_first_line(exc)})") from None
    if "flowstudio.config" not in meta:
        raise CheckpointError(f"{path.name}: a safetensors file, but not a Flow Studio model "
                              "(no flowstudio.config metadata); use 'flowstudio import' for peer checkpoints")
    if meta.get("flowstudio.format") != FORMAT_VERSION:
        raise CheckpointError(f"{path.name}: checkpoint format {meta.get('flowstudio.format')!r} "
                              f"is not supported (this version reads {FORMAT_VERSION!r})")
    return meta


def file_sha256(path: str | os.PathLike) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def load_checkpoint(path: str | os.PathLike, device: str | torch.device = "cpu") -> LoadedModel:
    """Load a Flow Studio checkpoint into an eval-mode model on ``device``."""
    path = Path(path)
    config, card = read_metadata(path)
    try:
        model = build_model(config)
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{path.name}: invalid model config ({exc})") from None
    try:
        tensors = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{path.name}: cannot read tensors ({_first_line(exc)})") from None
    state = {k: v for k, v in tensors.items() if not k.startswith("extra/")}
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(f"{path.name}: weights do not match the stored architecture "
                              f"({_first_line(exc)})") from None
    model.to(device).eval()
    return LoadedModel(model=model, card=card, path=path, sha256=file_sha256(path))


def load_extra_tensors(path: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The ``extra/`` tensors saved beside the model (e.g. optimiser state), without the prefix."""
    return {k[len("extra/"):]: v for k, v in load_file(str(path)).items() if k.startswith("extra/")}


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__
