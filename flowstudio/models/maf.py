"""MAF, the masked autoregressive flow (Papamakarios, Pavlakou & Murray 2017, arXiv:1705.07057), as zuko's ``MAF``.

Each of ``transforms`` layers is an autoregressive affine map from data to
noise (the survey, Kobyzev et al. 2020, arXiv:1908.09257, sec. 3.4.1, eq. 11)

    z_i = (x_i - mu_i(x_{<i})) * exp(-alpha_i(x_{<i})),    log |det| = -sum_i alpha_i,

with ``mu, alpha`` from one MADE network (Germain et al. 2015, arXiv:1502.03509:
a masked MLP, so output ``i`` sees only inputs ``< i``).  Evaluating the
density is one network pass; sampling inverts it one coordinate at a time, ``D``
passes.  The variable order alternates between layers (ascending, descending).
zuko writes the affine map as ``exp(a) x + b`` with a soft-clamped ``a``
(``MonotonicAffineTransform``), the same family of maps.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import zuko

from flowstudio.models.vector import ZukoFlow, ZukoFlowConfig


@dataclass(frozen=True)
class MAFConfig(ZukoFlowConfig):
    family: ClassVar[str] = "maf"


class MAF(ZukoFlow):
    """zuko's MAF with ``transforms`` MADE layers of ``depth`` x ``hidden`` units (:class:`MAFConfig`)."""

    config_type = MAFConfig
    zuko_flow = zuko.flows.MAF
