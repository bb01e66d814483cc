"""Walker for the ``flow.layers`` layout of chaiyujin/glow-pytorch and y0ast/Glow-PyTorch.

y0ast's repository is derived from chaiyujin's: the mathematics is the same,
only attribute names differ (see :class:`Names`).  Semantics, as read from
both sources:

* ``flow.layers`` is one flat list: per level a ``SqueezeLayer`` (no tensors,
  the same space-to-depth order as ours), K ``FlowStep`` s and, except at the
  last level, a ``Split2d``.  Layer ``i`` of level ``l`` is therefore at index
  ``l (K + 2) + i``; we check that every index is where it must be.
* ``FlowStep`` = ActNorm ``(x + bias) * exp(logs)`` (ours exactly), then a
  permutation, then a coupling on channel halves ``[z1 | z2]`` with
  ``h = NN(z1)``: additive ``z2 + h``; affine ``shift = h[:, 0::2]``,
  ``scale = sigmoid(h[:, 1::2] + 2)``, ``z2 = (z2 + shift) * scale`` (ours
  exactly, so the coupling output rows keep their order).
* The permutation is an ``InvertibleConv1x1`` (full ``weight`` [C, C], or LU
  ``p``, lower, upper, ``log_s``, ``sign_s`` with the same formula as ours), or
  a ``Permute2d``: "reverse" is a fixed reversal of channels (imported as an
  exact permutation matrix); "shuffle" draws random indices that are *not
  saved* in the state_dict, so it cannot be imported.  Neither leaves a tensor,
  so telling them apart needs the hparams file.
* ``NN`` = Conv2d 3x3 (no bias, zero padding) + ActNorm, ReLU, Conv2d 1x1 +
  ActNorm, ReLU, Conv2dZeros 3x3 (bias, zero padding, output times
  ``exp(3 logs)``).  Each conv+ActNorm is folded into one conv with bias.
* ``Split2d`` keeps the first half, and scores the second under
  ``mean = h[:, 0::2]``, ``logs = h[:, 1::2]``, ``h = Conv2dZeros(kept)``: ours.
* The top prior starts from ``prior_h``, a zero tensor [B, 2C, H, W] (a buffer
  in y0ast, a never-trained parameter in chaiyujin); with ``learn_top`` it is
  ``h = Conv2dZeros(2C -> 2C)(prior_h)``, and ``mean, logs = h[:, :C], h[:, C:]``
  (channel *halves*, unlike the split prior).  On a zero input with zero
  padding that conv is its bias times ``exp(3 logs)``, so only those two
  tensors matter; we write zero weights and re-order bias and logs from halves
  to our interleaved reading.  ``prior_h``'s spatial size also tells the image
  size.
* A class-conditional model (``y_condition``: ``project_ycond`` /
  ``project_class``) is refused: Flow Studio imports unconditional flows.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import torch

from flowstudio.importers._common import (CALLER, GlowStateWriter, KeyReader, agree, check_image_size, fold_actnorm,
                                          glow_config, halves_to_cross, image_size_mismatch, lu_from_matrix, lu_parts,
                                          reversal_matrix)
from flowstudio.importers.errors import PeerImportError

LAYER = re.compile(r"flow\.layers\.(\d+)\.")


@dataclass(frozen=True)
class Names:
    """Where the two repositories put the same tensors."""

    peer: str
    lower: str   # LU factors of InvertibleConv1x1
    upper: str
    net: str     # the coupling network (an nn.Sequential)
    conv: str    # "" when Conv2d/Conv2dZeros subclass nn.Conv2d, ".conv" when they wrap one
    top: str     # the learn_top Conv2dZeros


def detect(state: Mapping[str, Any], names: Names) -> bool:
    pattern = re.compile(rf"flow\.layers\.\d+\.{names.net}\.4{re.escape(names.conv)}\.weight$")
    return any(pattern.match(k) for k in state)


def glow_hparams(hparams: Mapping[str, Any] | None) -> dict[str, Any]:
    """The Glow section of a peer hparams file (chaiyujin nests it under "Glow", y0ast does not)."""
    if not hparams:
        return {}
    section = hparams.get("Glow", hparams)
    return dict(section) if isinstance(section, Mapping) else {}


def _levels(state: Mapping[str, Any], peer: str) -> list[tuple[list[int], int | None]]:
    """Group layer indices into levels ``(step indices, split index or None)`` and check their places."""
    indices = sorted({int(m.group(1)) for k in state if (m := LAYER.match(k))})
    levels: list[tuple[list[int], int | None]] = []
    steps: list[int] = []
    for i in indices:
        if f"flow.layers.{i}.actnorm.bias" in state:
            steps.append(i)
        elif any(k.startswith(f"flow.layers.{i}.conv.") for k in state):
            levels.append((steps, i))
            steps = []
        else:
            raise PeerImportError(f"{peer} checkpoint: layer flow.layers.{i} is neither a flow step nor a split")
    levels.append((steps, None))
    k = len(levels[0][0])
    for level, (step_idx, split_idx) in enumerate(levels):
        base = level * (k + 2)
        want_split = base + k + 1 if level < len(levels) - 1 else None
        if k == 0 or step_idx != list(range(base + 1, base + k + 1)) or split_idx != want_split:
            raise PeerImportError(f"{peer} checkpoint: flow.layers does not have the squeeze / K steps / split "
                                  f"pattern at level {level} (K = {k}); layers seen: {indices}")
    return levels


def convert(state: Mapping[str, torch.Tensor], names: Names, hparams: Mapping[str, Any] | None, *,
            stated: list[tuple[tuple[int | None, int | None, int | None], str]], n_bits: int,
            pixel_offset: float) -> tuple[dict[str, Any], dict[str, torch.Tensor]]:
    """Convert a chaiyujin-layout state_dict.

    ``stated`` lists image shapes ``(C, H, W)`` (entries may be None) claimed by
    the hparams file or the caller, each with its source; they must agree with
    the weights, and give the image size when the checkpoint has no ``prior_h``.
    """
    peer, hp = names.peer, glow_hparams(hparams)
    if hp.get("y_condition") or any(k.startswith(("project_ycond.", "project_class.")) for k in state):
        raise PeerImportError(f"{peer} checkpoint is class-conditional (y_condition); Flow Studio imports "
                              "unconditional Glow models only")
    r = KeyReader(state, peer)
    levels = _levels(state, peer)
    n_levels, n_steps = len(levels), len(levels[0][0])
    first = f"flow.layers.{levels[0][0][0]}."
    channels = int(state[first + "actnorm.bias"].numel()) // 4
    hidden = int(state[f"{first}{names.net}.0{names.conv}.weight"].shape[0])
    affine = int(state[f"{first}{names.net}.4{names.conv}.weight"].shape[0]) == 4 * channels
    permutation = hp.get("flow_permutation")
    for what, inferred, key in (("K", n_steps, "K"), ("L", n_levels, "L"), ("hidden_channels", hidden,
                                "hidden_channels"), ("flow_coupling", "affine" if affine else "additive",
                                "flow_coupling")):
        agree(peer, what, inferred, hp.get(key), "hparams")

    out = GlowStateWriter()
    c = channels
    for level, (step_idx, split_idx) in enumerate(levels):
        c *= 4
        for k, i in enumerate(step_idx):
            pre = f"flow.layers.{i}."
            out.actnorm(level, k, r.get(pre + "actnorm.bias", (1, c, 1, 1)), r.get(pre + "actnorm.logs", (1, c, 1, 1)))
            if r.has(pre + "invconv.weight") or r.has(pre + "invconv.p"):
                agree(peer, "flow_permutation", "invconv", permutation, "hparams")
            if r.has(pre + "invconv.weight"):
                agree(peer, "LU_decomposed", False, hp.get("LU_decomposed"), "hparams")
                parts = lu_from_matrix(r.get(pre + "invconv.weight", (c, c)), f"{peer} {pre}invconv")
            elif r.has(pre + "invconv.p"):
                agree(peer, "LU_decomposed", True, hp.get("LU_decomposed"), "hparams")
                parts = lu_parts(r.get(pre + "invconv.p", (c, c)), r.get(f"{pre}invconv.{names.lower}", (c, c)),
                                 r.get(f"{pre}invconv.{names.upper}", (c, c)), r.get(pre + "invconv.log_s", (c,)),
                                 r.get(pre + "invconv.sign_s", (c,)))
            elif permutation == "reverse":
                parts = lu_from_matrix(reversal_matrix(c), peer)
            elif permutation == "shuffle":
                raise PeerImportError(f"{peer} checkpoint uses flow_permutation 'shuffle', whose random channel "
                                      "order is not saved in the checkpoint, so it cannot be imported")
            else:
                raise PeerImportError(f"{peer} checkpoint has no 1x1 convolution (a fixed 'reverse' or random "
                                      "'shuffle' permutation); pass its hparams file so the importer can tell which",
                                      needs="hparams")
            out.invconv(level, k, parts)
            net, half = f"{pre}{names.net}", c // 2
            conv1 = fold_actnorm(r.get(f"{net}.0{names.conv}.weight", (hidden, half, 3, 3)),
                                 r.get(f"{net}.0.actnorm.bias", (1, hidden, 1, 1)),
                                 r.get(f"{net}.0.actnorm.logs", (1, hidden, 1, 1)))
            conv2 = fold_actnorm(r.get(f"{net}.2{names.conv}.weight", (hidden, hidden, 1, 1)),
                                 r.get(f"{net}.2.actnorm.bias", (1, hidden, 1, 1)),
                                 r.get(f"{net}.2.actnorm.logs", (1, hidden, 1, 1)))
            n_out = c if affine else half
            out.coupling(level, k, conv1, conv2, (r.get(f"{net}.4{names.conv}.weight", (n_out, hidden, 3, 3)),
                                                  r.get(f"{net}.4{names.conv}.bias", (n_out,)),
                                                  r.get(f"{net}.4.logs", (n_out, 1, 1))))
        if split_idx is not None:
            pre = f"flow.layers.{split_idx}.conv"
            out.prior(level, r.get(f"{pre}{names.conv}.weight", (c, c // 2, 3, 3)),
                      r.get(f"{pre}{names.conv}.bias", (c,)), r.get(f"{pre}.logs", (c, 1, 1)))
            c //= 2

    # Top prior (c channels at spatial size H/2^L, W/2^L).
    height = width = None
    if r.has("prior_h"):
        prior_h = r.get("prior_h")
        if prior_h.dim() != 4 or prior_h.shape[1] != 2 * c:
            raise PeerImportError(f"{peer} checkpoint: prior_h has shape {tuple(prior_h.shape)}, expected "
                                  f"[B, {2 * c}, H, W] (shape mismatch)")
        if bool(prior_h.ne(0).any()):
            raise PeerImportError(f"{peer} checkpoint: prior_h is not zero; the peer's own code never changes "
                                  "it, and a non-zero value cannot be imported exactly")
        height, width = int(prior_h.shape[2]) << n_levels, int(prior_h.shape[3]) << n_levels
    if r.has(f"{names.top}.logs"):
        agree(peer, "learn_top", True, hp.get("learn_top"), "hparams")
        r.skip(f"{names.top}{names.conv}.weight")  # multiplies the all-zero prior_h: no effect
        bias, logs = r.get(f"{names.top}{names.conv}.bias", (2 * c,)), r.get(f"{names.top}.logs", (2 * c, 1, 1))
    else:
        agree(peer, "learn_top", False, hp.get("learn_top"), "hparams")
        bias = logs = torch.zeros(2 * c, dtype=torch.float64)
    out.prior(n_levels - 1, torch.zeros(2 * c, c, 3, 3, dtype=torch.float64), bias, logs,
              order=halves_to_cross(2 * c))
    r.check_all_used()

    from_weights = height is not None
    for (stated_c, stated_h, stated_w), source in stated:
        agree(peer, "channels", channels, stated_c, source)
        if stated_h is None:
            continue
        if height is None:
            check_image_size((stated_h, stated_w), n_levels)
            height, width = stated_h, stated_w
        elif from_weights and source == CALLER and (stated_h, stated_w) != (height, width):
            raise image_size_mismatch((stated_h, stated_w), (height, width))
        agree(peer, "image size", (height, width), (stated_h, stated_w), source)
    if height is None:
        raise PeerImportError(f"{peer} checkpoint has no prior_h to tell the image size; pass image_size",
                              needs="image_size")
    config = glow_config(channels, height, width, n_levels, n_steps, hidden, affine, pad_value=0.0,
                         n_bits=n_bits, pixel_offset=pixel_offset)
    return config, out.state
