"""One loaded model and its caches: encode evidence once, then posteriors and decodes on demand.

The studio redraws its grid every time a slider moves, so the expensive
parts are done once and kept:

* each evidence image's latent, keyed by the file's short content hash
  (the same image in two sets, or a set and its duplicate, is encoded once);
* the :class:`~flowstudio.transflow.EvidenceStats` of each combination of
  included images (a few, least recently used first out).

A lambda, covariance or temperature change then costs a posterior (a few
vector operations over ``D``) plus the decode, which dominates.  All maths
and file handling are the core's (:mod:`flowstudio.transflow`,
:mod:`flowstudio.data.images`); results equal ``flowstudio sample``'s for
the same parameters and seeds.

An :class:`Engine` is used from worker threads only (one encoding job and
one renderer at a time); its caches are guarded by a lock.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import torch

from flowstudio.card import ModelCard
from flowstudio.checkpoint import LoadedModel
from flowstudio.data.images import Conversion, iter_image_paths, iter_loaded_images
from flowstudio.imaging import file_digest
from flowstudio.labelled import LabelGrid, class_percent, draw_by_label, draw_same_style, label_names
from flowstudio.registry import get_family, require, require_data
from flowstudio.loading import open_model_stages
from flowstudio.studio.requests import SampleRequest
from flowstudio.transflow import (BpdReference, DiagGaussian, EvidenceAdvice, EvidenceCheck, EvidenceStats,
                                  LikelihoodSpec, Posterior, assess_evidence, decode_checked,
                                  encode_images, flag_set_outliers, judge_encoded, posterior)

ENCODE_BATCH = 32
"""Images read and encoded per step: small enough that Cancel answers within a fraction of a second."""
DECODE_BATCH = 256
"""Decode batch, as ``flowstudio sample``'s default ``--batch-size``."""
STATS_CACHE = 8
SWEEP_MULTIPLES = (0.1, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0)
"""Lambda multiples of the sweep's columns, 0.1 m to m (paper Figs. 7-8): denser where the
samples change fastest, and including the 0.3/0.5/0.7 m presets."""


@dataclass(frozen=True)
class ModelInfo:
    """What the window shows about the loaded model (plain values, safe to hand to the GUI thread)."""

    path: str
    model_id: str
    sha256: str
    card: ModelCard
    image_shape: tuple[int, int, int]
    latent_dim: int
    parameters: int
    device: str
    label_names: tuple[str, ...] = ()
    """The classes of a label-conditioned model (the card's names), else empty."""


@dataclass(frozen=True)
class EncodedImage:
    """The model's verdict on one evidence file, with the image as the model sees it (for thumbnails).

    ``check`` is ``None`` when the model reads examples only to show them (a label-conditioned model has no
    Transflow latents to score them in: :meth:`Engine.encode`)."""

    path: str
    sha256: str
    check: EvidenceCheck | None
    pixels: np.ndarray
    conversion: Conversion | None = None
    """What loading did to the file to fit the model (:func:`flowstudio.data.describe_conversions` says it)."""


@dataclass
class EncodeProgress:
    """One step of an encoding job: files done of ``total``, what was encoded, what was refused and why."""

    done: int
    total: int
    images: list[EncodedImage] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)
    unread: list[str] = field(default_factory=list)
    """Files found but not read, because no model is open (:func:`list_unread`)."""


@dataclass(frozen=True)
class SampleResult:
    """A drawn grid: uint8 images ``[N, C, H, W]`` (cell ``j`` drawn with ``seeds[j]``) and how."""

    request: SampleRequest
    images: np.ndarray
    seeds: tuple[int, ...]
    spec: LikelihoodSpec | None
    posterior: Posterior | None
    nonfinite: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    """``[N]``: cell ``j`` decoded to ``NaN``/``inf`` (it shows middle grey; see :func:`~flowstudio.transflow.decode_checked`)."""
    saturated: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    """``[N]``: cell ``j`` lay mostly far outside the pixel range (what shows is the clamp)."""
    advice: EvidenceAdvice | None = None
    """Set when the examples are far outside the model or some are unlikely (:func:`~flowstudio.transflow.assess_evidence`)."""
    labels: LabelGrid | None = None
    """A grid drawn by label (``request.labels``): row ``r`` has label ``labels.labels[r]``; ``images`` holds its
    cells in reading order."""

    @property
    def cols(self) -> int:
        """Cells per row: one row per label of a grid drawn by label, else 0 (square-ish)."""
        return self.labels.images.shape[1] if self.labels is not None and len(self.labels.labels) > 1 else 0

    def cell_label(self, index: int) -> str:
        """The name of cell ``index``'s label ("" for a grid not drawn by label)."""
        if self.labels is None:
            return ""
        return self.labels.names[self.labels.labels[index // self.labels.images.shape[1]]]

    @property
    def m(self) -> int:
        return self.posterior.m if self.posterior is not None else 0


@dataclass(frozen=True)
class SweepResult:
    """A lambda sweep: images ``[rows, cols, C, H, W]``; row ``i`` uses ``seeds[i]``, column ``j`` ``multiples[j]``."""

    request: SampleRequest
    images: np.ndarray
    seeds: tuple[int, ...]
    multiples: tuple[float, ...]
    posteriors: tuple[Posterior, ...]
    nonfinite: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))
    """``[rows, cols]``: the cell decoded to ``NaN``/``inf`` (see :class:`SampleResult`)."""
    saturated: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), bool))
    """``[rows, cols]``: the cell lay mostly far outside the pixel range."""


def open_engine(path: str | Path, device: str = "auto") -> Generator[str, None, Engine]:
    """Load a checkpoint exactly as the command line does (native or peer, on ``device``), stage by stage.

    Yields the name of each slow stage before it runs
    (:func:`flowstudio.loading.open_model_stages`); returns the engine.
    Stopping between stages (Cancel) leaves no engine behind.
    """
    return Engine((yield from open_model_stages(Path(path), device)))


def _files_to_read(paths: Iterable[str | Path], skip: Iterable[str]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files and folders expanded as the core does (sorted, recursive), minus ``skip``; and problems with them."""
    files, problems = iter_image_paths([Path(p) for p in paths])
    skipped = {str(p) for p in skip}
    return [f for f in files if str(f) not in skipped], [(str(p), r) for p, r in problems]


def list_unread(paths: Iterable[str | Path], skip: Iterable[str] = ()) -> Iterator[EncodeProgress]:
    """What :meth:`Engine.encode` does when no model is open: the files are listed, kept, and left unread.

    A drop while no model could be loaded (or its load was cancelled) loses
    nothing: the images join their set, and the next model reads them.
    """
    files, problems = _files_to_read(paths, skip)
    yield EncodeProgress(len(files), len(files), errors=problems, unread=[str(f) for f in files])


def set_verdicts(checks: list[EvidenceCheck]) -> list[EvidenceCheck]:
    """Each image's verdict within its set: also flagged when far less likely than the rest of the set.

    The core's within-set rule (:func:`flowstudio.transflow.flag_set_outliers`),
    as ``flowstudio score`` applies it to each folder.  Cheap (a median over
    the set's bits/dim): the window calls it whenever a set's images change.
    """
    return flag_set_outliers(checks)


class Engine:
    """A loaded model with its per-image latent cache and per-combination statistics cache."""

    def __init__(self, loaded: LoadedModel):
        purpose = "the studio's Transflow (posteriors from example images)"
        require_data(loaded.model.family, "images", purpose, "invertible_latent")  # points go to the playground
        self.capabilities = get_family(loaded.model.family).capabilities
        if not self.capabilities.label_conditioning:  # a labelled model opens for its grids by label
            require(loaded.model.family, "invertible_latent", purpose)
        self.loaded = loaded
        self.model = loaded.model
        self.label_names = label_names(self.model, loaded.card.labels) if self.capabilities.label_conditioning else ()
        self.reference = BpdReference.from_card(loaded.card)
        self._latents: dict[str, torch.Tensor] = {}
        self._checks: dict[str, EvidenceCheck] = {}
        self._stats: OrderedDict[tuple[str, ...], EvidenceStats] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def info(self) -> ModelInfo:
        m = self.model
        return ModelInfo(path=str(self.loaded.path), model_id=self.loaded.model_id, sha256=self.loaded.sha256,
                         card=self.loaded.card, image_shape=m.image_shape, latent_dim=m.latent_dim,
                         parameters=sum(p.numel() for p in m.parameters()), device=str(m.device),
                         label_names=self.label_names)

    def has(self, sha256: str) -> bool:
        with self._lock:
            return sha256 in self._latents

    # -- evidence -------------------------------------------------------------
    def encode(self, paths: Iterable[str | Path], skip: Iterable[str] = ()) -> Iterator[EncodeProgress]:
        """Read, encode and judge image files and folders, one batch per step.

        Folders are expanded (sorted, recursively) as the core does; files in
        ``skip`` are left out.  The first step reports problems with the
        given paths; every step reports files that could not be read.  A
        model without Transflow latents (a label-conditioned one) reads the
        images for their thumbnails and conversions and judges none
        (``check`` ``None``).
        """
        files, problems = _files_to_read(paths, skip)
        c, h, w = self.model.image_shape
        done = 0
        yield EncodeProgress(0, len(files), errors=problems)
        for batch in iter_loaded_images(files, c, (h, w), ENCODE_BATCH):
            step = EncodeProgress(done, len(files), errors=[(str(p), r) for p, r in batch.errors])
            if batch.paths and self.capabilities.invertible_latent:
                step.images = self._encode_batch(batch.paths, batch.images, batch.conversions)
            elif batch.paths:  # no Transflow latents (a label-conditioned model): read for the thumbnails only
                step.images = [EncodedImage(str(p), file_digest(p), None, px, conv)
                               for p, px, conv in zip(batch.paths, batch.images, batch.conversions)]
            done += len(batch.paths) + len(batch.errors)
            step.done = done
            yield step

    def _encode_batch(self, paths: Sequence[Path], images: np.ndarray,
                      conversions: Sequence[Conversion]) -> list[EncodedImage]:
        eps, log_prob = next(encode_images(self.model, images, batch_size=len(images)))
        checks = judge_encoded(self.model, images, eps, log_prob, self.reference)
        digests = [file_digest(p) for p in paths]
        with self._lock:
            self._latents.update(zip(digests, eps))
            self._checks.update(zip(digests, checks))
        return [EncodedImage(str(p), d, c, px, conv)
                for p, d, c, px, conv in zip(paths, digests, checks, images, conversions)]

    def latent(self, digest: str) -> torch.Tensor:
        """The cached latent ``[D]`` of one encoded image."""
        with self._lock:
            return self._latents[digest]

    def stats(self, digests: tuple[str, ...]) -> EvidenceStats:
        """Latent statistics of these images, in this order (cached per combination)."""
        with self._lock:
            stats = self._stats.get(digests)
            if stats is not None:
                self._stats.move_to_end(digests)
                return stats
            latents = torch.stack([self._latents[d] for d in digests])
        stats = EvidenceStats.from_latents(latents)
        with self._lock:
            self._stats[digests] = stats
            while len(self._stats) > STATS_CACHE:
                self._stats.popitem(last=False)
        return stats

    def _encoded(self, request: SampleRequest) -> tuple[str, ...]:
        return tuple(d for _, d in request.evidence if self.has(d))

    # -- drawing --------------------------------------------------------------
    def sample(self, request: SampleRequest) -> SampleResult:
        """The grid ``flowstudio sample`` draws for these evidence images, parameters and seeds."""
        params = request.params
        if request.labels is not None and self.label_names:
            return self._sample_by_label(request)
        digests = self._encoded(request)
        post = spec = advice = None
        dist: DiagGaussian
        if digests:
            spec = params.likelihood
            dist = post = posterior(self.stats(digests), spec)
            advice = self.advice(request, post)
        else:
            dim = self.model.latent_dim
            dist = DiagGaussian(torch.zeros(dim, dtype=torch.float64), torch.ones(dim, dtype=torch.float64))
        decoded = decode_checked(self.model, dist.sample(params.seeds, params.temperature), DECODE_BATCH)
        return SampleResult(request, decoded.images.numpy(), tuple(params.seeds), spec, post,
                            decoded.nonfinite.numpy(), decoded.saturated.numpy(), advice)

    def _sample_by_label(self, request: SampleRequest) -> SampleResult:
        """A grid of :mod:`flowstudio.labelled` (by label, or the same style under every label), from the
        request's seed and temperature; a single label fills the grid's cell count."""
        choice, params = request.labels, request.params
        if choice.mode == "same_style":
            labels = None if choice.label is None else [choice.label]
            grid = draw_same_style(self.model, self.label_names, choice.per_row, params.seed, params.temperature,
                                   labels, DECODE_BATCH)
        else:
            labels = list(range(len(self.label_names))) if choice.label is None else [choice.label]
            per_label = choice.per_row if choice.label is None else params.count
            grid = draw_by_label(self.model, self.label_names, labels, per_label, params.seed, params.temperature,
                                 DECODE_BATCH)
        images = grid.images.reshape(-1, *grid.images.shape[2:])
        broken = grid.broken.reshape(-1)
        return SampleResult(request, images, tuple(s for row in grid.seeds for s in row), None, None,
                            broken, np.zeros_like(broken), labels=grid)

    def class_percent(self, images: np.ndarray) -> np.ndarray:
        """``100 * p(y | x)`` ``[B, K]`` of uint8 images ``[B, C, H, W]`` (the model's exact posterior)."""
        return class_percent(self.model, torch.from_numpy(images), DECODE_BATCH)

    def advice(self, request: SampleRequest, post: Posterior) -> EvidenceAdvice | None:
        """What to tell the artist about the request's examples under this model (see :func:`assess_evidence`)."""
        with self._lock:
            used = [(Path(path).name, self._checks[d]) for path, d in request.evidence if d in self._checks]
        return assess_evidence([name for name, _ in used], [check for _, check in used], post)

    def sweep(self, request: SampleRequest, rows: int = 4,
              multiples: Sequence[float] = SWEEP_MULTIPLES) -> SweepResult | None:
        """The same ``rows`` seeds drawn at lambda = r * m for each ``r`` in ``multiples``; ``None`` without evidence."""
        digests = self._encoded(request)
        if not digests:
            return None
        params = request.params
        stats = self.stats(digests)
        seeds = list(range(params.seed, params.seed + rows))
        posts = [posterior(stats, replace(params.likelihood, lam=r, relative=True)) for r in multiples]
        eps = torch.stack([p.sample(seeds, params.temperature) for p in posts], dim=1)  # [rows, cols, D]
        decoded = decode_checked(self.model, eps.flatten(0, 1), DECODE_BATCH)
        grid = (rows, len(multiples))
        return SweepResult(request, decoded.images.view(*grid, *self.model.image_shape).numpy(), tuple(seeds),
                           tuple(multiples), tuple(posts), decoded.nonfinite.view(grid).numpy(),
                           decoded.saturated.view(grid).numpy())
