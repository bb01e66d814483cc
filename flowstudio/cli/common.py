"""Options and steps shared by the subcommands: the model, evidence sets, the posterior.

Argument-parsing glue only: the model loader is :mod:`flowstudio.loading`,
the PNG records and result tables are :mod:`flowstudio.records`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass, field
from pathlib import Path

import torch

from flowstudio.checkpoint import LoadedModel
from flowstudio.cli.errors import USER_ERRORS, CliError  # noqa: F401  (re-exported: train_cmd imports them from here)
from flowstudio.cli.options import MAX_BATCH, MAX_LAMBDA, add_number
from flowstudio.data.images import iter_loaded_images
from flowstudio.devices import CHOICES
from flowstudio.imaging import file_digest
from flowstudio.importers import PEERS
from flowstudio.loading import PEER_SUFFIXES, PeerOptions
from flowstudio.loading import open_model as load_model
from flowstudio.likelihood import COVARIANCES, LikelihoodSpec
from flowstudio.models.config import MAX_SIDE
from flowstudio.registry import require, require_data
from flowstudio.transflow import BpdReference, EvidenceCheck, EvidenceStats, judge_encoded
from flowstudio.transflow.encode import encode_images


def add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", "-m", type=Path, default=None,
                   help=f"checkpoint: a Flow Studio .safetensors, or a peer Glow {'/'.join(PEER_SUFFIXES)} "
                        "(imported on the fly, see the peer options); default: the bundled Fashion-MNIST Glow")
    p.add_argument("--device", choices=CHOICES, default="auto",
                   help="where the model runs: auto picks CUDA, then Apple MPS, then CPU (default: auto)")
    add_number(p, "--batch-size", whole=True, low=1, high=MAX_BATCH, default=256, metavar="N",
               help="images encoded or decoded at a time; lower it if memory runs short")
    add_peer_options(p.add_argument_group(
        "peer checkpoints", "what importing a peer --model needs when the file does not record it "
                            "(the same options as flowstudio import)"))


def add_peer_options(g: argparse.ArgumentParser | argparse._ArgumentGroup) -> None:
    """The options of :class:`flowstudio.loading.PeerOptions` (``flowstudio import`` and every ``--model``)."""
    g.add_argument("--peer", choices=("auto", *PEERS), default="auto",
                   help="which implementation wrote a peer checkpoint (default: detected from the weight names)")
    g.add_argument("--hparams", type=Path, default=None, metavar="FILE",
                   help="the peer's hyper-parameter JSON (y0ast hparams.json, chaiyujin hparams/*.json); "
                        "default: hparams.json beside the checkpoint if present")
    add_number(g, "--image-size", whole=True, low=1, high=MAX_SIDE, metavar="N",
               help="image side in pixels, when the checkpoint and hparams lack it (rosinality)")
    g.add_argument("--channels", type=int, choices=(1, 3), default=None, help="image channels, when hparams lack it")
    add_number(g, "--n-bits", whole=True, low=1, high=8, help="bits per colour channel the model was trained with")


def peer_options(args: argparse.Namespace) -> PeerOptions:
    return PeerOptions(hparams=args.hparams, image_size=args.image_size, channels=args.channels,
                       n_bits=args.n_bits, peer=args.peer)


def open_model(args: argparse.Namespace, needs: tuple[str, str] | None = None) -> LoadedModel:
    """Load ``--model`` (or the bundled default) on ``--device``, importing a peer checkpoint with the peer options.

    ``needs`` is ``(capability, purpose)`` of a command on images: the model's
    family must have it (:func:`flowstudio.registry.require`), e.g. an
    invertible latent for Transflow, and learn from images (a points model is
    refused in words, :func:`flowstudio.registry.require_data`).
    """
    loaded = load_model(args.model, args.device, peer_options(args))
    if needs is not None:
        check_needs(loaded, needs)
    return loaded


def check_needs(loaded: LoadedModel, needs: tuple[str, str]) -> None:
    """Refuse a model that lacks the capability, or does not learn from images, of ``needs`` (see :func:`open_model`)."""
    require_data(loaded.model.family, "images", needs[1], needs[0])
    require(loaded.model.family, *needs)


TRANSFLOW = ("invertible_latent", "Transflow (posteriors from example images)")
"""What sample, interpolate and classify need of a model."""


def add_posterior_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("posterior (Transflow)")
    add_number(g, "--lam", whole=False, low=0, high=MAX_LAMBDA, open_low=True, default=0.5, metavar="R",
               help="lambda as a multiple of the number m of evidence images, lambda = R*m. "
                    "Small R follows the evidence closely; large R stays nearer the model's "
                    "usual images. Useful range 0.3-0.7")
    add_number(g, "--lam-abs", whole=False, low=0, high=MAX_LAMBDA, open_low=True, metavar="L",
               help="absolute lambda instead of a multiple of m")
    g.add_argument("--covariance", choices=COVARIANCES, default="isotropic",
                   help="likelihood covariance: isotropic lambda*I as in the paper, or diagonal "
                        "lambda*(per-dimension evidence variance), beyond the paper (default: isotropic)")
    add_number(g, "--floor", whole=False, low=0, high=100, open_low=True, default=1e-2,
               help="smallest per-dimension variance for --covariance diagonal")


def spec_from_args(args: argparse.Namespace) -> LikelihoodSpec:
    """The likelihood rule of ``--lam`` (a multiple of m) or ``--lam-abs`` (absolute), ``--covariance``, ``--floor``."""
    relative = args.lam_abs is None
    return LikelihoodSpec(lam=args.lam if relative else args.lam_abs, relative=relative, covariance=args.covariance,
                          floor=args.floor)


@dataclass
class Evidence:
    """An evidence set read for a model: latent statistics, file identities, the first latent, and the
    model's verdict on each image (``checks[i]`` is about ``paths[i]``)."""

    stats: EvidenceStats
    files: list[dict[str, str]]
    first_latent: torch.Tensor
    paths: list[Path] = field(default_factory=list)
    checks: list[EvidenceCheck] = field(default_factory=list)


def read_evidence(paths: list[Path], loaded: LoadedModel, batch_size: int, what: str = "images") -> Evidence:
    """Load and encode image files/folders batch by batch (memory bounded by ``batch_size``).

    Skipped files are reported with their reason; an empty set is refused.
    ``files`` (name and short content hash) identifies the evidence in saved parameters.
    """
    model = loaded.model
    c, h, w = model.image_shape
    stats = EvidenceStats(model.latent_dim)
    reference = BpdReference.from_card(loaded.card)
    evidence = Evidence(stats, [], torch.zeros(0))
    first: torch.Tensor | None = None
    for batch in iter_loaded_images(paths, c, (h, w), batch_size):
        report_skipped(batch.errors)
        if not batch.paths:
            continue
        for eps, log_prob in encode_images(model, batch.images, batch_size):
            stats.update(eps)
            evidence.checks += judge_encoded(model, batch.images, eps, log_prob, reference)
            first = eps[0] if first is None else first
        evidence.files += [{"file": p.name, "sha256": file_digest(p)} for p in batch.paths]
        evidence.paths += batch.paths
    if first is None:
        raise CliError(f"no usable {what} in {', '.join(str(p) for p in paths)}")
    evidence.first_latent = first
    return evidence


def report_skipped(errors: list[tuple[Path, str]]) -> None:
    for path, reason in errors:
        print(f"skipped {path}: {reason}", file=sys.stderr)


def check_output(path: Path, suffixes: tuple[str, ...]) -> Path:
    if path.suffix.lower() not in suffixes:
        raise CliError(f"{path}: output must end in {' or '.join(suffixes)}")
    if not path.parent.exists():
        raise CliError(f"{path.parent}: output folder does not exist")
    return path
