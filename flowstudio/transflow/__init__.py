"""Transflow learning: Bayesian updates of a flow's latent prior on a few evidence images.

Gambardella, Baydin & Torr, "Transflow Learning: Repurposing Flow Models
Without Retraining" (2019).  :mod:`.posterior` holds the maths (eq. 3-4, 7-8,
10-11), :mod:`.interpolate` the interpolations (Fig. 3-4), :mod:`.classify`
the few-shot classifier (its rules beyond the paper in :mod:`.pooled`),
:mod:`.encode` the streaming bridges to a model and :mod:`.diagnostics` the
check for evidence far outside the model's range.
:class:`LikelihoodSpec` and :data:`COVARIANCES` come from the torch-free
:mod:`flowstudio.likelihood` (this package imports torch).
"""

from flowstudio.fewshot_methods import BEYOND_PAPER, METHODS
from flowstudio.transflow.classify import FewShotClassifier, TransflowClassifier, class_probabilities, method_rule
from flowstudio.transflow.diagnostics import (BpdReference, EvidenceAdvice, EvidenceCheck, assess_evidence,
                                            check_evidence, check_latents, flag_set_outliers, judge,
                                            judge_encoded)
from flowstudio.transflow.encode import (
    DecodedImages,
    bits_per_dim,
    decode_checked,
    decode_latents,
    encode_images,
    evidence_stats,
    iter_batches,
)
from flowstudio.transflow.interpolate import interpolate_posteriors, lerp_latents, posterior_strip
from flowstudio.transflow.posterior import (
    COVARIANCES,
    DiagGaussian,
    EvidenceStats,
    LikelihoodSpec,
    Posterior,
    posterior,
    posterior_full,
    seeded_noise,
)

__all__ = [
    "BEYOND_PAPER",
    "COVARIANCES",
    "BpdReference",
    "DecodedImages",
    "DiagGaussian",
    "EvidenceAdvice",
    "EvidenceCheck",
    "EvidenceStats",
    "FewShotClassifier",
    "LikelihoodSpec",
    "METHODS",
    "Posterior",
    "TransflowClassifier",
    "assess_evidence",
    "bits_per_dim",
    "check_evidence",
    "class_probabilities",
    "check_latents",
    "decode_checked",
    "decode_latents",
    "encode_images",
    "evidence_stats",
    "flag_set_outliers",
    "interpolate_posteriors",
    "iter_batches",
    "judge",
    "judge_encoded",
    "lerp_latents",
    "method_rule",
    "posterior",
    "posterior_full",
    "posterior_strip",
    "seeded_noise",
]
