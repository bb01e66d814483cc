"""The one interface every vector flow implements: flows on points ``x in R^D`` (not images), through zuko.

A vector flow is a bijection ``f: R^D -> R^D`` with a standard normal base,
so by the change of variables (Kobyzev, Prince & Brubaker 2020,
arXiv:1908.09257, eq. 1)

    log p(x) = log N(f(x); 0, I) + log |det df/dx|,                       (1)

and sampling is ``x = f^{-1}(eps)``, ``eps ~ N(0, I)``.  The latent ``eps =
f(x)`` is already standardized, so it is the flat latent of the image
families' contract too (one part ``z`` of ``D`` entries).

The families (:mod:`flowstudio.models.maf`, :mod:`~flowstudio.models.iaf`,
:mod:`~flowstudio.models.vector_realnvp`, :mod:`~flowstudio.models.vector_nice`)
are zuko flows (``zuko.lazy.Flow``, MIT licence) held as :attr:`ZukoFlow.flow`;
:class:`ZukoFlow` evaluates (1) exactly as zuko's own ``NormalizingFlow.log_prob``
does (``transform.call_and_ladj`` then the base's ``log_prob``), keeping ``eps``
instead of throwing it away, and samples as zuko's ``rsample`` does
(``transform.inv`` of base noise), so the wrapper costs no extra pass.

The training contract (:mod:`flowstudio.training.objective`): the loss and the
held-out score are the negative log-likelihood ``-log p(x)`` of float32 points
``[B, D]``, in nats per example (:attr:`VectorFlow.score_unit`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from flowstudio.errors import ConfigError, UserInputError
from flowstudio.imaging_points import heat_map, scatter, view_extent
from flowstudio.layout import LatentLayout
from flowstudio.models.base import Flow
from flowstudio.models.config import FlowConfig, setting, whole

MAX_DIM = 256
"""Largest point dimension a vector flow takes (its bounds keep every model under ~20M parameters, so a model can
be built for real when a checkpoint is opened: zuko's constructors cannot run on PyTorch's ``meta`` device)."""
PREVIEW_SIDE = 256
"""Pixels a side of each panel of a training preview."""
PREVIEW_GRID = 128
"""Cells a side of the density heat map in a preview of a 2-D flow."""
PREVIEW_POINTS = 2048
"""Fewest points a preview scatters (a run's sample count, 16 by default, suits an image grid, not a cloud)."""


@dataclass(frozen=True)
class VectorFlowConfig(FlowConfig):
    """What every vector flow's config has: the dimension ``dim`` of the points and the weight seed."""

    data_names: ClassVar[tuple[str, ...]] = ("dim",)
    dim: int
    seed: int = setting(0, low=0, high=2**32 - 1, help="seed of the initial weights")

    @classmethod
    def data_value(cls, name: str, value: Any) -> int:
        dim = whole(name, value)
        if not 1 <= dim <= MAX_DIM:
            raise ConfigError(f"{cls.family or 'a vector flow'} takes points of 1 to {MAX_DIM} dimensions, not {dim}")
        return dim

    @classmethod
    def data_fields(cls, shape: list[int] | tuple[int, ...]) -> dict[str, Any]:
        """``{"dim": D}`` for points ``[D]``; any other sample shape (images) is a :class:`ConfigError`."""
        if len(shape) != 1:
            raise ConfigError(f"{cls.family or 'a vector flow'} learns from points (one vector per example), not "
                              f"samples of shape {list(shape)}")
        return {"dim": int(shape[0])}


class VectorFlow(Flow):
    """Base class: subclasses implement :meth:`_encode` (``x -> (eps, log p(x))``) and :meth:`_decode`."""

    config_type: ClassVar[type[VectorFlowConfig]] = VectorFlowConfig
    score_unit: ClassVar[str] = "nats"
    """Unit of the loss and the held-out score: negative log-likelihood in nats per example."""

    def __init__(self, config: VectorFlowConfig):
        super().__init__(config)
        self.dim = config.dim
        self.layout = LatentLayout.of([("z", (config.dim,))])

    # -- subclass hooks -----------------------------------------------------
    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def _decode(self, eps: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    # -- public interface ---------------------------------------------------
    def encode(self, x: torch.Tensor, context: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Points ``x [B, D]`` -> ``(eps [B, D], log p(x) [B])`` (eq. 1)."""
        self._check(x, "points", context)
        return self._encode(x)

    def decode(self, eps: torch.Tensor, context: torch.Tensor | None = None) -> torch.Tensor:
        """Standardized latents ``eps [B, D]`` -> points ``f^{-1}(eps)``."""
        self._check(eps, "latents", context)
        return self._decode(eps)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        return self.encode(x)[1]

    def _check(self, x: torch.Tensor, what: str, context: torch.Tensor | None) -> None:
        if context is not None:
            raise UserInputError(f"{self.family} is not conditional: it takes no labels or context")
        if x.dim() != 2 or x.shape[1] != self.dim:
            raise UserInputError(f"{what} of shape {list(x.shape)} do not fit this model, which takes "
                                 f"{self.dim}-dimensional points [N, {self.dim}]")

    # -- the training contract --------------------------------------------------------------------------
    def forward(self, batch: torch.Tensor, noise: torch.Tensor | None = None) -> torch.Tensor:
        """Per-example loss ``-log p(x)`` of float32 points ``[B, D]``; ``noise`` is not used (points are
        continuous: nothing to dequantize).

        Runs in float32 even under the engine's bf16 autocast: these small
        MLPs gain nothing from bf16, and the log-determinants would lose
        their precision (bf16 keeps about three significant digits).
        """
        with torch.autocast(device_type=batch.device.type, enabled=False):
            return -self.log_prob(batch.float())

    def heldout_score(self, batch: torch.Tensor) -> torch.Tensor:
        """Per-example negative log-likelihood in nats (deterministic)."""
        return -self.log_prob(batch)

    def example_batch(self, n: int, generator: torch.Generator) -> torch.Tensor:
        """``n`` standard normal points (to time a training step)."""
        return torch.randn(n, self.dim, generator=generator)

    @torch.no_grad()
    def training_preview(self, count: int, seed: int, temperature: float,
                         check: Callable[[], None] | None = None) -> np.ndarray:
        """uint8 ``[H, W, 3]``: ``max(count, PREVIEW_POINTS)`` samples of fixed noise (``seed``) as a scatter plot of
        their first two coordinates; for a 2-D flow, beside the learned density as a heat map over the same square."""
        if check is not None:
            check()
        points = self.sample(max(count, PREVIEW_POINTS), temperature, seed).float().cpu().numpy()
        return self.picture(points, check)

    @torch.no_grad()
    def picture(self, points: np.ndarray, check: Callable[[], None] | None = None) -> np.ndarray:
        """The picture of :meth:`training_preview` for given ``points [n, D]`` (``flowstudio sample`` draws it too)."""
        extent = view_extent(points[:, :2])
        dots = scatter(points, PREVIEW_SIDE, extent)
        if self.dim != 2:
            return dots
        from flowstudio.data.toy2d import grid_points

        if check is not None:
            check()
        grid = torch.from_numpy(grid_points(PREVIEW_GRID, extent)).to(self.device)
        log_density = torch.cat([self.log_prob(part) for part in grid.split(4096)]).double().cpu().numpy()
        heat = np.asarray(heat_map(log_density.reshape(PREVIEW_GRID, PREVIEW_GRID)))
        heat = heat.repeat(PREVIEW_SIDE // PREVIEW_GRID, 0).repeat(PREVIEW_SIDE // PREVIEW_GRID, 1)
        gap = np.full((PREVIEW_SIDE, 4, 3), 255, np.uint8)
        return np.concatenate([heat, gap, dots], 1)


@dataclass(frozen=True)
class ZukoFlowConfig(VectorFlowConfig):
    """The settings every zuko-backed family shares: how many transforms, and each conditioner's MLP."""

    transforms: int = setting(4, low=1, high=16, help="transforms (autoregressive or coupling layers) in the flow")
    hidden: int = setting(64, low=1, high=512, help="width of each transform's conditioner MLP")
    depth: int = setting(2, low=1, high=4, help="hidden layers of each transform's conditioner MLP")


class ZukoFlow(VectorFlow):
    """A vector flow whose bijection and base are a zuko flow, :attr:`flow` (built by :meth:`build_flow`).

    A family names its zuko flow class (:attr:`zuko_flow`, e.g. ``zuko.flows.MAF``)
    and any further keyword arguments (:attr:`zuko_options`); it overrides
    :meth:`build_flow` only to change the flow zuko builds (IAF inverts it).
    """

    zuko_flow: ClassVar[Callable[..., nn.Module]]
    zuko_options: ClassVar[dict[str, Any]] = {}

    def __init__(self, config: ZukoFlowConfig):
        super().__init__(config)
        self.flow = self.build_flow(config)

    def build_flow(self, config: ZukoFlowConfig) -> nn.Module:
        """The zuko flow of ``config``: ``transforms`` layers with ``depth`` x ``hidden`` conditioner MLPs."""
        return type(self).zuko_flow(config.dim, transforms=config.transforms,
                                    hidden_features=[config.hidden] * config.depth, **self.zuko_options)

    def _encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        dist = self.flow()
        eps, ladj = dist.transform.call_and_ladj(x)
        return eps, dist.base.log_prob(eps) + ladj

    def _decode(self, eps: torch.Tensor) -> torch.Tensor:
        return self.flow().transform.inv(eps)
