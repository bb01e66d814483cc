"""The likelihood rule of the Transflow posterior as plain values: :class:`LikelihoodSpec` (no torch).

One vocabulary for lambda everywhere: the maths
(:func:`flowstudio.transflow.posterior`), the command line (``--lam``,
``--lam-abs``, ``--covariance``, ``--floor``), the studio's document and
project files, and the records in every PNG Flow Studio writes all hold a
:class:`LikelihoodSpec`, and write it with :meth:`LikelihoodSpec.to_record`.

:func:`read_png_likelihood` also reads the keys PNGs carried before that
record existed (``lambda``, ``lambda_relative``, ``covariance``, ``floor``),
so older images still restore their parameters.

This module imports no torch (nor does it import :mod:`flowstudio.transflow`,
whose package imports torch), so the studio's GUI thread can use it before a
model is loaded.  ``flowstudio.transflow.LikelihoodSpec`` is this class.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from numbers import Real
from typing import Any, Literal

from flowstudio.errors import UserInputError

COVARIANCES = ("isotropic", "diagonal")
"""The likelihood covariance rules: ``lambda I`` (the paper's) and ``lambda diag(v)`` (beyond the paper)."""
Covariance = Literal["isotropic", "diagonal"]

RECORD_KEY = "likelihood"
"""The key under which a PNG record (and a project's parameters) hold :meth:`LikelihoodSpec.to_record`."""


@dataclass(frozen=True)
class LikelihoodSpec:
    """How the likelihood covariance ``Sigma`` of ``zeta_i ~ N(eps, Sigma)`` is chosen.

    * ``lam``: ``lambda``; absolute, or with ``relative=True`` a multiple ``r``
      of the evidence count, ``lambda = r * m`` (``r`` in 0.3..0.7
      suits artists).  Larger ``lambda`` trusts the evidence less: the
      posterior mean moves toward the prior's and its variance grows.
      The absolute value for ``m`` latents is :meth:`absolute_lambda` (a
      posterior keeps the one it used as ``Posterior.lam_abs``).
    * ``covariance="isotropic"``: ``Sigma = lambda I`` (paper eq. 7-8).
    * ``covariance="diagonal"`` (beyond the paper):
      ``Sigma = diag(lambda * max(v_d, floor))`` with ``v_d`` the evidence's
      unbiased per-dimension variance.  ``floor`` (default ``1e-2``, i.e. a
      tenth of the prior's standard deviation) keeps ``Sigma`` positive where
      the evidence happens to agree exactly.  With a single evidence latent
      there is no spread to measure, so ``v_d = 1`` (the prior's variance) and
      the diagonal rule coincides with the isotropic one.

    Invalid values raise :class:`~flowstudio.errors.UserInputError` (a ``ValueError``).
    """

    lam: float = 0.5
    relative: bool = True
    covariance: Covariance = "isotropic"
    floor: float = 1e-2

    def __post_init__(self) -> None:
        for name in ("lam", "floor"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, Real):
                raise UserInputError(f"{'lambda' if name == 'lam' else name} must be a number, got {value!r}")
            object.__setattr__(self, name, float(value))
        if not self.lam > 0:
            raise UserInputError(f"lambda must be positive, got {self.lam:g}")
        if not isinstance(self.relative, bool):
            raise UserInputError(f"relative must be true or false, got {self.relative!r}")
        if self.covariance not in COVARIANCES:
            raise UserInputError(f"covariance must be {' or '.join(map(repr, COVARIANCES))}, "
                                 f"got {self.covariance!r}")
        if not self.floor > 0:
            raise UserInputError(f"floor must be positive, got {self.floor:g}")

    def absolute_lambda(self, m: int) -> float:
        """``lambda`` for ``m`` evidence latents (``r * m`` when relative)."""
        return self.lam * m if self.relative else self.lam

    def to_record(self) -> dict[str, Any]:
        """The spec as JSON values: ``{"lam", "relative", "covariance", "floor"}`` (PNG records, project files)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_record(cls, record: Mapping[str, Any], base: LikelihoodSpec | None = None) -> LikelihoodSpec:
        """Read :meth:`to_record`'s dict; keys it lacks come from ``base`` (default: the defaults).

        Keys this version does not know are ignored (a newer version may add
        some).  Damaged values raise :class:`~flowstudio.errors.UserInputError`.
        """
        if not isinstance(record, Mapping):
            raise UserInputError(f"a likelihood record is a JSON object, got {type(record).__name__}")
        known = {f.name for f in fields(cls)}
        base = base or cls()
        return cls(**{**base.to_record(), **{k: v for k, v in record.items() if k in known}})


def read_png_likelihood(record: Mapping[str, Any]) -> dict[str, Any]:
    """The likelihood fields a PNG record sets, validated, as ``{field: value}`` ({} when it sets none).

    Reads the :data:`RECORD_KEY` record, or the keys written before it
    (``lambda`` with ``lambda_relative``, ``covariance``, ``floor``).  Only
    the fields the record holds are returned: a lambda sweep, for instance,
    records no single lambda.  Damaged values raise
    :class:`~flowstudio.errors.UserInputError`.
    """
    if RECORD_KEY in record:
        given = record[RECORD_KEY]
        if not isinstance(given, Mapping):
            raise UserInputError(f"a likelihood record is a JSON object, got {type(given).__name__}")
        given = {k: v for k, v in given.items() if k in {f.name for f in fields(LikelihoodSpec)}}
    else:  # Flow Studio 0.1: flat keys
        given = {}
        if "lambda" in record:
            given["lam"] = record["lambda"]
            given["relative"] = record.get("lambda_relative", True)
        for key in ("covariance", "floor"):
            if key in record:
                given[key] = record[key]
    spec = LikelihoodSpec.from_record(given)
    return {k: getattr(spec, k) for k in given}
