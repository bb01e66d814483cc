"""Opening a model file: a native ``.safetensors`` checkpoint, or a peer Glow checkpoint imported on the fly.

One loader for every front end: the command line (``--model``), the studio
(drops, the Model panel) and Python callers.  Native files are read with
:func:`flowstudio.checkpoint.load_checkpoint`; files ending in one of
:data:`PEER_SUFFIXES` go through :func:`flowstudio.importers.import_checkpoint`
(never unpickling code), told what the file does not record by
:class:`PeerOptions`.

:func:`open_model_stages` yields the name of each slow stage before it runs,
so a caller can show progress and stop between stages (the studio's Cancel)
with nothing half-loaded; :func:`open_model` runs all stages.  Errors are the
core's: :class:`ModelNotFoundError`, ``CheckpointError``, ``PeerImportError``
and :class:`~flowstudio.errors.UserInputError`, all
:class:`~flowstudio.errors.FlowStudioError` subclasses.

Importing this module does not import torch (the studio's GUI thread reads
:data:`MODEL_SUFFIXES` to tell a dropped model from an image); the loader
imports it when it runs.
"""

from __future__ import annotations

import os
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowstudio.errors import FlowStudioError, UserInputError

if TYPE_CHECKING:
    from flowstudio.checkpoint import LoadedModel

NATIVE_SUFFIX = ".safetensors"
PEER_SUFFIXES = (".pt", ".pth", ".pkg", ".bin", ".ckpt")
"""Suffixes of peer checkpoints, imported on the fly; any other file is read as a native checkpoint."""
MODEL_SUFFIXES = (NATIVE_SUFFIX, *PEER_SUFFIXES)
"""Every suffix a model file may have (what a drop onto the studio opens as a model)."""

NEEDS_OPTIONS = {"image_size": "--image-size N", "hparams": "--hparams FILE"}
"""The command-line option that gives what an import needs (``PeerImportError.needs``), for hints."""


class ModelNotFoundError(FlowStudioError):
    """The model file does not exist; the message names it (and says when it is the bundled one)."""


@dataclass(frozen=True)
class PeerOptions:
    """What importing a peer checkpoint may need to be told, because the file does not record it.

    The fields are the keyword arguments of
    :func:`flowstudio.importers.import_checkpoint` (``hparams`` is its
    ``hparams_path``); ``None`` (and ``peer="auto"``) means "not given".
    """

    hparams: str | os.PathLike | None = None
    image_size: int | tuple[int, int] | None = None
    channels: int | None = None
    n_bits: int | None = None
    peer: str = "auto"

    def given(self) -> list[str]:
        """Names of the options that were set."""
        return [name for name, value in self.import_kwargs().items()
                if value is not None and not (name == "peer" and value == "auto")]

    def import_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :func:`flowstudio.importers.import_checkpoint`."""
        return {"hparams_path": self.hparams, "image_size": self.image_size, "channels": self.channels,
                "n_bits": self.n_bits, "peer": self.peer}


def is_peer_checkpoint(path: str | os.PathLike) -> bool:
    """Whether ``path`` is read by importing it (its suffix is one of :data:`PEER_SUFFIXES`)."""
    return Path(path).suffix.lower() in PEER_SUFFIXES


def open_model(path: str | os.PathLike | None = None, device: str = "auto",
               peer: PeerOptions | None = None) -> LoadedModel:
    """Load ``path`` (default: the bundled model) on ``device``; :func:`open_model_stages` run to the end."""
    stages = open_model_stages(path, device, peer)
    while True:
        try:
            next(stages)
        except StopIteration as done:
            return done.value


def open_model_stages(path: str | os.PathLike | None, device: str = "auto",
                      peer: PeerOptions | None = None) -> Generator[str, None, LoadedModel]:
    """Load a checkpoint stage by stage, yielding the name of each slow stage before it runs.

    The model exists only when the generator returns it, so a caller that
    stops between stages leaves nothing half-loaded and nothing changed.
    Stages: choosing the device (the first CUDA call can take seconds),
    reading the file (for a peer checkpoint: importing it), moving a peer
    model to the device, hashing the file.  ``peer`` applies to peer
    checkpoints only; given with a native one it is an error.
    """
    from flowstudio.resources import default_model_path

    path = Path(path) if path is not None else default_model_path()
    peer = peer or PeerOptions()
    if not path.exists():
        hint = "" if path != default_model_path() else " (the bundled model is missing: reinstall, or pass --model)"
        raise ModelNotFoundError(f"{path}: no such checkpoint{hint}")
    if not is_peer_checkpoint(path) and peer.given():
        raise UserInputError(f"{', '.join(peer.given())}: only for importing peer checkpoints "
                             f"({', '.join(PEER_SUFFIXES)}); {path.name} is a Flow Studio checkpoint, which "
                             "records its own settings")
    yield "choosing the device"
    from flowstudio import devices  # (looked up when called, so a test can hold the device choice)

    target = devices.resolve_device(device)
    if not is_peer_checkpoint(path):
        yield f"reading {path.name}"
        from flowstudio.checkpoint import load_checkpoint

        return load_checkpoint(path, target)
    yield f"importing {path.name}"
    model, card = _import(path, peer)
    yield f"moving the model to {target}"
    model = model.to(target).eval()
    yield f"hashing {path.name}"
    from flowstudio.checkpoint import LoadedModel, file_sha256

    return LoadedModel(model, card, path, file_sha256(path))


def _import(path: Path, peer: PeerOptions) -> tuple[Any, Any]:
    """Import a peer checkpoint; when it lacks a setting, the error says how to give it."""
    from flowstudio.importers import PeerImportError, import_checkpoint

    try:
        return import_checkpoint(path, **peer.import_kwargs())
    except PeerImportError as exc:
        if exc.needs is None:
            raise
        option = NEEDS_OPTIONS[exc.needs]
        raise PeerImportError(f"{exc}. On the command line add {option}, or convert the file once with "
                              f"`flowstudio import {path} {option} -o {path.stem}{NATIVE_SUFFIX}` "
                              "and open the converted file", needs=exc.needs) from None
