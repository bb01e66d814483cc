"""The base of every multi-scale image family: levels with a factor-out, one encode/decode for all."""

from __future__ import annotations

import torch
from torch import nn

from flowstudio.flows.multiscale import decode_levels, encode_levels, levels_layout
from flowstudio.models.base import ImageFlow


class MultiScaleFlow(ImageFlow):
    """An image flow whose subclass builds ``self.levels`` (:class:`flowstudio.flows.Level`) and then calls
    :meth:`_finish_levels`; encoding, decoding and the latent layout are the shared multi-scale ones."""

    levels: nn.ModuleList

    def _finish_levels(self) -> None:
        self.layout = levels_layout(self.levels, self.image_shape)

    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return encode_levels(self.levels, x)

    def _decode(self, eps: torch.Tensor) -> torch.Tensor:
        return decode_levels(self.levels, self.layout, eps)
