"""RealNVP on vectors (Dinh, Sohl-Dickstein & Bengio 2017, arXiv:1605.08803): affine couplings, as zuko's ``RealNVP``.

Each layer keeps half the coordinates ``x_a`` and moves the other half
(the survey, Kobyzev et al. 2020, arXiv:1908.09257, sec. 3.4.2, eq. 9; RealNVP eq. 4):

    y_a = x_a,    y_b = x_b * exp(s(x_a)) + t(x_a),    log |det| = sum s(x_a),

with ``s, t`` from one MLP.  Halves alternate between even and odd entries
layer by layer.  Density and sampling are both one pass.  zuko soft-clamps
``s`` (``MonotonicAffineTransform``) so a layer's scale stays within about
``e^{+-7}``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import zuko

from flowstudio.models.vector import ZukoFlow, ZukoFlowConfig


@dataclass(frozen=True)
class VectorRealNVPConfig(ZukoFlowConfig):
    family: ClassVar[str] = "realnvp-vector"


class VectorRealNVP(ZukoFlow):
    """zuko's RealNVP: ``transforms`` affine couplings of ``depth`` x ``hidden`` MLPs (:class:`VectorRealNVPConfig`)."""

    config_type = VectorRealNVPConfig
    zuko_flow = zuko.flows.RealNVP
