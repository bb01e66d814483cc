"""Semi-Conditional Normalizing Flows (Atanov, Volokhova, Ashukha, Sosnovik & Vetrov 2019, arXiv:1905.00505).

A semi-conditional flow models ``p(x, y) = p(y) p(x | y)`` with an *unconditional* multi-scale flow ``f_w``
and a small *conditional* flow ``h_phi`` on the deepest part ``z_f`` of ``f_w``'s latent only (sec. 3,
eq. 2)::

    f_w(x) = (z_aux, z_f),    z_h = h_phi(z_f; y),    z_h | y ~ N(mu_y, diag sigma_y^2),
    log p(x | y) = log p(z_aux | z_f) + log |det d f_w / d x| + log p_h(z_f | y),
    log p_h(z_f | y) = log N(z_h; mu_y, diag sigma_y^2) + log |det d h_phi / d z_f|.

``p(y)`` is uniform over the ``K`` classes.  The objective (eq. 1, 3, 4): labelled pairs by
``log p(x, y)``, unlabelled images by the marginal ``log p(x) = logsumexp_y log p(x, y)``; because only
``h_phi`` sees the label, ``f_w`` and its Jacobian run *once* per batch and only ``h_phi`` runs once per
class, which is the point of the construction (sec. 3.1).  Prediction is the exact posterior
``p(y | x) = softmax_y log p(x, y)`` (eq. 5).

Training options:

* ``objective="marginal"``: plain SGD on ``-log p(x)`` of unlabelled examples;
* ``objective="em"``: EM-SGD (appendix B): the E-step computes ``q(y) = p(y | x)`` under the current
  weights and holds it fixed, the M-step descends ``-sum_y q(y) [log p(x, y) - log q(y)]``.  At the
  exact E-step this has the marginal's value and gradient (Fisher's identity) per batch;
* ``classification_weight`` ``beta``: adds ``-beta log p(y | x)`` for labelled examples (sec. 4,
  the optional discriminative term); 0 = off.

Conditional part (``conditional_part``): ``"flow"`` is ``h_phi``, ``flow_layers`` affine couplings
(RealNVP arXiv:1605.08803 eq. 9) on the flattened ``z_f`` whose ``(s, t)`` network takes the one-hot label
as an extra input, followed by a learned diagonal Gaussian per class (our choice: per-class, so the
couplings start at the identity and the model starts as the GMM); ``"gmm"`` is the paper's baseline
``p(z_f | y) = N(mu_y, diag sigma_y^2)`` (no couplings).

Unconditional part ``f_w``, images: our Glow's levels (:mod:`flowstudio.models.glow`: actnorm, LU 1x1
convolution and affine couplings on channel halves, with Glow's learned split priors).  The paper's
appendix E uses RealNVP-style checkerboard and channel masks with residual coupling networks; we reuse
Glow's blocks instead (one implementation of the multi-scale machinery).  The top level's output
``[C, H, W]`` is split along channels: the first ``deep_channels`` are ``z_f``, the rest ``z_aux`` with
Glow's learned split prior given ``z_f``; for 28x28 grey images with two levels the top is ``8x7x7``, so
``deep_channels`` 1/2/4/8 give ``z_f`` of 49/98/196/392 (Table 3) and one level with 4 gives 784.
Points: ``f_w`` is zuko's RealNVP transform (no base: its output is ``z_f``, all ``D`` dimensions).

Latent contract: ``encode(x, context=y) = (eps, log p(x | y))`` with ``eps = [standardised z_aux parts,
standardised z_h given y] ~ N(0, I)`` under ``p(x | y)``; ``decode(eps, context=y)`` inverts it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
import torch.nn.functional as F
import zuko
from torch import nn

from flowstudio.errors import ConfigError, UserInputError
from flowstudio.flows import (ClassConditionalPrior, Coupling, ExpAffineRule, Interleaved, LearnedSplitPrior, Level,
                              StandardNormalPrior, squeeze2d, unsqueeze2d)
from flowstudio.flows.nets import mlp
from flowstudio.imaging import make_grid
from flowstudio.layout import LatentLayout
from flowstudio.models.base import PREVIEW_CHUNK, ImageFlow
from flowstudio.models.config import ImageFlowConfig, halvings, setting
from flowstudio.models.glow import FlowStep
from flowstudio.models.vector import VectorFlow, VectorFlowConfig

OBJECTIVES = ("marginal", "em")
CONDITIONAL_PARTS = ("flow", "gmm")


# -- settings ------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _SemiConditional:
    """The settings of the conditional part and the objective, shared by the image and point variants."""

    classes: int = setting(10, low=2, high=100, help="number of classes K")
    conditional_part: str = setting("flow", choices=CONDITIONAL_PARTS,
                                    help="p(z_f | y): label-conditioned couplings (flow) or a Gaussian per class (gmm)")
    flow_layers: int = setting(4, low=1, high=32, help="conditional couplings of h_phi (conditional_part=flow)")
    flow_hidden: int = setting(128, low=1, high=2048, help="width of h_phi's (s, t) networks")
    flow_depth: int = setting(2, low=1, high=4, help="hidden layers of h_phi's (s, t) networks")
    objective: str = setting("marginal", choices=OBJECTIVES,
                             help="unlabelled examples: SGD on log p(x) (marginal) or EM-SGD (em)")
    classification_weight: float = setting(0.0, low=0.0, high=1000.0,
                                           help="weight of the extra -log p(y|x) term on labelled examples (0: off)")

    not_architecture: ClassVar[tuple[str, ...]] = ("objective", "classification_weight")

    @classmethod
    def label_fields(cls, class_names: tuple[str, ...]) -> dict[str, Any]:
        return {"classes": len(class_names)}


@dataclass(frozen=True)
class SCNFConfig(_SemiConditional, ImageFlowConfig):
    """SCNF on images; ``H`` and ``W`` must be divisible by ``2**levels``."""

    family: ClassVar[str] = "scnf"
    not_architecture: ClassVar[tuple[str, ...]] = ("n_bits", *_SemiConditional.not_architecture)
    levels: int = setting(2, low=1, high=8, help="levels of the unconditional Glow f_w")
    steps: int = setting(8, low=1, high=128, help="flow steps per level of f_w")
    hidden: int = setting(128, low=1, high=2048, help="coupling-network width of f_w")
    deep_channels: int = setting(4, low=1, high=1024,
                                 help="channels of f_w's top output that are z_f (the rest are z_aux)")

    def check(self) -> None:
        c, h, w = self.image_shape
        if h % 2**self.levels or w % 2**self.levels:
            raise ConfigError(f"image size {h}x{w} is not divisible by 2**levels = {2**self.levels}")
        top = c * 2 ** (self.levels + 1)
        if self.deep_channels > top:
            raise ConfigError(f"scnf deep_channels {self.deep_channels} is more than the {top} channels of the "
                              f"top level of {self.levels} levels")

    @classmethod
    def fit_arch(cls, arch, image_shape):
        out = dict(arch)
        if "levels" in out:
            out["levels"] = max(1, min(out["levels"], halvings(*image_shape[1:])))
        top = image_shape[0] * 2 ** (out.get("levels", cls.levels) + 1)
        if "deep_channels" in out:
            out["deep_channels"] = min(out["deep_channels"], top)
        return out


@dataclass(frozen=True)
class SCNFPointsConfig(_SemiConditional, VectorFlowConfig):
    """SCNF on points: ``f_w`` is a RealNVP of ``transforms`` couplings, ``z_f`` all ``D`` dimensions."""

    family: ClassVar[str] = "scnf"
    transforms: int = setting(4, low=1, high=16, help="couplings of the unconditional flow f_w")
    hidden: int = setting(64, low=1, high=512, help="width of f_w's conditioner MLPs")
    depth: int = setting(2, low=1, high=4, help="hidden layers of f_w's conditioner MLPs")


# -- the conditional part h_phi --------------------------------------------------------------------------------
class LabelNet(nn.Module):
    """``(s, t)`` of a conditional coupling from ``[a, onehot(y)]``: an MLP with a zero-initialised output and
    ``s = scale * tanh(raw)`` (RealNVP sec. 4.1), so every coupling starts as the identity."""

    def __init__(self, n_in: int, n_out: int, classes: int, hidden: int, depth: int):
        super().__init__()
        self.body = mlp(n_in + classes, 2 * n_out, hidden, depth)
        self.scale = nn.Parameter(torch.ones(n_out))

    def forward(self, a: torch.Tensor, onehot: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        h = self.body(torch.cat([a, onehot], 1))
        return self.scale * torch.tanh(h[:, 0::2]), h[:, 1::2]


class ConditionalPart(nn.Module):
    """``log p_h(z_f | y)`` for flat ``z_f [B, d]``: ``layers`` label-conditioned affine couplings on alternating
    halves (none for the GMM), then the per-class diagonal Gaussian (:class:`ClassConditionalPrior`)."""

    def __init__(self, dim: int, classes: int, layers: int, hidden: int, depth: int):
        super().__init__()
        self.classes = classes
        couplings = []
        for i in range(layers):
            mask = Interleaved(i % 2)
            a, b = mask.sizes(dim)
            if a and b:
                couplings.append(Coupling(mask, LabelNet(a, b, classes, hidden, depth), ExpAffineRule()))
        self.couplings = nn.ModuleList(couplings)
        self.prior = ClassConditionalPrior(classes, dim)

    def onehot(self, labels: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
        return F.one_hot(labels, self.classes).to(like.dtype)

    def forward(self, z_f: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(eps_h, log p_h(z_f | y))``: ``eps_h = (h_phi(z_f; y) - mu_y) / sigma_y``."""
        y = self.onehot(labels, z_f)
        logdet = z_f.new_zeros(z_f.shape[0])
        for coupling in self.couplings:
            z_f, ld = coupling(z_f, y)
            logdet = logdet + ld
        eps, logp = self.prior.standardize(z_f, y)
        return eps, logp + logdet

    def inverse(self, eps: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        y = self.onehot(labels, eps)
        z = self.prior.unstandardize(eps, y)
        for coupling in reversed(self.couplings):
            z = coupling.inverse(z, y)
        return z

    def all_classes(self, z_f: torch.Tensor) -> torch.Tensor:
        """``log p_h(z_f | y)`` for every class, ``[B, K]``: ``z_f`` repeated ``K`` times, one pass of ``h_phi``."""
        b = z_f.shape[0]
        labels = torch.arange(self.classes, device=z_f.device).repeat_interleave(b)
        return self(z_f.repeat(self.classes, 1), labels)[1].view(self.classes, b).t()


def _conditional_part(config: _SemiConditional, dim: int) -> ConditionalPart:
    layers = config.flow_layers if config.conditional_part == "flow" else 0
    return ConditionalPart(dim, config.classes, layers, config.flow_hidden, config.flow_depth)


# -- the unconditional parts f_w ----------------------------------------------------------------------------------
class GlowTrunk(nn.Module):
    """``f_w`` on images: Glow levels; the top level's output splits into ``z_f`` (first ``deep_channels``) and
    ``z_aux`` with Glow's split prior given ``z_f`` (the top level's ``prior``; standard normal, unused, when
    ``z_f`` is the whole top)."""

    def __init__(self, config: SCNFConfig):
        super().__init__()
        channels, self.deep = config.image_shape[0], config.deep_channels
        self.levels = nn.ModuleList()
        for level in range(config.levels):
            top, c = level == config.levels - 1, channels * 4
            steps = [FlowStep(c, config.hidden, True, 0.0) for _ in range(config.steps)]
            if not top:
                prior = LearnedSplitPrior(c // 2, c // 2)
            else:
                prior = LearnedSplitPrior(self.deep, c - self.deep) if c > self.deep else StandardNormalPrior()
            self.levels.append(Level(steps, prior, split=not top, squeeze=True))
            channels = c // 2
        shape, named = tuple(config.image_shape), []
        for i, level in enumerate(self.levels):
            shape, out = level.output_shapes(shape)
            if i < len(self.levels) - 1:
                named.append((f"level{i}", out))
        c, h, w = out
        self.top_shape = out
        if c > self.deep:
            named.append(("aux", (c - self.deep, h, w)))
        self.deep_dim = self.deep * h * w
        self.named_parts = named

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """``(eps_aux [B, D - d], z_f [B, d], log p(z_aux | z_f) + log |det d f_w / dx|)``."""
        logp, parts = x.new_zeros(x.shape[0]), []
        for level in self.levels[:-1]:
            x, eps, logdet, logpz = level.factor_out(x)
            logp = logp + logdet + logpz
            parts.append(eps.flatten(1))
        top = self.levels[-1]
        h, logdet = top(squeeze2d(x))
        logp = logp + logdet
        z_f, aux = h[:, :self.deep], h[:, self.deep:]
        if aux.shape[1]:
            eps, logpz = top.prior.standardize(aux, z_f)
            logp = logp + logpz
            parts.append(eps.flatten(1))
        return torch.cat(parts, 1) if parts else h.new_zeros(h.shape[0], 0), z_f.flatten(1), logp

    def inverse(self, eps_aux: torch.Tensor, z_f: torch.Tensor, layout: LatentLayout) -> torch.Tensor:
        c, h, w = self.top_shape
        top = self.levels[-1]
        z = z_f.reshape(-1, self.deep, h, w)
        if c > self.deep:
            aux = top.prior.unstandardize(eps_aux[:, layout.slice("aux")].reshape(-1, c - self.deep, h, w), z)
            z = torch.cat([z, aux], 1)
        x = unsqueeze2d(top.inverse(z))
        for i in reversed(range(len(self.levels) - 1)):
            part = layout.parts[i]
            x = self.levels[i].restore(x, eps_aux[:, part.slice].reshape(-1, *part.shape))
        return x


class PointTrunk(nn.Module):
    """``f_w`` on points: zuko's RealNVP transform (its base is not used); ``z_f = f_w(x)``, no ``z_aux``."""

    def __init__(self, config: SCNFPointsConfig):
        super().__init__()
        self.flow = zuko.flows.RealNVP(config.dim, transforms=config.transforms,
                                       hidden_features=[config.hidden] * config.depth)

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        z, ladj = self.flow().transform.call_and_ladj(x)
        return x.new_zeros(x.shape[0], 0), z, ladj

    def inverse(self, eps_aux: torch.Tensor, z_f: torch.Tensor, layout: LatentLayout) -> torch.Tensor:
        return self.flow().transform.inv(z_f)


# -- the model -----------------------------------------------------------------------------------------------
class SemiConditional:
    """What both variants share: the joint over every class from one ``f_w`` pass, the losses, the exact
    posterior and the labelled latent contract.  Subclasses set :attr:`trunk` and :attr:`conditional` and
    define :meth:`_model_space` (data-form batch -> model space, deterministic) and :meth:`_nats_to_score`."""

    uses_labels: ClassVar[bool] = True
    trunk: nn.Module
    conditional: ConditionalPart
    config: Any
    layout: LatentLayout

    # -- the joint ------------------------------------------------------------------------------------------
    def joint_log_probs(self, x: torch.Tensor) -> torch.Tensor:
        """``log p(x, y)`` for every class ``[B, K]`` of model-space ``x``: ``f_w`` once, ``h_phi`` per class."""
        _, z_f, logp_w = self.trunk(x)
        k = self.config.classes
        return logp_w[:, None] + self.conditional.all_classes(z_f) - math.log(k)

    def e_step(self, batch: torch.Tensor) -> torch.Tensor:
        """EM-SGD's E-step (appendix B): ``q(y) = p(y | x)`` under the current weights, ``[B, K]``, no gradient."""
        return self.class_log_probs(batch).exp().detach()

    def class_log_probs(self, batch: torch.Tensor) -> torch.Tensor:
        """Exact normalised ``log p(y | x)`` ``[B, K]`` of a data-form batch (eq. 5)."""
        return torch.log_softmax(self.joint_log_probs(self._model_space(batch)), 1)

    def _log_likelihoods(self, joint: torch.Tensor, labels: torch.Tensor, em: bool) -> torch.Tensor:
        """Per example ``log p(x, y)`` where labelled, else ``log p(x)`` (or EM's bound at the fixed posterior),
        minus the weighted classification term, in nats."""
        marginal = torch.logsumexp(joint, 1)
        if em:
            q = torch.softmax(joint, 1).detach()
            unlabelled = (q * (joint - torch.log(q.clamp_min(1e-30)))).sum(1)
        else:
            unlabelled = marginal
        known = labels >= 0
        picked = joint.gather(1, labels.clamp_min(0)[:, None])[:, 0]
        logp = torch.where(known, picked, unlabelled)
        if self.config.classification_weight:
            logp = logp + self.config.classification_weight * torch.where(known, picked - marginal,
                                                                          torch.zeros_like(marginal))
        return logp

    def _check_labels(self, labels: torch.Tensor | None, n: int, allow_unlabelled: bool) -> torch.Tensor:
        k = self.config.classes
        if labels is None:
            raise UserInputError(f"{self.config.family} is label-conditioned: give the class of each example "
                                 f"(0 to {k - 1})")
        labels = torch.as_tensor(labels).long().reshape(-1)
        low = -1 if allow_unlabelled else 0
        if len(labels) != n or bool(((labels < low) | (labels >= k)).any()):
            raise UserInputError(f"labels must be {n} class indices from {low} to {k - 1}")
        return labels

    # -- the labelled latent ------------------------------------------------------------------------------
    def _encode_given(self, x: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        eps_aux, z_f, logp_w = self.trunk(x)
        eps_h, logp_h = self.conditional(z_f, labels.to(x.device))
        return torch.cat([eps_aux, eps_h], 1), logp_w + logp_h

    def _decode_given(self, eps: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        """Inverse of :meth:`_encode_given`; without labels, classes ``0, 1, .., K-1, 0, ..`` in turn."""
        if labels is None:
            labels = torch.arange(eps.shape[0], device=eps.device) % self.config.classes
        labels = self._check_labels(labels, eps.shape[0], False).to(eps.device)
        part = self.layout.deepest
        z_f = self.conditional.inverse(eps[:, part.slice], labels)
        return self.trunk.inverse(eps[:, :part.offset], z_f, self.layout)

    def _layout(self, named: list[tuple[str, tuple[int, ...]]], deep_dim: int) -> LatentLayout:
        return LatentLayout.of([*named, ("z_h", (deep_dim,))])


class SCNFImages(SemiConditional, ImageFlow):
    """SCNF on images (settings: :class:`SCNFConfig`); the loss and held-out score are bits/dim of
    ``-log p(x, y)`` for labelled and ``-log p(x)`` for unlabelled images."""

    config_type = SCNFConfig

    def __init__(self, config: SCNFConfig):
        super().__init__(config)
        self.trunk = GlowTrunk(config)
        self.conditional = _conditional_part(config, self.trunk.deep_dim)
        self.layout = self._layout(self.trunk.named_parts, self.trunk.deep_dim)

    def _model_space(self, batch: torch.Tensor) -> torch.Tensor:
        self._check_images(batch)
        return self.preprocess(batch.to(self.device))

    def encode(self, x, context=None):
        """``(eps, log p(x | y))`` of model-space images given their labels ``context``."""
        self._check_images(x)
        return self._encode_given(x, self._check_labels(context, x.shape[0], False))

    def decode(self, eps, context=None):
        if eps.dim() != 2 or eps.shape[1] != self.latent_dim:
            raise UserInputError(f"latents of shape {list(eps.shape)} do not fit this model, whose latent has "
                                 f"{self.latent_dim} entries per image")
        return self._decode_given(eps, context)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """The marginal ``log p(x) = logsumexp_y log p(x, y)`` of model-space images."""
        self._check_images(x)
        return torch.logsumexp(self.joint_log_probs(x), 1)

    def forward(self, batch, noise, labels=None):
        labels = self._check_labels(labels, batch.shape[0], True).to(batch.device)
        joint = self.joint_log_probs(self.dequantize(batch, noise)).float()
        return self.log_prob_to_bits_per_dim(self._log_likelihoods(joint, labels, self.config.objective == "em"))

    def heldout_score(self, batch, labels=None):
        labels = self._check_labels(labels, batch.shape[0], True).to(self.device)
        joint = self.joint_log_probs(self._model_space(batch))
        return self.log_prob_to_bits_per_dim(self._log_likelihoods(joint, labels, False))

    def training_preview(self, count: int, seed: int, temperature: float,
                         check: Callable[[], None] | None = None) -> np.ndarray:
        """``count`` samples, one class after another (column ``i`` of the ``K``-wide grid is class ``i``)."""
        eps = torch.randn(count, self.latent_dim, generator=torch.Generator().manual_seed(seed)) * temperature
        labels = torch.arange(count) % self.config.classes
        parts = []
        with torch.no_grad():
            for chunk, y in zip(eps.split(PREVIEW_CHUNK), labels.split(PREVIEW_CHUNK)):
                if check is not None:
                    check()
                parts.append(self.postprocess(self.decode(chunk.to(self.device), y.to(self.device)).float()).cpu())
        _, h, w = self.image_shape
        return np.asarray(make_grid(torch.cat(parts), nrow=self.config.classes, scale=max(1, 64 // max(h, w))))


class SCNFPoints(SemiConditional, VectorFlow):
    """SCNF on points (settings: :class:`SCNFPointsConfig`); losses in nats (``-log p(x, y)`` labelled,
    ``-log p(x)`` unlabelled).  A preview's samples take the classes in turn."""

    config_type = SCNFPointsConfig

    def __init__(self, config: SCNFPointsConfig):
        super().__init__(config)
        self.trunk = PointTrunk(config)
        self.conditional = _conditional_part(config, config.dim)
        self.layout = self._layout([], config.dim)

    def _model_space(self, batch: torch.Tensor) -> torch.Tensor:
        self._check(batch, "points", None)
        return batch.to(self.device).float()

    def encode(self, x, context=None):
        """``(eps, log p(x | y))`` of points given their labels ``context``."""
        self._check(x, "points", None)
        return self._encode_given(x, self._check_labels(context, x.shape[0], False))

    def decode(self, eps, context=None):
        self._check(eps, "latents", None)
        return self._decode_given(eps, context)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """The marginal ``log p(x) = logsumexp_y log p(x, y)``."""
        self._check(x, "points", None)
        return torch.logsumexp(self.joint_log_probs(x), 1)

    def forward(self, batch, noise=None, labels=None):
        labels = self._check_labels(labels, batch.shape[0], True).to(batch.device)
        with torch.autocast(device_type=batch.device.type, enabled=False):
            joint = self.joint_log_probs(batch.float())
            return -self._log_likelihoods(joint, labels, self.config.objective == "em")

    def heldout_score(self, batch, labels=None):
        labels = self._check_labels(labels, batch.shape[0], True).to(self.device)
        return -self._log_likelihoods(self.joint_log_probs(self._model_space(batch)), labels, False)
