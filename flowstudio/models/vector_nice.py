"""NICE on vectors (Dinh, Krueger & Bengio 2015, arXiv:1410.8516): additive couplings and a diagonal scaling, in zuko.

Each coupling keeps half the coordinates and shifts the other half (NICE
eq. 4; the survey, Kobyzev et al. 2020, arXiv:1908.09257, sec. 3.4.2):

    y_a = x_a,    y_b = x_b + m(x_a),    log |det| = 0,

halves alternating layer by layer.  Volume-preserving layers alone cannot
concentrate mass, so NICE ends with a diagonal scaling ``y = exp(s) h``
(sec. 3.3, ``log |det| = sum s``); here it is zuko's elementwise
``exp(s) h + b`` with learned ``s, b`` (``MonotonicAffineTransform``, an
unconditional transform), the scaling plus a shift.  The couplings are zuko's
``NICE`` flow with its ``AdditiveTransform``: nothing is hand-written.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import zuko

from flowstudio.models.vector import ZukoFlow, ZukoFlowConfig


@dataclass(frozen=True)
class VectorNICEConfig(ZukoFlowConfig):
    family: ClassVar[str] = "nice-vector"


class VectorNICE(ZukoFlow):
    """``transforms`` additive couplings of ``depth`` x ``hidden`` MLPs, then a diagonal scaling
    (:class:`VectorNICEConfig`)."""

    config_type = VectorNICEConfig
    zuko_flow = zuko.flows.NICE
    zuko_options = {"univariate": zuko.transforms.AdditiveTransform, "shapes": ((),)}

    def build_flow(self, config: VectorNICEConfig) -> zuko.flows.Flow:
        nice = super().build_flow(config)
        scaling = zuko.flows.UnconditionalTransform(zuko.transforms.MonotonicAffineTransform,
                                                    torch.zeros(config.dim), torch.zeros(config.dim))
        return zuko.flows.Flow([*nice.transform.transforms, scaling], nice.base)
