"""Import rosinality/glow-pytorch checkpoints (https://github.com/rosinality/glow-pytorch).

Files: ``train.py`` saves ``model.state_dict()`` of an ``nn.DataParallel``,
so every key starts with ``module.`` (stripped before we get here).  Nothing
records the image size (``--img_size``, default 64) or ``--n_bits`` (default
5), and no hparams file is written: the image size must be given; n_bits
defaults to 5.  Pixels: ``x = floor(k / 2^(8-n)) / 2^n - 0.5``, our
convention (``pixel_offset = -0.5``).

Semantics (``model.py``), per block: squeeze (our order), ``n_flow`` x Flow,
then split.  Differences from our Glow, and how they are mapped:

* ActNorm is ``scale * (x + loc)`` with a *raw* scale and
  ``logdet = H W sum log|scale|``: ``bias = loc``, ``logs = log(scale)``;
  a scale <= 0 has no exact image in our ``exp(logs)`` and is refused.
* ``InvConv2dLU``: ``w_p @ (w_l * l_mask + I) @ (w_u * u_mask + diag(s_sign * exp(w_s)))``,
  ``w_s`` being ``log|s|``; the masks are saved buffers and must be the usual
  triangles.  ``--no_lu`` gives plain ``InvConv2d`` (``weight`` [C, C, 1, 1]),
  decomposed exactly; note the *last* block is always built with LU (the flag
  is not passed to it).
* Coupling: ``net`` = conv3x3 (bias, zero padding) -> ReLU -> conv1x1 -> ReLU ->
  ``ZeroConv2d``; affine output ``log_s, t = chunk(2)`` (halves, scale
  first!), ``s = sigmoid(log_s + 2)``, ``out_b = (in_b + t) * s``: identical to
  ours once the output rows are re-ordered so our ``0::2`` (shift) reads ``t``.
* ``ZeroConv2d`` pads with the value **1** (not 0) and has ``scale``
  [1, C, 1, 1] with ``exp(3 scale)``: our ZeroConv with ``pad_value = 1``.
* Priors: ``mean, log_sd = ZeroConv2d(...).chunk(2)`` (halves) -> re-ordered to
  our interleaved reading; the split prior sees the kept half, the top prior
  sees zeros (padded with ones, so it is position dependent): ours, copied.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import torch

from flowstudio.importers._common import (CALLER, GlowStateWriter, KeyReader, agree, check_image_size, glow_config,
                                          halves_to_cross, lu_from_matrix, lu_parts, resolve_image_size)
from flowstudio.importers.errors import PeerImportError

PEER = "rosinality"
REPOSITORY = "https://github.com/rosinality/glow-pytorch"
DEFAULT_N_BITS = 5


def detect(state: Mapping[str, Any]) -> bool:
    return any(k.startswith("blocks.") and ".flows." in k for k in state)


def training_data(hparams: Mapping[str, Any] | None) -> str | None:
    return None


def _count(state: Mapping[str, Any], pattern: str) -> list[int]:
    regex = re.compile(pattern)
    return sorted({int(m.group(1)) for k in state if (m := regex.match(k))})


def convert(state: Mapping[str, torch.Tensor], hparams: Mapping[str, Any] | None = None, *,
            image_size: Any = None, channels: int | None = None, n_bits: int | None = None,
            notes: list[str] | None = None) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """rosinality state_dict -> ``(our Glow config, our float64 state_dict)``.

    ``hparams`` is optional: a dict of train.py's argparse options (``img_size``,
    ``n_bits``, ``n_flow``, ``n_block``, ``affine``) if the user kept one.
    """
    notes = notes if notes is not None else []
    hp = dict(hparams or {})
    r = KeyReader(state, PEER)
    blocks = _count(state, r"blocks\.(\d+)\.")
    flows = _count(state, r"blocks\.0\.flows\.(\d+)\.")
    if not blocks or blocks != list(range(len(blocks))) or not flows or flows != list(range(len(flows))):
        raise PeerImportError(f"{PEER} checkpoint: blocks/flows are not numbered 0..n-1 ({blocks}, {flows})")
    n_levels, n_steps = len(blocks), len(flows)
    c_in = int(state["blocks.0.flows.0.actnorm.loc"].numel()) // 4
    hidden = int(state["blocks.0.flows.0.coupling.net.0.weight"].shape[0])
    affine = int(state["blocks.0.flows.0.coupling.net.4.conv.weight"].shape[0]) == 4 * c_in
    agree(PEER, "n_flow", n_steps, hp.get("n_flow"), "hparams")
    agree(PEER, "n_block", n_levels, hp.get("n_block"), "hparams")
    agree(PEER, "affine", affine, hp.get("affine"), "hparams")
    agree(PEER, "channels", c_in, channels, CALLER)

    out = GlowStateWriter()
    c = c_in
    for level in range(n_levels):
        c *= 4
        if _count(state, rf"blocks\.{level}\.flows\.(\d+)\.") != flows:
            raise PeerImportError(f"{PEER} checkpoint: block {level} does not have {n_steps} flows")
        for k in range(n_steps):
            pre = f"blocks.{level}.flows.{k}."
            scale = r.get(pre + "actnorm.scale", (1, c, 1, 1))
            if bool((scale <= 0).any()):
                raise PeerImportError(f"{PEER} checkpoint: {pre}actnorm.scale has entries <= 0; Flow Studio's "
                                      "ActNorm scale is exp(logs) > 0, so this model cannot be imported exactly")
            if r.has(pre + "actnorm.initialized") and int(r.get(pre + "actnorm.initialized")) == 0:
                raise PeerImportError(f"{PEER} checkpoint: {pre}actnorm was never initialised (the peer would "
                                      "re-initialise it from the first batch it sees); import a trained model")
            out.actnorm(level, k, r.get(pre + "actnorm.loc", (1, c, 1, 1)), torch.log(scale))
            inv = pre + "invconv."
            if r.has(inv + "weight"):
                parts = lu_from_matrix(r.get(inv + "weight", (c, c, 1, 1))[:, :, 0, 0], f"{PEER} {inv}weight")
            else:
                u_mask = torch.triu(torch.ones(c, c, dtype=torch.float64), 1)
                eye = torch.eye(c, dtype=torch.float64)
                for name, want in (("u_mask", u_mask), ("l_mask", u_mask.T), ("l_eye", eye)):
                    if not torch.equal(r.get(inv + name, (c, c)), want):
                        raise PeerImportError(f"{PEER} checkpoint: {inv}{name} is not the standard mask")
                parts = lu_parts(r.get(inv + "w_p", (c, c)), r.get(inv + "w_l", (c, c)), r.get(inv + "w_u", (c, c)),
                                 r.get(inv + "w_s", (c,)), r.get(inv + "s_sign", (c,)))
            out.invconv(level, k, parts)
            net, n_out = pre + "coupling.net.", c if affine else c // 2
            out.coupling(level, k,
                         (r.get(net + "0.weight", (hidden, c // 2, 3, 3)), r.get(net + "0.bias", (hidden,))),
                         (r.get(net + "2.weight", (hidden, hidden, 1, 1)), r.get(net + "2.bias", (hidden,))),
                         (r.get(net + "4.conv.weight", (n_out, hidden, 3, 3)), r.get(net + "4.conv.bias", (n_out,)),
                          r.get(net + "4.scale", (1, n_out, 1, 1))),
                         order=halves_to_cross(n_out, swap=True) if affine else None)
        split = level < n_levels - 1
        c_prior_in, c_prior_out = (c // 2, c) if split else (c, 2 * c)
        pre = f"blocks.{level}.prior."
        out.prior(level, r.get(pre + "conv.weight", (c_prior_out, c_prior_in, 3, 3)),
                  r.get(pre + "conv.bias", (c_prior_out,)), r.get(pre + "scale", (1, c_prior_out, 1, 1)),
                  order=halves_to_cross(c_prior_out))
        if split:
            c //= 2
    r.check_all_used()

    size = resolve_image_size(image_size)
    if "img_size" in hp:
        stated = (int(hp["img_size"]),) * 2
        if size is not None and size != stated:
            raise PeerImportError(f"image size {size[0]}x{size[1]} differs from the hparams' img_size "
                                  f"{stated[0]}; give one of them only")
        size = stated
    if size is None:
        raise PeerImportError(f"{PEER} checkpoints do not record the image size (train.py --img_size, default "
                              "64); pass image_size", needs="image_size")
    check_image_size(size, n_levels)  # the weights are convolutions: any size their squeezes can halve fits
    if n_bits is None:
        n_bits = int(hp.get("n_bits", DEFAULT_N_BITS))
        if "n_bits" not in hp:
            notes.append(f"n_bits = {DEFAULT_N_BITS}: rosinality's train.py default (not stored in the checkpoint); "
                         "pass n_bits if the model was trained with another --n_bits")
    config = glow_config(c_in, size[0], size[1], n_levels, n_steps, hidden, affine, pad_value=1.0,
                         n_bits=int(n_bits), pixel_offset=-0.5)
    return config, out.state
