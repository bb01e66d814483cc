"""Activation normalisation (Glow, Kingma & Dhariwal 2018, arXiv:1807.03039, sec. 3.1)."""

from __future__ import annotations

import torch
from torch import nn

from flowstudio.flows.transform import Transform


class ActNorm(Transform):
    """Per-channel affine ``y = (x + bias) * exp(logs)``; ``log |det| = H * W * sum(logs)`` (Glow Table 1).

    Data-dependent initialisation: on the first training forward pass,
    ``bias`` and ``logs`` are set so that the batch's output has zero mean and
    unit variance per channel.  Whether that happened is the buffer
    ``initialized``, so it is saved in checkpoints and a loaded model is never
    re-initialised.
    """

    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.logs = nn.Parameter(torch.zeros(1, channels, 1, 1))
        self.register_buffer("initialized", torch.tensor(0, dtype=torch.uint8))

    @torch.no_grad()
    def _initialize(self, x: torch.Tensor) -> None:
        mean = x.mean(dim=(0, 2, 3), keepdim=True)
        std = x.std(dim=(0, 2, 3), keepdim=True, unbiased=False)
        self.bias.copy_(-mean)
        self.logs.copy_(-torch.log(std + 1e-6))
        self.initialized.fill_(1)

    def forward(self, x: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        if self.training and not bool(self.initialized):
            self._initialize(x)
        y = (x + self.bias) * torch.exp(self.logs)
        logdet = self.logs.sum() * (x.shape[2] * x.shape[3])
        return y, logdet.expand(x.shape[0])

    def inverse(self, y: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        return y * torch.exp(-self.logs) - self.bias
