"""One-line descriptions of what a grid shows, shared by the views, the cell dialog and the status text."""

from __future__ import annotations

from typing import Any


def describe_sample(result: Any) -> str:
    """``"Posterior of 8 images · λ = 4 (0.5 × m) · isotropic · T 0.7"``, or the prior's."""
    params = result.request.params
    grid = getattr(result, "labels", None)
    if grid is not None:
        rows, cols = grid.images.shape[:2]
        if grid.kind == "same_style":
            return (f"Same style, every label · {cols} style{'s' if cols != 1 else ''} (seeds {grid.seeds[0][0]}.."
                    f"{grid.seeds[0][-1]}) under {rows} label{'s' if rows != 1 else ''} · T {params.temperature:.2f}")
        which = grid.names[grid.labels[0]] if rows == 1 else "a row per label"
        return f"By label: {which} · {rows * cols} samples, a seed each · T {params.temperature:.2f}"
    if result.posterior is None:
        return f"The model's own samples (no examples yet) · T {params.temperature:.2f}"
    post, spec = result.posterior, result.posterior.spec
    lam = f"λ = {post.lam_abs:.3g}" + (f" ({spec.lam:.2f} × m)" if spec.relative else "")
    return (f"Posterior of {post.m} example{'s' if post.m != 1 else ''} · {lam} · {spec.covariance} · "
            f"T {params.temperature:.2f}")


def no_transflow(info: Any) -> str:
    """What a Transflow view says for a model without Transflow latents (a label-conditioned one), else ""."""
    if info is None or not info.label_names:
        return ""
    return ("This model generates by label and has no Transflow latents, so this view does not apply to it.\n"
            "Draw by label in the Samples view, or classify with its own p(y | x) in the Classify view.")
