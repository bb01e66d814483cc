"""Shared, exact parameter transformations used by all three peer converters.

Every converter reads the peer's tensors in float64, rewrites them into Flow
Studio's parameterisation with the helpers below and returns a float64
state_dict (``load_state_dict`` casts it to the model's dtype).  The rewrites
are identities of the functions computed, not approximations:

* :func:`fold_actnorm` - a bias-free conv followed by ActNorm,
  ``(W * x + b) * exp(s)``, is one conv with weight ``W * exp(s)`` and bias
  ``b * exp(s)`` (per output channel).
* :func:`halves_to_cross` - peers that split a network output into channel
  halves ``[a | b]`` are read by our layers as ``a = h[:, 0::2]``,
  ``b = h[:, 1::2]``; permuting the output rows of the producing conv (weight,
  bias and per-channel log-scale together) makes the two readings coincide.
* :func:`lu_parts` / :func:`lu_from_matrix` - our invertible 1x1 conv stores
  ``W = P (L + I) (U + diag(sign * exp(log_s)))``.  LU-parameterised peers
  map term by term (masked as the peers mask them); a full matrix (non-LU
  peers, and fixed channel reversals) is decomposed exactly with
  ``torch.linalg.lu`` in float64.
* :func:`fold_input_affine` - an affine change of pixel scale
  ``x_peer = a x + c`` is absorbed by the first ActNorm.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import torch

from flowstudio.importers.errors import PeerImportError
from flowstudio.models.glow import GlowConfig

F64 = torch.float64


class KeyReader:
    """Read a peer state_dict by exact key, in float64, remembering what was used.

    :meth:`check_all_used` then refuses keys the converter did not understand,
    so an unknown variant of a peer is never imported with parts silently dropped.
    """

    def __init__(self, state: Mapping[str, torch.Tensor], peer: str):
        self.state = state
        self.peer = peer
        self.used: set[str] = set()

    def has(self, key: str) -> bool:
        return key in self.state

    def get(self, key: str, shape: tuple[int, ...] | None = None) -> torch.Tensor:
        if key not in self.state:
            raise PeerImportError(f"{self.peer} checkpoint is missing {key!r}")
        self.used.add(key)
        value = self.state[key].detach().to(F64)
        if shape is not None and tuple(value.shape) != tuple(shape):
            raise PeerImportError(f"{self.peer} checkpoint: {key!r} has shape {tuple(value.shape)}, "
                                  f"expected {tuple(shape)} (shape mismatch)")
        return value

    def skip(self, *keys: str) -> None:
        """Mark keys whose content is checked elsewhere or does not change the function."""
        self.used.update(k for k in keys if k in self.state)

    def check_all_used(self) -> None:
        left = sorted(set(self.state) - self.used)
        if left:
            shown = ", ".join(left[:6]) + (", ..." if len(left) > 6 else "")
            raise PeerImportError(f"{self.peer} checkpoint has {len(left)} tensors this importer does not "
                                  f"understand ({shown}); refusing a partial import")


def fold_actnorm(weight: torch.Tensor, an_bias: torch.Tensor, an_logs: torch.Tensor
                 ) -> tuple[torch.Tensor, torch.Tensor]:
    """``ActNorm(conv(x; W, no bias))`` as one conv: ``(W e^s, b e^s)`` per output channel."""
    scale = torch.exp(an_logs.reshape(-1))
    return weight * scale.view(-1, 1, 1, 1), an_bias.reshape(-1) * scale


def halves_to_cross(n: int, swap: bool = False) -> torch.Tensor:
    """Row order so that our ``0::2`` / ``1::2`` reading sees the peer's first / second half.

    With ``swap`` our ``0::2`` sees the peer's *second* half (rosinality's coupling
    emits ``[log_s | t]`` while our ``0::2`` is the shift ``t``).
    """
    half = n // 2
    first, second = torch.arange(half), torch.arange(half, n)
    order = torch.empty(n, dtype=torch.long)
    order[0::2], order[1::2] = (second, first) if swap else (first, second)
    return order


def lu_parts(p: torch.Tensor, lower: torch.Tensor, upper: torch.Tensor, log_s: torch.Tensor,
             sign_s: torch.Tensor) -> dict[str, torch.Tensor]:
    """Our InvConv1x1 tensors from a peer's LU factors (entries the peer masks out are dropped)."""
    return {"p": p, "lower": torch.tril(lower, -1), "upper": torch.triu(upper, 1),
            "log_s": log_s.reshape(-1), "sign_s": sign_s.reshape(-1)}


def lu_from_matrix(weight: torch.Tensor, what: str) -> dict[str, torch.Tensor]:
    """Exact float64 LU decomposition ``W = P L U`` of a full 1x1-conv matrix into our parameters."""
    p, lower, upper = torch.linalg.lu(weight.to(F64))
    diag = torch.diagonal(upper)
    if bool((diag == 0).any()):
        raise PeerImportError(f"{what}: the 1x1 convolution matrix is singular, so the flow is not invertible")
    return lu_parts(p, lower, upper, torch.log(diag.abs()), torch.sign(diag))


def reversal_matrix(channels: int) -> torch.Tensor:
    """The 1x1-conv matrix of ``x[:, ::-1]`` (a fixed channel reversal, openai/glow's "reverse")."""
    return torch.eye(channels, dtype=F64).flip(0)


def fold_input_affine(bias: torch.Tensor, logs: torch.Tensor, a: float, c: float
                      ) -> tuple[torch.Tensor, torch.Tensor]:
    """ActNorm parameters that give on ``x`` what the peer's gave on ``a x + c``.

    ``(a x + c + b) e^s = (x + (b + c) / a) e^(s + log a)``; the log-density in
    ``x`` then includes the Jacobian ``D log a`` of the change of pixel scale.
    """
    return (bias + c) / a, logs + math.log(a)


class GlowStateWriter:
    """Writes our Glow's state_dict keys, one peer layer at a time."""

    def __init__(self) -> None:
        self.state: dict[str, torch.Tensor] = {}

    def actnorm(self, level: int, step: int, bias: torch.Tensor, logs: torch.Tensor) -> None:
        pre = f"levels.{level}.steps.{step}.actnorm."
        self.state[pre + "bias"] = bias.reshape(1, -1, 1, 1).to(F64)
        self.state[pre + "logs"] = logs.reshape(1, -1, 1, 1).to(F64)
        self.state[pre + "initialized"] = torch.tensor(1, dtype=torch.uint8)

    def invconv(self, level: int, step: int, parts: dict[str, torch.Tensor]) -> None:
        pre = f"levels.{level}.steps.{step}.invconv."
        for name, value in parts.items():
            self.state[pre + name] = value.to(F64)

    def coupling(self, level: int, step: int, conv1: tuple[torch.Tensor, torch.Tensor],
                 conv2: tuple[torch.Tensor, torch.Tensor], out: tuple[torch.Tensor, ...],
                 order: torch.Tensor | None = None) -> None:
        pre = f"levels.{level}.steps.{step}.coupling.net."
        for name, (w, b) in (("conv1", conv1), ("conv2", conv2)):
            self.state[f"{pre}{name}.weight"], self.state[f"{pre}{name}.bias"] = w, b.reshape(-1)
        self._zero_conv(pre + "out.", *out, order=order)

    def prior(self, level: int, weight: torch.Tensor, bias: torch.Tensor, logs: torch.Tensor,
              order: torch.Tensor | None = None) -> None:
        self._zero_conv(f"levels.{level}.prior.conv.", weight, bias, logs, order=order)

    def _zero_conv(self, pre: str, weight: torch.Tensor, bias: torch.Tensor, logs: torch.Tensor,
                   order: torch.Tensor | None) -> None:
        bias, logs = bias.reshape(-1), logs.reshape(-1)
        if order is not None:
            weight, bias, logs = weight[order], bias[order], logs[order]
        self.state[pre + "conv.weight"], self.state[pre + "conv.bias"] = weight, bias
        self.state[pre + "logs"] = logs


def glow_config(channels: int, height: int, width: int, levels: int, steps: int, hidden: int, affine: bool,
                pad_value: float, n_bits: int, pixel_offset: float) -> GlowConfig:
    return GlowConfig(image_shape=(channels, height, width), levels=levels, steps=steps, hidden=hidden,
                      coupling="affine" if affine else "additive", pad_value=pad_value, n_bits=n_bits,
                      pixel_offset=pixel_offset)


def resolve_image_size(image_size: Any) -> tuple[int, int] | None:
    """``None``, an int (square) or ``(H, W)`` -> ``(H, W)``."""
    if image_size is None:
        return None
    if isinstance(image_size, int):
        return image_size, image_size
    h, w = (int(v) for v in image_size)
    return h, w


CALLER = "the caller"
"""The source of values given to the import (not read from the file), in messages and ``stated`` lists."""


def _size(size: tuple[int, int]) -> str:
    return f"{size[0]}x{size[1]}"


def check_image_size(size: tuple[int, int], levels: int) -> None:
    """Refuse an image size the weights cannot process: each of the ``levels`` squeezes halves both sides.

    The message is about the size given (the user's value is wrong, not the
    checkpoint) and names the nearest sizes that would fit.
    """
    factor = 2**levels
    if all(side >= factor and side % factor == 0 for side in size):
        return
    nearest = [sorted({max(factor, side // factor * factor), max(factor, side // factor * factor + factor)})
               for side in size]
    fits = (" or ".join(map(str, nearest[0])) if size[0] == size[1] else
            " by ".join("/".join(map(str, n)) for n in nearest))
    raise PeerImportError(f"image size {_size(size)} does not fit the checkpoint's weights: its {levels} levels "
                          f"each halve the image, so each side must be a multiple of {factor} (nearest: {fits})")


def image_size_mismatch(given: tuple[int, int], weights: tuple[int, int]) -> PeerImportError:
    """The image size given contradicts the one the weights were made for (a spatial prior's shape)."""
    fix = str(weights[0]) if weights[0] == weights[1] else _size(weights)
    return PeerImportError(f"image size {_size(given)} does not fit the checkpoint's weights, which are for "
                           f"{_size(weights)} images; give {fix}, or leave the image size out (it is read "
                           "from the weights)")


def agree(peer: str, what: str, inferred: Any, given: Any, source: str) -> None:
    """Refuse when a value stated by hparams or the caller contradicts the weights."""
    if given is not None and given != inferred:
        raise PeerImportError(f"{peer} checkpoint: {source} says {what} = {given!r}, but the weights "
                              f"have {what} = {inferred!r} (shape mismatch)")
