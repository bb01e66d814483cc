"""IAF, the inverse autoregressive flow (Kingma et al. 2016, arXiv:1606.04934): zuko's MAF, inverted.

IAF's layers run the autoregression the other way (the survey, Kobyzev et al.
2020, arXiv:1908.09257, sec. 3.4.1, eq. 12): from noise to data,

    x_i = mu_i(z_{<i}) + exp(alpha_i(z_{<i})) * z_i,

so sampling is one network pass and evaluating the density of a given ``x``
inverts it one coordinate at a time, ``D`` passes: the reverse of MAF's
trade-off.  That is exactly the inverse of a MAF transform, which is how zuko
recommends building it: ``Flow(MAF(...).transform.inv, base)``.  An IAF and a
MAF of equal settings have the same parameters (the benchmark
``benchmarks/vector_flow_speed.py`` times both).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import zuko

from flowstudio.models.vector import ZukoFlow, ZukoFlowConfig


@dataclass(frozen=True)
class IAFConfig(ZukoFlowConfig):
    family: ClassVar[str] = "iaf"


class IAF(ZukoFlow):
    """The inverse of zuko's MAF transform over the same standard normal base (:class:`IAFConfig`)."""

    config_type = IAFConfig
    zuko_flow = zuko.flows.MAF

    def build_flow(self, config: IAFConfig) -> zuko.flows.Flow:
        maf = super().build_flow(config)
        return zuko.flows.Flow(maf.transform.inv, maf.base)
