"""Read foreign checkpoint files without ever running code from them.

PyTorch checkpoints are pickles, and a pickle can call any Python function
while it is being read.  Everything here goes through
``torch.load(path, map_location="cpu", weights_only=True)``, whose restricted
unpickler only rebuilds tensors and plain containers (dict, list, tuple,
OrderedDict, numbers, strings); a file that needs anything else (a model
object, a custom class, a ``__reduce__`` payload) is refused with a message
that explains how to re-save it as a plain state_dict.  Files in the
safetensors format (raw tensors plus a JSON header) are read with safetensors;
a Flow Studio checkpoint is recognised and sent back to the native loader.
"""

from __future__ import annotations

import json
import pickle
import re
import struct
import warnings
import zipfile
from pathlib import Path
from typing import Any

import torch
from safetensors import SafetensorError, safe_open
from safetensors.torch import load_file

from flowstudio.importers.errors import PeerImportError

RESAVE_HINT = (
    "To import it, re-save the weights as a plain state_dict in a trusted environment that has the "
    "original project's code: `obj = torch.load(path, weights_only=False)`, "
    "`sd = obj.state_dict() if hasattr(obj, 'state_dict') else obj`, then "
    "`torch.save({k: v for k, v in sd.items()}, 'plain.pt')` (or "
    "`safetensors.torch.save_file(dict(sd), 'plain.safetensors')`) and import that file."
)


def _first_line(exc: BaseException) -> str:
    lines = [line for line in str(exc).strip().splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _is_safetensors(path: Path) -> bool:
    """safetensors layout: 8-byte little-endian header length, then a JSON object."""
    with open(path, "rb") as fh:
        head = fh.read(9)
    if len(head) < 9 or head[8:9] != b"{":
        return False
    (n,) = struct.unpack("<Q", head[:8])
    return 8 + n <= path.stat().st_size


def _is_torch_file(path: Path) -> bool:
    """torch.save writes a zip archive (PyTorch >= 1.6) or, in the legacy format, a raw pickle."""
    if zipfile.is_zipfile(path):
        return True
    with open(path, "rb") as fh:
        return fh.read(1) == b"\x80"  # pickle protocol >= 2 opcode


def load_untrusted(path: str | Path) -> Any:
    """Read a foreign checkpoint file into tensors and plain containers, never executing its code."""
    path = Path(path)
    if not path.is_file():
        raise PeerImportError(f"{path}: no such file")
    if _is_safetensors(path):
        try:
            with safe_open(str(path), framework="pt") as fh:
                meta = fh.metadata() or {}
            if "flowstudio.config" in meta:
                raise PeerImportError(
                    f"{path.name}: this is already a native Flow Studio checkpoint; open it directly "
                    "(flowstudio.checkpoint.load_checkpoint) instead of importing it")
            return load_file(str(path))
        except (SafetensorError, OSError, ValueError) as exc:
            raise PeerImportError(f"{path.name}: unreadable safetensors file ({_first_line(exc)})") from None
    if not _is_torch_file(path):
        raise PeerImportError(f"{path.name}: not a PyTorch checkpoint (torch.save) or safetensors file")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "pickle protocol 4" notices from the safe unpickler
            return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        found = re.search(r"GLOBAL ([\w.]+)", str(exc))
        what = (f"it references {found.group(1)}" if found
                else "it holds objects other than tensors and plain containers")
        raise PeerImportError(
            f"{path.name}: refusing to unpickle: this file needs code to load ({what}), and loading it "
            f"would let the file run arbitrary code. {RESAVE_HINT}") from None
    except Exception as exc:  # noqa: BLE001 - any other failure means the file is not a usable checkpoint
        raise PeerImportError(f"{path.name}: not a readable PyTorch checkpoint ({_first_line(exc)})") from None


def load_hparams(path: str | Path) -> dict[str, Any]:
    """Read a peer's JSON hyper-parameter file (y0ast ``hparams.json``, chaiyujin ``hparams/*.json``)."""
    path = Path(path)
    if not path.is_file():
        raise PeerImportError(f"{path}: hparams file not found")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PeerImportError(f"{path.name}: not a readable JSON hparams file ({_first_line(exc)})") from None
    if not isinstance(data, dict):
        raise PeerImportError(f"{path.name}: hparams must be a JSON object")
    return data
