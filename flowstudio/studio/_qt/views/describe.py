"""One-line descriptions of what a grid shows, shared by the views, the cell dialog and the status text."""

from __future__ import annotations

from typing import Any


def describe_sample(result: Any) -> str:
    """``"Posterior of 8 images · λ = 4 (0.5 × m) · isotropic · T 0.7"``, or the prior's."""
    params = result.request.params
    if result.posterior is None:
        return f"The model's own samples (no examples yet) · T {params.temperature:.2f}"
    post, spec = result.posterior, result.posterior.spec
    lam = f"λ = {post.lam_abs:.3g}" + (f" ({spec.lam:.2f} × m)" if spec.relative else "")
    return (f"Posterior of {post.m} example{'s' if post.m != 1 else ''} · {lam} · {spec.covariance} · "
            f"T {params.temperature:.2f}")
