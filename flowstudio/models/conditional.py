"""A conditional flow ``[x, x0] <-> [z, c]``: one normalizing flow that classifies forwards and generates by
label backwards ("A method to model conditional distributions with normalizing flows", the seed paper of
issue 10; the toy is the 8-mode inverse problem of Ardizzone et al., "Analyzing inverse problems with
invertible neural networks", arXiv:1808.04730, FrEIA experiments/toy_8-modes).

The data ``x in R^D`` is padded with ``P`` entries ``x0 ~ N(0, sigma0^2 I)`` (``pad_sigma`` = 0.05) so that a
bijection ``f`` of ``D + P = S + K`` dimensions maps ``[x, x0]`` to ``[z, c]``: ``z in R^S`` is the style,
``z ~ N(0, I)``, and ``c = f_c(x) ~ N(y, eps^2 I)`` is the label part, ``y`` the one-hot label of the ``K``
classes (``label_sigma`` eps = 0.1).  The one training loss (the paper's eq. 6, no loss weights) is the
negative of::

    log p([x, x0] | y) = log N(z; 0, I) + log N(c; y, eps^2 I) + log |det d f / d [x, x0]|.        (6)

This is the density of the *padded* vector: the padding's own density ``log N(x0; 0, sigma0^2 I)`` is a
constant of the data, so it is neither added nor needed (eq. 6 as the paper states it).  In training ``x0``
is drawn from the global RNG (which the engine seeds per step); held-out scoring, encoding and
classification use ``x0 = 0``, its mean, so they are deterministic.

Generation: ``z ~ N(0, I)``, ``c ~ N(y, eps^2 I)``, ``[x, x0'] = f^{-1}([z, c])``, and ``x0'`` is dropped.
Label inference: the forward pass gives ``c``; ``p(y | x) = softmax_y log N(c; e_y, eps^2 I)``
``= softmax_y(-||c - e_y||^2 / (2 eps^2))``, normalised over the ``K`` classes.

The latent contract (:class:`~flowstudio.models.base.Flow`): ``eps = [z, v]`` with ``v = (c - y) / eps``, so
``eps ~ N(0, I)`` *given* ``y``; ``encode(x, context=y) = (eps, eq. 6 at x0 = 0)`` and ``decode(eps, context=y)``
sets ``c = y + eps v`` and inverts.  ``decode(encode(x, y), y) = x`` exactly, but ``encode(decode(eps))`` is not
``eps`` (the padding ``x0'`` that decoding drops is not 0), hence ``exact_reconstruction`` False; and since
``eps`` has ``D + P`` entries for ``D`` of data, there is no exact density of ``x`` (``exact_density`` False).

The bijection ``f`` is :func:`flowstudio.models.latent_flow.latent_flow`: ``blocks`` x (fixed random
permutation, RealNVP affine coupling, arXiv:1605.08803 eq. 6-9) whose ``(s, t)`` MLP has ``depth`` hidden
layers of ``hidden`` units (depth 2 = the paper's 3 FC layers).  It is the flow GLF already uses on its latent,
with exact cheap inverses and our own checkpoint keys, so nothing new is needed (zuko would add a conversion).

Two variants share :class:`PaddedFlow`: :class:`ConditionalPoints` on points, and :class:`ConditionalImages`,
GLF's autoencoder (:mod:`flowstudio.models.glf`, arXiv:1905.10485) with the conditional flow on its
``nz``-dimensional code ``u`` (``[u, 0]`` (nz + K) <-> ``[z, c]`` (nz + K)), trained in one stage as GLF:
``beta * MSE + NLL_6(sg[E(x)])`` (the gradient stopped at the code), or built from a trained GLF by
:func:`from_glf` and :func:`fit_flow_on_codes` (the autoencoder copied, only the flow trained on cached codes).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from flowstudio.errors import ConfigError, UserInputError
from flowstudio.flows import standard_normal_logp
from flowstudio.imaging import make_grid
from flowstudio.imaging_points import scatter, view_extent
from flowstudio.layout import LatentLayout
from flowstudio.models.autoencoder import AutoencoderConfig, AutoencoderModel
from flowstudio.models.base import PREVIEW_CHUNK
from flowstudio.models.config import setting
from flowstudio.models.latent_flow import latent_flow
from flowstudio.models.vector import PREVIEW_POINTS, PREVIEW_SIDE, VectorFlow, VectorFlowConfig

LOG_2PI = math.log(2.0 * math.pi)
CLASS_COLOURS = np.array([[31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
                          [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207]],
                         np.uint8)
"""Colours of classes 0-9 in point pictures (then repeated)."""


# -- settings ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Conditional:
    """The settings of the padding and the label part, shared by both variants."""

    classes: int = setting(10, low=2, high=100, help="number of classes K")
    padding: int = setting(0, low=0, high=1024,
                           help="zero-padding entries x0 (0: as many as classes, so the style z has the data's size)")
    pad_sigma: float = setting(0.05, low=0.0, high=10.0, help="std of the padding noise x0 in training")
    label_sigma: float = setting(0.1, low=1e-4, high=10.0, help="std eps of c around the one-hot label")

    @classmethod
    def label_fields(cls, class_names: tuple[str, ...]) -> dict[str, Any]:
        return {"classes": len(class_names)}

    def pad_size(self) -> int:
        return self.padding or self.classes

    def check_sizes(self, data_dim: int) -> None:
        if data_dim + self.pad_size() <= self.classes:
            raise ConfigError(f"conditional flow: {data_dim} data entries + {self.pad_size()} padding leave no style "
                              f"entries beside the {self.classes} label entries; raise padding")


@dataclass(frozen=True)
class ConditionalPointsConfig(_Conditional, VectorFlowConfig):
    """The conditional flow on points ``[D]`` (the 8-mode toy: D = 2, K = 8, padding 8)."""

    family: ClassVar[str] = "conditional"
    blocks: int = setting(8, low=1, high=32, help="permutation + affine coupling blocks")
    hidden: int = setting(512, low=1, high=2048, help="width of each coupling's MLP")
    depth: int = setting(2, low=1, high=8, help="hidden layers of each coupling's MLP (2 = 3 FC layers)")

    def check(self) -> None:
        self.check_sizes(self.dim)


@dataclass(frozen=True)
class ConditionalImagesConfig(_Conditional, AutoencoderConfig):
    """GLF's autoencoder with the conditional flow on its code (``flow_blocks``, ``flow_hidden``, ``flow_depth``)."""

    family: ClassVar[str] = "conditional"

    def check(self) -> None:
        AutoencoderConfig.check(self)
        self.check_sizes(self.latent)


# -- the shared core -----------------------------------------------------------------------------------------
def check_labels(labels: torch.Tensor | None, n: int, classes: int) -> torch.Tensor:
    """``labels`` as int64 ``[n]`` class indices ``0..K-1``, else a :class:`UserInputError` in words."""
    if labels is None:
        raise UserInputError(f"the conditional flow is label-conditioned: give the class of each example "
                             f"(0 to {classes - 1})")
    labels = torch.as_tensor(labels).long().reshape(-1)
    if len(labels) != n or bool(((labels < 0) | (labels >= classes)).any()):
        raise UserInputError(f"labels must be {n} class indices from 0 to {classes - 1} (the conditional flow "
                             "trains on labelled examples only)")
    return labels


class PaddedFlow(nn.Module):
    """``f: [x, x0] -> [z, c]`` on ``D + P`` entries with eq. 6, label inference and the ``[z, v]`` latent."""

    def __init__(self, dim: int, config: _Conditional, blocks: int, hidden: int, depth: int):
        super().__init__()
        self.dim, self.pad, self.classes = dim, config.pad_size(), config.classes
        self.pad_sigma, self.label_sigma = config.pad_sigma, config.label_sigma
        self.style = dim + self.pad - self.classes
        self.flow = latent_flow(dim + self.pad, blocks, hidden, depth)

    def padded(self, x: torch.Tensor, noisy: bool) -> torch.Tensor:
        """``[x, x0]`` with ``x0 ~ N(0, sigma0^2 I)`` (global RNG) when ``noisy``, else ``x0 = 0``."""
        x0 = x.new_zeros(x.shape[0], self.pad)
        if noisy and self.pad_sigma:
            x0 = self.pad_sigma * torch.randn(x0.shape, dtype=x.dtype).to(x.device)
        return torch.cat([x, x0], 1)

    def forward(self, x: torch.Tensor, labels: torch.Tensor, noisy: bool = False
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """``(eps = [z, v] [B, D + P], eq. 6 [B])`` given the labels."""
        out, logdet = self.flow(self.padded(x, noisy))
        z, c = out[:, :self.style], out[:, self.style:]
        v = (c - F.one_hot(labels, self.classes).to(c.dtype)) / self.label_sigma
        log_c = standard_normal_logp(v) - self.classes * math.log(self.label_sigma)  # log N(c; y, eps^2 I)
        return torch.cat([z, v], 1), standard_normal_logp(z) + log_c + logdet

    def inverse(self, eps: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """``x`` of ``[z, v]`` given the labels: ``c = y + eps v``, ``f^{-1}([z, c])``, padding dropped."""
        c = F.one_hot(labels, self.classes).to(eps.dtype) + self.label_sigma * eps[:, self.style:]
        return self.flow.inverse(torch.cat([eps[:, :self.style], c], 1))[:, :self.dim]

    def class_log_probs(self, x: torch.Tensor) -> torch.Tensor:
        """``log p(y | x)`` ``[B, K]``: softmax over classes of ``log N(c; e_y, eps^2 I)``, ``x0 = 0``."""
        c = self.flow(self.padded(x, False))[0][:, self.style:]
        eye = torch.eye(self.classes, dtype=c.dtype, device=c.device)
        return torch.log_softmax(-((c[:, None, :] - eye) ** 2).sum(2) / (2 * self.label_sigma ** 2), 1)

    def layout(self) -> LatentLayout:
        return LatentLayout.of([("z", (self.style,)), ("v", (self.classes,))])


def _labels_in_turn(n: int, classes: int, device: torch.device) -> torch.Tensor:
    return torch.arange(n, device=device) % classes


# -- points --------------------------------------------------------------------------------------------------
class ConditionalPoints(VectorFlow):
    """The conditional flow on points (settings: :class:`ConditionalPointsConfig`); loss and held-out score are
    ``-`` eq. 6 in nats."""

    config_type = ConditionalPointsConfig
    uses_labels: ClassVar[bool] = True

    def __init__(self, config: ConditionalPointsConfig):
        super().__init__(config)
        self.core = PaddedFlow(config.dim, config, config.blocks, config.hidden, config.depth)
        self.layout = self.core.layout()

    def _points(self, x: torch.Tensor) -> torch.Tensor:
        self._check(x, "points", None)
        return x.to(self.device).float()

    def encode(self, x, context=None):
        """``(eps = [z, v], eq. 6 at x0 = 0)`` of points given their labels ``context``."""
        self._check(x, "points", None)
        return self.core(x, check_labels(context, x.shape[0], self.config.classes).to(x.device))

    def decode(self, eps, context=None):
        """Points of latents ``[z, v]`` given labels (without: the classes in turn)."""
        if eps.dim() != 2 or eps.shape[1] != self.latent_dim:
            raise UserInputError(f"latents of shape {list(eps.shape)} do not fit this model, whose latent has "
                                 f"{self.latent_dim} entries per point")
        if context is None:
            context = _labels_in_turn(eps.shape[0], self.config.classes, eps.device)
        return self.core.inverse(eps, check_labels(context, eps.shape[0], self.config.classes).to(eps.device))

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        raise UserInputError("the conditional flow has no density of x alone: it scores x with its label "
                             "(eq. 6 of the padded vector); use encode(x, context=labels)")

    def class_log_probs(self, batch: torch.Tensor) -> torch.Tensor:
        return self.core.class_log_probs(self._points(batch))

    def forward(self, batch, noise=None, labels=None):
        """``-`` eq. 6 per point, the padding noisy (float32 even under autocast, as every vector flow)."""
        labels = check_labels(labels, batch.shape[0], self.config.classes).to(batch.device)
        with torch.autocast(device_type=batch.device.type, enabled=False):
            return -self.core(batch.float(), labels, noisy=True)[1]

    def heldout_score(self, batch, labels=None):
        labels = check_labels(labels, batch.shape[0], self.config.classes).to(self.device)
        return -self.core(self._points(batch), labels)[1]

    @torch.no_grad()
    def training_preview(self, count: int, seed: int, temperature: float,
                         check: Callable[[], None] | None = None) -> np.ndarray:
        """Samples of fixed noise, the classes in turn, each class in its colour."""
        if check is not None:
            check()
        n = max(count, PREVIEW_POINTS)
        labels = _labels_in_turn(n, self.config.classes, torch.device("cpu"))
        points = self.sample(n, temperature, seed, context=labels).float().cpu().numpy()
        return self.picture_by_label(points, labels.numpy())

    @staticmethod
    def picture_by_label(points: np.ndarray, labels: np.ndarray, size: int = PREVIEW_SIDE,
                         extent: float | None = None) -> np.ndarray:
        """uint8 ``[size, size, 3]`` scatter of ``points [n, 2+]``, coloured by ``labels``."""
        extent = view_extent(points[:, :2]) if extent is None else extent
        picture = None
        for k in np.unique(labels):
            colour = tuple(int(v) for v in CLASS_COLOURS[int(k) % len(CLASS_COLOURS)])
            picture = scatter(points[labels == k], size, extent, ink=colour,
                              **({} if picture is None else {"background": picture}))
        return picture if picture is not None else scatter(points, size, extent)


# -- images --------------------------------------------------------------------------------------------------
class ConditionalImages(AutoencoderModel):
    """GLF's autoencoder with the conditional flow on its code (settings: :class:`ConditionalImagesConfig`).

    Loss (unit "loss", as GLF): ``beta * MSE + (-eq. 6 of sg[E(x)] with noisy padding) + flow weight decay``.
    """

    config_type = ConditionalImagesConfig
    uses_labels: ClassVar[bool] = True

    def __init__(self, config: ConditionalImagesConfig):
        super().__init__(config, flow=False)
        self.flow = PaddedFlow(config.latent, config, config.flow_blocks, config.flow_hidden, config.flow_depth)
        self.layout = self.flow.layout()

    def _codes(self, batch: torch.Tensor) -> torch.Tensor:
        self._check_images(batch)
        return self.code(self.unit_pixels(batch))

    def encode(self, x, context=None):
        """``(eps = [z, v], eq. 6 of the code at x0 = 0)`` of model-space images given their labels."""
        self._check_images(x)
        labels = check_labels(context, x.shape[0], self.config.classes).to(x.device)
        return self.flow(self.code(x - self.pixel_offset), labels)

    def decode(self, eps, context=None):
        """``G(f^{-1}([z, y + eps v]))`` (model space); without labels the classes in turn."""
        if eps.dim() != 2 or eps.shape[1] != self.latent_dim:
            raise UserInputError(f"latents of shape {list(eps.shape)} do not fit this model, whose latent has "
                                 f"{self.latent_dim} entries per image")
        if context is None:
            context = _labels_in_turn(eps.shape[0], self.config.classes, eps.device)
        labels = check_labels(context, eps.shape[0], self.config.classes).to(eps.device)
        return self.decoder(self.flow.inverse(eps, labels)) + self.pixel_offset

    def class_log_probs(self, batch: torch.Tensor) -> torch.Tensor:
        return self.flow.class_log_probs(self._codes(batch))

    def loss_terms(self, batch: torch.Tensor, labels: torch.Tensor, noisy: bool) -> tuple[torch.Tensor, torch.Tensor]:
        """``(MSE [B], -eq. 6 [B])`` of uint8 images, the NLL of the code after the stop-gradient."""
        x = self.unit_pixels(batch)
        u = self.encoder(x)
        mse = self.squared_error(self.decoder(u), x)
        return mse, -self.flow(u.detach(), labels, noisy)[1]

    def forward(self, batch, noise=None, labels=None):
        labels = check_labels(labels, batch.shape[0], self.config.classes).to(self.device)
        mse, nll = self.loss_terms(batch, labels, noisy=True)
        return self.config.beta * mse + nll + self.flow_penalty()

    def heldout_score(self, batch, labels=None):
        labels = check_labels(labels, batch.shape[0], self.config.classes).to(self.device)
        with torch.no_grad():
            mse, nll = self.loss_terms(batch, labels, noisy=False)
            return self.config.beta * mse + nll

    def training_preview(self, count: int, seed: int, temperature: float,
                         check: Callable[[], None] | None = None) -> np.ndarray:
        """``count`` samples, the classes in turn (column ``i`` of the ``K``-wide grid is class ``i``)."""
        eps = torch.randn(count, self.latent_dim, generator=torch.Generator().manual_seed(seed)) * temperature
        labels = _labels_in_turn(count, self.config.classes, torch.device("cpu"))
        parts = []
        with torch.no_grad():
            for chunk, y in zip(eps.split(PREVIEW_CHUNK), labels.split(PREVIEW_CHUNK)):
                if check is not None:
                    check()
                parts.append(self.postprocess(self.decode(chunk.to(self.device), y.to(self.device)).float()).cpu())
        _, h, w = self.image_shape
        return np.asarray(make_grid(torch.cat(parts), nrow=self.config.classes, scale=max(1, 64 // max(h, w))))


# -- from a trained GLF --------------------------------------------------------------------------------------
def from_glf(glf: AutoencoderModel, classes: int, **settings: Any) -> ConditionalImages:
    """A :class:`ConditionalImages` with ``glf``'s encoder and decoder (copied) and a fresh conditional flow of
    the GLF's flow sizes (``settings`` override any, e.g. ``flow_blocks``)."""
    from flowstudio.models import build_model

    data = {**glf.config.to_json(), "family": "conditional", "classes": classes, **settings}
    data.pop("stop_gradient", None)
    model = build_model(data)
    model.encoder.load_state_dict(glf.encoder.state_dict())
    model.decoder.load_state_dict(glf.decoder.state_dict())
    return model.to(glf.device).train(glf.training)


@torch.no_grad()
def encode_codes(model: AutoencoderModel, images: torch.Tensor, batch: int = 512) -> torch.Tensor:
    """The deterministic codes ``E(x)`` ``[N, nz]`` of uint8 images (eval mode)."""
    model.eval()
    return torch.cat([model.code(model.unit_pixels(part)) for part in images.split(batch)]).float()


def fit_flow_on_codes(model: ConditionalImages, codes: torch.Tensor, labels: torch.Tensor, steps: int,
                      batch: int = 256, lr: float = 1e-3, seed: int = 0,
                      log: Callable[[int, float], None] | None = None) -> ConditionalImages:
    """Train only ``model.flow`` on cached codes (``-`` eq. 6 with noisy padding, plus the flow's weight decay),
    Adam at ``lr`` halved after half the steps; the autoencoder is left as it is."""
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    flow = model.flow.train()
    opt = torch.optim.Adam(flow.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=max(1, steps // 2), gamma=0.5)
    codes, labels = codes.to(model.device), labels.to(model.device)
    for step in range(steps):
        idx = torch.randint(len(codes), (batch,), generator=gen).to(model.device)
        loss = -flow(codes[idx], labels[idx], noisy=True)[1].mean() + model.flow_penalty()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        if log is not None and (step % 500 == 0 or step == steps - 1):
            log(step, loss.item())
    model.eval()
    return model
