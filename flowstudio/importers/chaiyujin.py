"""Import chaiyujin/glow-pytorch checkpoints (https://github.com/chaiyujin/glow-pytorch).

Files: ``glow/utils.py:save`` writes a ``.pkg`` = ``torch.save`` of
``{"global_step", "graph": model.state_dict(), "optim", "criterion"}``
(DataParallel already unwrapped); the architecture lives in a separate JSON
file (``hparams/celeba.json``) whose ``"Glow"`` section has ``image_shape``
as ``[H, W, C]``, ``hidden_channels``, ``K``, ``L``, ``flow_permutation``,
``flow_coupling``, ``LU_decomposed``, ``learn_top``, ``y_condition``.  The
image size is also read from ``prior_h`` (a zero *parameter*
[batch/devices, 2C, H, W]), so the hparams file is only needed for a model
without 1x1 convolutions.

Semantics: see :mod:`flowstudio.importers._flownet`; here ``Conv2d`` and
``Conv2dZeros`` subclass ``nn.Conv2d`` (keys ``f.0.weight``,
``f.0.actnorm.bias``, ``f.4.logs``), the LU factors are ``l``/``u`` and the
top prior conv is ``learn_top``.

Pixels: images come straight from ``ToTensor``, ``x = k / 255`` in [0, 1], 8
bits, dequantised with Gaussian noise of std 1/256.  Our convention puts pixel
``k`` at the bin centre ``(k + 0.5) / 256`` with ``pixel_offset = 0``; the
affine map between the two, ``x_peer = (256 x - 0.5) / 255``, is folded
exactly into the first ActNorm (``rescale_255=True``, the default), so our
preprocessing feeds the network exactly the values it was trained on and our
``postprocess`` inverts ``ToTensor`` (``k = round(255 x_peer)``).  Densities
then differ from the peer's by that map's Jacobian, ``D log(256/255)`` nats
(``D = C H W``): our discrete likelihood uses bins of width 1/255 in the
peer's pixel space, which are the true bins of its data.
``rescale_255=False`` keeps the peer's function of ``x`` unchanged instead
(pixels read as ``k / 256``).

The peer's reported nll is not bits/dim.  ``Glow.normal_flow`` counts
``pixels = thops.pixels(x) = H W`` (pixels, not the ``D = C H W`` values),
charges ``-H W log 256`` for the discretisation (not ``-D log 256``) and
reports ``nll = -(log p(x~) - H W log 256) / (H W log 2)``, with ``log p`` the
continuous log-density of the noisy input ``x~`` in its pixel space: bits per
*pixel*, missing ``8 (C - 1)`` bits per pixel of discretisation cost.  With
``log p_ours = log p + D log(256/255)`` (above) and our
``bits/dim = -(log p_ours - 8 D log 2) / (D log 2)``, the two are related by::

    bits/dim (ours) = nll / C + 8 (C - 1) / C - log2(256/255)

(:func:`peer_nll_to_bits_per_dim`; for RGB ``nll / 3 + 5.3277``, for grey
``nll - 0.0056``).  This is exact for the peer's objective at a given input;
the values the peer logs during training are measured at noisy inputs
(random Gaussian dequantisation, batch means), ours at the bin centres, so
converted training logs agree only approximately with ``flowstudio score``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from flowstudio.importers import _flownet
from flowstudio.importers._common import CALLER, fold_input_affine, resolve_image_size
from flowstudio.importers.errors import PeerImportError

PEER = "chaiyujin"
REPOSITORY = "https://github.com/chaiyujin/glow-pytorch"
NAMES = _flownet.Names(PEER, lower="l", upper="u", net="f", conv="", top="learn_top")
PIXEL_SCALE = 256.0 / 255.0        # x_peer = PIXEL_SCALE * x + PIXEL_SHIFT
PIXEL_SHIFT = -0.5 / 255.0


def peer_nll_to_bits_per_dim(nll: float, channels: int) -> float:
    """Our bits/dim of an image (after the default ``rescale_255`` import) from the nll the peer reports for it.

    ``nll`` is the peer's bits per *pixel* with ``H W log 256`` charged (see the
    module docstring): ``nll / C + 8 (C - 1) / C - log2(256/255)``.
    """
    return nll / channels + 8 * (channels - 1) / channels - math.log2(PIXEL_SCALE)


def detect(state: Mapping[str, Any]) -> bool:
    return _flownet.detect(state, NAMES)


def training_data(hparams: Mapping[str, Any] | None) -> str | None:
    return None  # the hparams file does not name the data set


def convert(state: Mapping[str, torch.Tensor], hparams: Mapping[str, Any] | None = None, *,
            image_size: Any = None, channels: int | None = None, n_bits: int | None = None,
            notes: list[str] | None = None, rescale_255: bool = True
            ) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """chaiyujin state_dict (+ optional hparams dict) -> ``(our Glow config, our float64 state_dict)``."""
    notes = notes if notes is not None else []
    if n_bits not in (None, 8):
        raise PeerImportError("chaiyujin checkpoints are trained on 8-bit images (ToTensor); n_bits must be 8")
    stated = []
    shape = _flownet.glow_hparams(hparams).get("image_shape")
    if shape is not None:
        h, w, c = (int(v) for v in shape)
        stated.append(((c, h, w), "hparams (Glow.image_shape)"))
    size = resolve_image_size(image_size)
    stated.append(((channels, *(size or (None, None))), CALLER))
    config, ours = _flownet.convert(state, NAMES, hparams, stated=stated, n_bits=8, pixel_offset=0.0)
    if rescale_255:
        key = "levels.0.steps.0.actnorm."
        ours[key + "bias"], ours[key + "logs"] = fold_input_affine(ours[key + "bias"], ours[key + "logs"],
                                                                   PIXEL_SCALE, PIXEL_SHIFT)
        notes.append("pixels: the peer's ToTensor scale x = k/255 is folded into the first ActNorm, so pixel k "
                     "is read at our bin centre (k + 0.5)/256 as the peer's k/255; log-densities gain "
                     "D*log(256/255) over the peer's")
    return config, ours
