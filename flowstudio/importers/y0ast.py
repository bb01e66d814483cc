"""Import y0ast/Glow-PyTorch checkpoints (https://github.com/y0ast/Glow-PyTorch).

Files: ``train.py`` saves through ignite's ``ModelCheckpoint``: the model's
state_dict either alone (``glow_model_N.pth``, older ignite) or inside
``{"model": ..., "optimizer": ...}`` (newer ignite); the pretrained release
is a plain state_dict.  ``hparams.json`` beside it holds the argparse options
(``hidden_channels``, ``K``, ``L``, ``flow_permutation``, ``flow_coupling``,
``LU_decomposed``, ``learn_top``, ``y_condition``, ``dataset``, ...).

Semantics: those of chaiyujin/glow-pytorch, from which the code derives (see
:mod:`flowstudio.importers._flownet`), with other attribute names: the
coupling network is ``block``, ``Conv2d``/``Conv2dZeros`` wrap an inner
``.conv``, the LU factors are ``lower``/``upper``, the top prior conv is
``learn_top_fn`` and ``prior_h`` is a buffer.  Pixels: ``x = k / 2^n - 0.5``
with ``n_bits = 8`` (a module constant of ``datasets.py``, not saved;
``hparams["n_bits"]`` is honoured if present), so the config is ours:
``pixel_offset = -0.5``.  The datasets are CIFAR-10 and SVHN, both 32x32x3;
the image size is also read from ``prior_h``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch

from flowstudio.importers import _flownet
from flowstudio.importers._common import CALLER, resolve_image_size

PEER = "y0ast"
REPOSITORY = "https://github.com/y0ast/Glow-PyTorch"
NAMES = _flownet.Names(PEER, lower="lower", upper="upper", net="block", conv=".conv", top="learn_top_fn")
DATASETS = {"cifar10": ("CIFAR-10", (3, 32, 32)), "svhn": ("SVHN", (3, 32, 32))}


def detect(state: Mapping[str, Any]) -> bool:
    return _flownet.detect(state, NAMES)


def training_data(hparams: Mapping[str, Any] | None) -> str | None:
    dataset = str((hparams or {}).get("dataset", "")).lower()
    return DATASETS[dataset][0] if dataset in DATASETS else ((hparams or {}).get("dataset") or None)


def convert(state: Mapping[str, torch.Tensor], hparams: Mapping[str, Any] | None = None, *,
            image_size: Any = None, channels: int | None = None, n_bits: int | None = None,
            notes: list[str] | None = None) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """y0ast state_dict (+ optional hparams.json dict) -> ``(our Glow config, our float64 state_dict)``."""
    notes = notes if notes is not None else []
    hp = dict(hparams or {})
    stated = []
    dataset = str(hp.get("dataset", "")).lower()
    if dataset in DATASETS:
        stated.append((DATASETS[dataset][1], f"hparams (dataset={hp['dataset']})"))
    size = resolve_image_size(image_size)
    stated.append(((channels, *(size or (None, None))), CALLER))
    if n_bits is None:
        n_bits = int(hp.get("n_bits", 8))
        if "n_bits" not in hp:
            notes.append("n_bits = 8: y0ast's datasets.py constant (not stored in the checkpoint)")
    return _flownet.convert(state, NAMES, hp, stated=stated, n_bits=int(n_bits), pixel_offset=-0.5)
