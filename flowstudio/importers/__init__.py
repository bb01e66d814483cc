"""Import Glow checkpoints trained with the public PyTorch implementations.

Supported peers (one hand-written converter each, because every one of them
parameterises the same model differently; the module docstrings list the
exact semantics and mappings):

* ``y0ast``      - https://github.com/y0ast/Glow-PyTorch      (:mod:`.y0ast`)
* ``rosinality`` - https://github.com/rosinality/glow-pytorch (:mod:`.rosinality`)
* ``chaiyujin``  - https://github.com/chaiyujin/glow-pytorch  (:mod:`.chaiyujin`)

Every conversion is exact: the imported model computes the peer's log-density
(up to float rounding; see :mod:`.chaiyujin` for its pixel-scale fold) and its
``eps`` is the peer's per-level latents standardised by the peer's priors.
Files are read with :func:`flowstudio.importers.safe_load.load_untrusted`,
which never unpickles code.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from flowstudio.checkpoint import default_card
from flowstudio.importers import chaiyujin, rosinality, y0ast
from flowstudio.importers.errors import PeerImportError
from flowstudio.importers.safe_load import load_hparams, load_untrusted
from flowstudio.models import ImageFlow, build_model

PEERS = {"y0ast": y0ast, "rosinality": rosinality, "chaiyujin": chaiyujin}
CONTAINER_KEYS = ("graph", "state_dict", "model_state_dict", "model", "net", "module")


def _is_state_dict(obj: Any) -> bool:
    return isinstance(obj, Mapping) and bool(obj) and all(
        isinstance(k, str) and isinstance(v, torch.Tensor) for k, v in obj.items())


def unwrap_state_dict(obj: Any, name: str = "checkpoint") -> dict[str, torch.Tensor]:
    """Find the model's state_dict in a loaded file and strip DataParallel's ``module.`` prefix.

    Handles a plain state_dict (rosinality, y0ast/older ignite), chaiyujin's
    ``.pkg`` (``"graph"``), newer ignite's ``{"model", "optimizer"}`` and the
    common ``"state_dict"`` / ``"model_state_dict"`` wrappers.
    """
    for _ in range(4):
        if _is_state_dict(obj):
            break
        inner = next((obj[k] for k in CONTAINER_KEYS if isinstance(obj, Mapping) and isinstance(obj.get(k), Mapping)),
                     None)
        if inner is None:
            keys = list(obj)[:8] if isinstance(obj, Mapping) else type(obj).__name__
            raise PeerImportError(f"{name}: no model state_dict found (top level: {keys})")
        obj = inner
    else:
        raise PeerImportError(f"{name}: no model state_dict found (nested too deeply)")
    return {k[len("module."):] if k.startswith("module.") else k: v for k, v in obj.items()}


def detect_peer(state: Mapping[str, Any], name: str = "checkpoint") -> str:
    """Name of the peer whose key layout ``state`` follows, or a :class:`PeerImportError`."""
    if any(k.startswith("levels.") and ".steps." in k for k in state):
        raise PeerImportError(f"{name}: this already has Flow Studio's native layout; save it with "
                              "flowstudio.checkpoint.save_checkpoint and open it directly instead of importing it")
    found = [peer for peer, module in PEERS.items() if module.detect(state)]
    if len(found) != 1:
        keys = ", ".join(list(state)[:5])
        what = "matches several peers" if found else "has an unknown key layout"
        raise PeerImportError(f"{name}: {what} (keys: {keys}, ...); supported: {', '.join(PEERS)}")
    return found[0]


def import_checkpoint(path: str | os.PathLike, *, hparams_path: str | os.PathLike | None = None,
                      image_size: int | tuple[int, int] | None = None, channels: int | None = None,
                      n_bits: int | None = None, peer: str = "auto") -> tuple[ImageFlow, dict[str, Any]]:
    """Import a peer Glow checkpoint as an eval-mode Flow Studio model plus its model card.

    ``hparams_path`` defaults, for y0ast, to the ``hparams.json`` its train.py
    writes beside the checkpoints.  ``image_size`` (int or ``(H, W)``) is
    required for rosinality, whose checkpoints do not record it; for the others
    it (and ``channels``) is only checked against the weights.  ``n_bits``
    overrides the peer's default (rosinality 5, y0ast 8; chaiyujin is always 8).
    ``peer`` is ``"auto"`` (detected from key names) or one of :data:`PEERS`.
    """
    path = Path(path)
    state = unwrap_state_dict(load_untrusted(path), path.name)
    if peer == "auto":
        peer = detect_peer(state, path.name)
    elif peer not in PEERS:
        raise PeerImportError(f"unknown peer {peer!r}; supported: {', '.join(PEERS)}")
    elif not PEERS[peer].detect(state):
        raise PeerImportError(f"{path.name}: does not look like a {peer} checkpoint (keys: "
                              f"{', '.join(list(state)[:5])}, ...)")
    module = PEERS[peer]

    if hparams_path is None and peer == "y0ast" and (path.parent / "hparams.json").is_file():
        hparams_path = path.parent / "hparams.json"
    hparams = load_hparams(hparams_path) if hparams_path is not None else None

    if n_bits is not None and not 1 <= int(n_bits) <= 8:
        raise PeerImportError(f"n_bits must be between 1 and 8, not {n_bits}")
    notes: list[str] = []
    try:
        config, ours = module.convert(state, hparams, image_size=image_size, channels=channels, n_bits=n_bits,
                                      notes=notes)
        model = build_model(config)
    except PeerImportError as exc:
        raise PeerImportError(f"{path.name}: {exc}", needs=exc.needs) from None
    except (RuntimeError, ValueError, IndexError, KeyError, TypeError) as exc:
        raise PeerImportError(f"{path.name}: inconsistent {peer} checkpoint ({exc})") from None
    try:
        model.load_state_dict(ours, strict=True)
    except RuntimeError as exc:
        detail = next((line.strip() for line in str(exc).splitlines()[1:] if line.strip()), str(exc))
        raise PeerImportError(f"{path.name}: converted weights do not fit the inferred architecture "
                              f"(shape mismatch: {detail})") from None
    model.eval()

    data = module.training_data(hparams)
    card = default_card(
        model,
        name=path.stem,
        training_data=f"{data} (per hparams; imported from {peer})" if data else f"unknown (imported from {peer})",
        licence=f"weights from a {peer} checkpoint ({module.REPOSITORY}); check the original licence and "
                "the licence of its training data",
        source_file=path.name,
        hparams_file=Path(hparams_path).name if hparams_path is not None else None,
        peer=peer,
        peer_repository=module.REPOSITORY,
        import_notes=notes,
    )
    return model, card


__all__ = ["PEERS", "PeerImportError", "detect_peer", "import_checkpoint", "load_untrusted", "unwrap_state_dict"]
