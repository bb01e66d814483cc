"""The few-shot classifier's methods as plain names (no torch), for the command line and the studio's GUI thread.

``isotropic`` is the Transflow paper's rule (Gambardella, Baydin & Torr 2019,
arXiv:1911.13270, eq. 7-11) with the likelihood settings of a
:class:`~flowstudio.likelihood.LikelihoodSpec`; the others are beyond the
paper, and their maths is in :mod:`flowstudio.transflow.pooled`.  This module
imports no torch, so the studio can list the methods before a model is loaded.
"""

from __future__ import annotations

METHODS = {
    "isotropic": "the paper's Transflow: one posterior per class, Sigma = lambda I (eq. 7-11), with the "
                 "likelihood settings (--lam, --covariance; the studio's Posterior panel)",
    "full-covariance": "beyond the paper: Sigma = lambda C, C the pooled, shrunk within-class covariance of the "
                       "deepest latent level",
    "pooled-diagonal": "beyond the paper: Sigma = lambda diag(s), s the pooled per-dimension within-class variance",
    "fusion": "beyond the paper, and not Bayesian: the sum of the pixels' and the latents' shrinkage-LDA scores",
}
"""Each method's name and what it is (``flowstudio classify --method``, the studio's Classify panel)."""

BEYOND_PAPER = ("full-covariance", "pooled-diagonal", "fusion")
"""The methods that are not in the paper."""
