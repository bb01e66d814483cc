"""Invertible building blocks shared by every flow family (torch), apart from the families themselves.

Every block is a :class:`~flowstudio.flows.transform.Transform`:
``forward(x, context=None) -> (y, logdet)`` and ``inverse(y, context=None) -> x``,
with ``logdet = log |det dy/dx|`` per sample.  Families (:mod:`flowstudio.models`)
compose them; the registry (:mod:`flowstudio.registry`) names the families.

* :mod:`.transform`  the contract, and :class:`~.transform.Chain` (a sequence of transforms)
* :mod:`.actnorm`    per-channel affine with data-dependent initialisation (Glow)
* :mod:`.invconv`    invertible 1x1 convolution, LU-parameterised (Glow)
* :mod:`.squeeze`    space-to-depth
* :mod:`.coupling`   one coupling layer with pluggable masks (channel halves, interleaved,
  checkerboard / channel binary masks) and rules (additive, Glow's sigmoid affine,
  RealNVP's exp affine)
* :mod:`.nets`       the conditioner networks the couplings and priors use
* :mod:`.priors`     standard normal, learned split prior, class-conditional prior
* :mod:`.multiscale` the one multi-scale factor-out (levels, split, standardized ``eps``)
  used by every multi-scale family

Why hand-written (and not zuko, normflows, nflows or FrEIA): no library exposes
standardized multi-level latents with the exact semantics of the public Glow
implementations (normflows returns raw per-level z with independent bases,
nflows flattens, zuko has no image layers, FrEIA has no learned 1x1
convolution), and the importers need parameter-level control over every layer.
Vector flows (MAF/IAF) come from zuko.
"""

from flowstudio.flows.actnorm import ActNorm
from flowstudio.flows.coupling import (AdditiveRule, BinaryMask, ChannelHalves, Coupling, ExpAffineRule, Interleaved,
                                       SigmoidAffineRule, channel_mask, checkerboard)
from flowstudio.flows.invconv import InvConv1x1
from flowstudio.flows.multiscale import Level, decode_levels, encode_levels, levels_layout
from flowstudio.flows.priors import ClassConditionalPrior, LearnedSplitPrior, StandardNormalPrior, standard_normal_logp
from flowstudio.flows.squeeze import Squeeze, squeeze2d, unsqueeze2d
from flowstudio.flows.transform import Chain, Transform

__all__ = ["ActNorm", "AdditiveRule", "BinaryMask", "Chain", "ChannelHalves", "ClassConditionalPrior", "Coupling",
           "ExpAffineRule", "Interleaved", "InvConv1x1", "LearnedSplitPrior", "Level", "SigmoidAffineRule", "Squeeze",
           "StandardNormalPrior", "Transform", "channel_mask", "checkerboard", "decode_levels", "encode_levels",
           "levels_layout", "squeeze2d", "standard_normal_logp", "unsqueeze2d"]
