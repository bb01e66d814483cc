"""Options and steps shared by the subcommands: the model, evidence sets, the posterior."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from flowstudio.checkpoint import LoadedModel, atomic_write_bytes, file_sha256, load_checkpoint
from flowstudio.cli.errors import USER_ERRORS, CliError  # noqa: F401  (re-exported: train_cmd imports them from here)
from flowstudio.data.images import iter_loaded_images
from flowstudio.devices import CHOICES, resolve_device
from flowstudio.importers import import_checkpoint
from flowstudio.imaging import file_digest
from flowstudio.resources import default_model_path
from flowstudio.transflow import EvidenceStats, LikelihoodSpec, Posterior
from flowstudio.transflow.encode import encode_images

PEER_SUFFIXES = (".pt", ".pth", ".pkg", ".bin", ".ckpt")


def add_model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--model", "-m", type=Path, default=None,
                   help="checkpoint: a Flow Studio .safetensors, or a peer Glow .pt/.pth/.pkg "
                        "(imported on the fly); default: the bundled Fashion-MNIST Glow")
    p.add_argument("--device", choices=CHOICES, default="auto",
                   help="where the model runs: auto picks CUDA, then Apple MPS, then CPU (default: auto)")
    p.add_argument("--batch-size", type=int, default=256, metavar="N",
                   help="images encoded or decoded at a time; lower it if memory runs short (default: 256)")


def add_posterior_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("posterior (Transflow)")
    g.add_argument("--lam", type=float, default=0.5, metavar="R",
                   help="lambda as a multiple of the number m of evidence images, lambda = R*m. "
                        "Small R follows the evidence closely; large R stays nearer the model's "
                        "usual images. Useful range 0.3-0.7 (default: 0.5)")
    g.add_argument("--lam-abs", type=float, default=None, metavar="L",
                   help="absolute lambda instead of a multiple of m")
    g.add_argument("--covariance", choices=("isotropic", "diagonal"), default="isotropic",
                   help="likelihood covariance: isotropic lambda*I as in the paper, or diagonal "
                        "lambda*(per-dimension evidence variance), beyond the paper (default: isotropic)")
    g.add_argument("--floor", type=float, default=1e-2,
                   help="smallest per-dimension variance for --covariance diagonal (default: 0.01)")


def spec_from_args(args: argparse.Namespace) -> LikelihoodSpec:
    if args.lam_abs is not None:
        return LikelihoodSpec(lam=args.lam_abs, relative=False, covariance=args.covariance, floor=args.floor)
    return LikelihoodSpec(lam=args.lam, relative=True, covariance=args.covariance, floor=args.floor)


def spec_params(spec: LikelihoodSpec, post: Posterior | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"lambda": spec.lam, "lambda_relative": spec.relative, "covariance": spec.covariance}
    if spec.covariance == "diagonal":
        out["floor"] = spec.floor
    if post is not None:
        out.update(m=post.m, lambda_abs=post.lam_abs)
    return out


def open_model(args: argparse.Namespace) -> LoadedModel:
    """Load ``--model`` (or the bundled default) on ``--device``."""
    stages = open_model_stages(args.model, args.device)
    while True:
        try:
            next(stages)
        except StopIteration as done:
            return done.value


def open_model_stages(path: Path | None, device: str) -> Generator[str, None, LoadedModel]:
    """Load a checkpoint stage by stage, yielding the name of each slow stage before it runs.

    The model exists only when the generator returns it, so a caller that
    stops between stages (the studio's Cancel) leaves nothing half-loaded
    and nothing changed.  Stages: choosing the device (the first CUDA call
    can take seconds), reading the file (for a peer checkpoint: importing
    it), moving a peer model to the device, hashing the file.
    """
    path = path or default_model_path()
    if not path.exists():
        hint = "" if path != default_model_path() else " (the bundled model is missing: reinstall, or pass --model)"
        raise CliError(f"{path}: no such checkpoint{hint}")
    yield "choosing the device"
    target = resolve_device(device)
    if path.suffix.lower() not in PEER_SUFFIXES:
        yield f"reading {path.name}"
        return load_checkpoint(path, target)
    yield f"importing {path.name}"
    model, card = import_checkpoint(path)
    yield f"moving the model to {target}"
    model = model.to(target).eval()
    yield f"hashing {path.name}"
    return LoadedModel(model, card, path, file_sha256(path))


def model_params(loaded: LoadedModel) -> dict[str, Any]:
    return {"model": loaded.model_id, "model_sha256": loaded.sha256}


@dataclass
class Evidence:
    """An evidence set read for a model: latent statistics, file identities, and the first latent."""

    stats: EvidenceStats
    files: list[dict[str, str]]
    first_latent: torch.Tensor


def read_evidence(paths: list[Path], loaded: LoadedModel, batch_size: int, what: str = "images") -> Evidence:
    """Load and encode image files/folders batch by batch (memory bounded by ``batch_size``).

    Skipped files are reported with their reason; an empty set is refused.
    ``files`` (name and short content hash) identifies the evidence in saved parameters.
    """
    model = loaded.model
    c, h, w = model.image_shape
    stats = EvidenceStats(model.latent_dim)
    files: list[dict[str, str]] = []
    first: torch.Tensor | None = None
    for batch in iter_loaded_images(paths, c, (h, w), batch_size):
        report_skipped(batch.errors)
        if not batch.paths:
            continue
        for eps, _ in encode_images(model, batch.images, batch_size):
            stats.update(eps)
            first = eps[0] if first is None else first
        files += [{"file": p.name, "sha256": file_digest(p)} for p in batch.paths]
    if first is None:
        raise CliError(f"no usable {what} in {', '.join(str(p) for p in paths)}")
    return Evidence(stats, files, first)


def report_skipped(errors: list[tuple[Path, str]]) -> None:
    for path, reason in errors:
        print(f"skipped {path}: {reason}", file=sys.stderr)


def check_output(path: Path, suffixes: tuple[str, ...]) -> Path:
    if path.suffix.lower() not in suffixes:
        raise CliError(f"{path}: output must end in {' or '.join(suffixes)}")
    if not path.parent.exists():
        raise CliError(f"{path.parent}: output folder does not exist")
    return path


def write_rows(rows: list[dict[str, Any]], fields: list, out: Path | None) -> None:
    """Results as CSV (floats to 3 decimals) on stdout or to ``out``; JSON when ``out`` ends in .json."""
    if out is not None and out.suffix.lower() == ".json":
        atomic_write_bytes(out, json.dumps(rows, indent=2).encode())
        return
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields)
    writer.writeheader()
    writer.writerows({k: (f"{v:.3f}" if isinstance(v, float) else v) for k, v in r.items()} for r in rows)
    if out is None:
        print(buf.getvalue(), end="")
    else:
        atomic_write_bytes(out, buf.getvalue().encode())
