"""A live training session of a 2-D flow, stepped in small chunks by whoever drives it (the studio's worker).

The session owns the model, its optimiser (Adam, Kingma & Ba 2015,
arXiv:1412.6980) and the target's points, and trains by maximum likelihood:
each step minimises the mean of the family's per-point loss, its negative
log-density in nats (the training contract's ``forward(batch, noise)``)::

    L(theta) = -(1/B) sum_b log p_theta(x_b)                              (1)

over a batch of ``B`` points drawn with replacement from the target's.

A labelled target (:func:`~flowstudio.playground.targets.labelled_toy_target`)
trains a labelled family (Capabilities ``label_conditioning`` or
``semi_supervised``) on the labelled-model contract, ``forward(batch, noise,
labels)``: the loss of a point is ``-log p(x, y)`` where its label is known and
``-log p(x)`` where it is ``-1``.  With few labels (10 among 20,000 points) a
uniform batch would hold a labelled point once in seven steps, so a fixed
share :data:`LABELLED_SHARE` of each batch is drawn from the labelled points
and the rest from all of them (our choice, as semi-supervised training mixes
labelled and unlabelled batches); the objective is then

    L = (1 - s) E_{x ~ all}[l(x)] + s E_{(x, y) ~ labelled}[-log p(x, y)].     (2)

The frame then also holds the decision map, ``log p(y | x)`` of every cell
(``class_log_probs``), and the held-out test error, the share of held-out
points whose most probable class is not theirs
(:func:`flowstudio.training.objective.evaluate_error`); the samples of a
label-conditioned family are drawn ``K`` classes in turn.  A family without a
density of ``x`` alone (the conditional flow: Capabilities ``exact_density``
false) has its heat map from its score of ``x`` under each label,
``log p(x | y)`` of ``encode(x, context=y)``, mixed over the ``K`` classes
with equal weights (the toys' classes are balanced):

    log p(x) = logsumexp_y log p(x | y) - log K.                               (3)

It never waits or pauses on its own: :meth:`PlaygroundSession.train_for`
runs steps for a time budget and returns, and the caller decides whether
to go on, so Pause and Cancel are the caller's (the studio simply stops
asking).  After any chunk, :meth:`PlaygroundSession.frame` gives what the
view shows (:mod:`flowstudio.playground.views`) and :meth:`pictures` draws it.

Why not the training engine (:mod:`flowstudio.training.engine`): it runs a
whole run in a run folder, with checkpoints, events and held-out passes,
in a child process; the playground needs a few milliseconds of steps at a
time, in-process, on a model the view reads between chunks.  The loop here
is those few lines, on the same ``forward(batch, noise)`` contract.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from flowstudio.checkpoint import default_card, save_checkpoint
from flowstudio.data.toy2d import grid_points
from flowstudio.errors import UserInputError
from flowstudio.imaging import save_animation, save_png
from flowstudio.models import build_model
from flowstudio.models.config import checked_setting, setting
from flowstudio.playground import render
from flowstudio.playground.recording import Recording
from flowstudio.playground.targets import Target, family_fits
from flowstudio.playground.views import latent_grid_lines
from flowstudio.registry import families_for, get_family
from flowstudio.training.objective import evaluate_error

DATA_KIND = "points"
TINY = "tiny"
PREFERRED_FAMILY = "maf"
"""The default family when the registry has it (fastest to a recognisable density in the measurements)."""
HELDOUT_POINTS = 2_000
LINE_POINTS = 64
"""Points along each latent grid line."""
GROUND_POINTS = 1_500
"""Target points drawn faintly under the warped grid."""
CAPTIONS = ("target", "learned density + samples", "latent grid warped by the flow")
LABELLED_CAPTIONS = ("target + labelled points", "learned density + samples per class", "decision regions")
LABELLED_SHARE = 0.125
DECISION_RESOLUTION = 32
"""Cells a side of the decision map at most (it is enlarged smoothly; ``class_log_probs`` costs a pass per class)."""
FRAME_TEST_POINTS = 500
"""Held-out points whose test error a frame shows (:meth:`PlaygroundSession.test_error` of exports and saves uses
all of them)."""
"""The share ``s`` of each batch drawn from the labelled points of a partly labelled target (eq. 2)."""


def playground_families(target: Target | None = None) -> list[str]:
    """Names of the registry's families that learn 2-D points and fit ``target``, in registry order
    (:func:`~flowstudio.playground.targets.family_fits`; no target: those for unlabelled points)."""
    labelled, partly = (False, False) if target is None else (target.labelled, target.partly_labelled)
    return [f.name for f in families_for(DATA_KIND) if family_fits(f, labelled, partly)]


def default_family(target: Target | None = None) -> str:
    names = playground_families(target)
    if not names:
        needs = ("learns from unlabelled points" if target is None or not target.labelled
                 else "learns from a few labels and many unlabelled points" if target.partly_labelled
                 else "learns from labelled points")
        raise UserInputError(f"no model family {needs}: the playground needs one for this density")
    return PREFERRED_FAMILY if PREFERRED_FAMILY in names else names[0]


@dataclass(frozen=True)
class PlaygroundSettings:
    """How the session trains and what its frames hold (the family's architecture comes from ``preset``)."""

    family: str = ""
    """A family with data kind "points" (empty: :func:`default_family` of unlabelled points)."""
    preset: str = setting("small", help=f"the family's size preset (its architecture), or {TINY!r}: the "
                          "registry's smallest one, for quick checks")
    batch_size: int = setting(256, low=8, high=8192, help="points per step")
    lr: float = setting(3e-3, low=1e-6, high=1.0, help="Adam learning rate")
    seed: int = setting(0, low=0, high=2**32 - 1, help="seed of the weights, the batches and the drawn samples")
    resolution: int = setting(48, low=8, high=256, help="cells a side of the learned heat map")
    samples: int = setting(500, low=0, high=20_000, help="sample points drawn on the learned density")
    grid_lines: int = setting(11, low=2, high=64, help="latent grid lines in each direction")

    def __post_init__(self) -> None:
        family = self.family or default_family()
        points = [f.name for f in families_for(DATA_KIND)]
        if family not in points:
            raise UserInputError(f"{family!r} does not learn 2-D points; choose one of {', '.join(points)}")
        if self.preset != TINY:
            get_family(family).preset(self.preset, DATA_KIND)
        object.__setattr__(self, "family", family)
        for f in fields(self):
            if f.name not in ("family", "preset"):
                object.__setattr__(self, f.name, checked_setting("playground", f, getattr(self, f.name)))

    def params(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass(frozen=True)
class Frame:
    """One view of the session: its step and latest loss, the learned ``log_density [R, R]`` (top row first),
    ``samples [n, 2]`` from fixed noise and the warped latent ``grid [2L, P, 2]``; for a labelled target,
    instead of the grid, the decision map ``class_log_probs [R, R, K]`` (``log p(y | x)`` of each cell), the
    samples' classes ``sample_classes [n]`` (``None`` where the family samples without labels) and the
    ``test_error`` of :data:`FRAME_TEST_POINTS` held-out points; the decision map has at most
    :data:`DECISION_RESOLUTION` cells a side."""

    step: int
    loss: float | None
    log_density: np.ndarray
    samples: np.ndarray
    grid: np.ndarray | None = None
    class_log_probs: np.ndarray | None = None
    sample_classes: np.ndarray | None = None
    test_error: float | None = None


@dataclass
class Pictures:
    """A frame drawn: the three panels (target, learned with samples, warped grid) as Pillow images."""

    step: int
    loss: float | None
    panels: list[Image.Image] = field(default_factory=list)
    captions: tuple[str, ...] = CAPTIONS
    test_error: float | None = None

    def composed(self) -> Image.Image:
        return render.compose(self.panels, list(self.captions))

    def arrays(self) -> list[np.ndarray]:
        return [np.asarray(p) for p in self.panels]


class PlaygroundSession:
    """A 2-D flow learning ``target``; not thread-safe: drive it from one thread."""

    def __init__(self, target: Target, settings: PlaygroundSettings | None = None):
        self.target = target
        self.settings = settings or PlaygroundSettings()
        self.recording = Recording()
        self._target_panels: tuple[int, Image.Image, np.ndarray] | None = None  # size, target, grid ground
        self.reset()

    # -- state -------------------------------------------------------------------------------------
    def reset(self, settings: PlaygroundSettings | None = None) -> None:
        """A fresh untrained model (of ``settings``, else the same ones), step 0, an empty recording."""
        self.settings = settings or self.settings
        s = self.settings
        family = get_family(s.family)
        if s.family not in playground_families(self.target):
            raise UserInputError(f"{family.label} cannot learn {self.target.name}: choose one of "
                                 f"{', '.join(playground_families(self.target)) or 'none (no family fits)'}")
        arch = family.tiny_for(DATA_KIND) if s.preset == TINY else family.preset(s.preset, DATA_KIND).arch
        config_type = family.config_class(DATA_KIND)
        config = config_type(**config_type.data_fields((2,)), **config_type.label_fields(self.target.class_names),
                             **arch, seed=s.seed)
        self.model = build_model(config)
        self.optimiser = torch.optim.Adam(self.model.parameters(), lr=s.lr)
        self.generator = torch.Generator().manual_seed(s.seed)
        points = torch.from_numpy(np.ascontiguousarray(self.target.points, np.float32))
        order = torch.randperm(len(points), generator=self.generator)
        if self.target.partly_labelled:  # the few labelled points are trained on, never held out
            order = order[torch.from_numpy(self.target.labels >= 0)[order].to(torch.int8).argsort(stable=True)]
        held = min(HELDOUT_POINTS, len(points) // 5)
        self.heldout, self.points = points[order[:held]], points[order[held:]]
        self.labels = self.heldout_classes = self._labelled_rows = None
        if self.target.labelled:
            self.labels = torch.from_numpy(self.target.labels)[order[held:]]
            self.heldout_classes = torch.from_numpy(self.target.classes)[order[:held]]
            if self.target.partly_labelled:
                self._labelled_rows = torch.nonzero(self.labels >= 0)[:, 0]
        conditioned = self.target.labelled and family.capabilities.label_conditioning
        self._sample_classes = (torch.arange(s.samples) % len(self.target.class_names)) if conditioned else None
        noise = torch.Generator().manual_seed(s.seed + 1)
        self._sample_noise = torch.randn(s.samples, self.model.latent_dim, generator=noise)
        self._exact_density = family.capabilities.exact_density
        self._grid_noise = torch.from_numpy(latent_grid_lines(s.grid_lines, LINE_POINTS))
        self._cells = torch.from_numpy(grid_points(s.resolution))
        self._decision_cells = torch.from_numpy(grid_points(min(s.resolution, DECISION_RESOLUTION)))
        self.step_count = 0
        self.loss: float | None = None
        self.recording.clear()

    # -- training ----------------------------------------------------------------------------------
    def step(self, k: int = 1) -> float:
        """``k`` optimiser steps of eq. (1); the mean loss over them (nats per point)."""
        if k < 1:
            raise UserInputError(f"steps must be at least 1, not {k}")
        self.model.train()
        total = 0.0
        for _ in range(k):
            rows = torch.randint(0, len(self.points), (self.settings.batch_size,), generator=self.generator)
            if self._labelled_rows is not None:  # eq. (2): a share of the batch from the labelled points
                m = max(1, round(LABELLED_SHARE * len(rows)))
                rows[:m] = self._labelled_rows[torch.randint(0, len(self._labelled_rows), (m,),
                                                             generator=self.generator)]
            batch, noise = self.points[rows], torch.rand((len(rows), 2), generator=self.generator)
            loss = (self.model(batch, noise) if self.labels is None else self.model(batch, noise, self.labels[rows]))
            loss = loss.mean()
            self.optimiser.zero_grad(set_to_none=True)
            loss.backward()
            self.optimiser.step()
            total += float(loss.detach())
        self.step_count += k
        self.loss = total / k
        return self.loss

    def train_for(self, seconds: float, max_steps: int) -> int:
        """Steps until ``seconds`` have passed (at least one) or ``max_steps`` are done; how many ran."""
        deadline, done = time.perf_counter() + seconds, 0
        losses = []
        while done < max_steps and (done == 0 or time.perf_counter() < deadline):
            losses.append(self.step(1))
            done += 1
        self.loss = float(np.mean(losses))
        return done

    @torch.no_grad()
    def heldout_scores(self) -> torch.Tensor:
        """Held-out scores (nats per point for vector flows) of the target's points that training never sees
        (a fixed fifth of them, at most :data:`HELDOUT_POINTS`)."""
        self.model.eval()
        if self.heldout_classes is None:
            return self.model.heldout_score(self.heldout).double()
        return self.model.heldout_score(self.heldout, self.heldout_classes).double()

    def heldout_nll(self) -> float:
        """The mean of :meth:`heldout_scores`."""
        return float(self.heldout_scores().mean())

    def test_error(self, limit: int | None = None) -> float | None:
        """A labelled target's held-out test error, over the first ``limit`` held-out points if given (``None``
        for an unlabelled target)."""
        if self.heldout_classes is None:
            return None
        points, classes = self.heldout[:limit], self.heldout_classes[:limit]
        return evaluate_error(self.model, points, classes, batch_size=len(points))

    # -- what the view shows -----------------------------------------------------------------------
    @torch.no_grad()
    def frame(self) -> Frame:
        """The learned heat map, the samples and the warped grid at the current step."""
        self.model.eval()
        r = self.settings.resolution
        log_density = self._log_density(self._cells).reshape(r, r).double().numpy()
        n, lines = len(self._sample_noise), self._grid_noise
        if not self.target.labelled:
            decoded = self.model.decode(torch.cat([self._sample_noise, lines.reshape(-1, 2)])).numpy()  # one pass
            return Frame(self.step_count, self.loss, log_density, decoded[:n], decoded[n:].reshape(lines.shape))
        classes = self._sample_classes
        samples = self.model.decode(self._sample_noise, classes).numpy()
        side = min(r, DECISION_RESOLUTION)
        decision = self.model.class_log_probs(self._decision_cells).reshape(side, side, -1).double().numpy()
        return Frame(self.step_count, self.loss, log_density, samples, class_log_probs=decision,
                     sample_classes=None if classes is None else classes.numpy(),
                     test_error=self.test_error(FRAME_TEST_POINTS))

    def _log_density(self, points: torch.Tensor) -> torch.Tensor:
        """The model's ``log p(x)``: its own, or eq. (3) for a family without one."""
        if self._exact_density:
            return self.model.log_prob(points)
        k, n = len(self.target.class_names), len(points)
        labels = torch.arange(k).repeat_interleave(n)
        given = self.model.encode(points.repeat(k, 1), context=labels)[1].view(k, n)
        return torch.logsumexp(given, 0) - math.log(k)

    def pictures(self, frame: Frame, size: int = 256) -> Pictures:
        """``frame`` drawn as three ``size``-pixel panels (the target's is drawn again only for a new size)."""
        if self.target.labelled:
            return self._labelled_pictures(frame, size)
        if self._target_panels is None or self._target_panels[0] != size:
            self._target_panels = (size, render.heat_image(self.target.log_density, size),
                                   render.grid_ground(self.target.points[:GROUND_POINTS], size))
        _, target, ground = self._target_panels
        learned = render.samples_image(frame.log_density, frame.samples, size)
        return Pictures(frame.step, frame.loss, [target, learned, render.warped_grid_image(frame.grid, ground)])

    def _labelled_pictures(self, frame: Frame, size: int) -> Pictures:
        """Target with its labelled points, learned density with the samples in their classes' colours, and
        the decision regions with the training points (unlabelled grey, labelled large in colour)."""
        if self._target_panels is None or self._target_panels[0] != size:
            shown = self._shown_points()
            self._target_panels = (size, render.labelled_points_image(render.heat_image(self.target.log_density, size),
                                                                      *shown), shown)
        _, target, shown = self._target_panels
        if frame.sample_classes is None:
            learned = render.samples_image(frame.log_density, frame.samples, size)
        else:
            learned = render.class_samples_image(frame.log_density, frame.samples, frame.sample_classes, size)
        regions = render.labelled_points_image(render.decision_regions(frame.class_log_probs, size), *shown)
        return Pictures(frame.step, frame.loss, [target, learned, regions], LABELLED_CAPTIONS, frame.test_error)

    def _shown_points(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, bool]:
        """What the labelled panels draw: ``(grey, coloured, their classes, large)``: of a partly labelled
        target :data:`GROUND_POINTS` unlabelled points grey and every labelled one large; of a fully labelled
        one :data:`GROUND_POINTS` points, small, in their classes' colours."""
        points, labels = self.points.numpy(), self.labels.numpy()
        if not self.target.partly_labelled:
            return points[:0], points[:GROUND_POINTS], labels[:GROUND_POINTS], False
        known = labels >= 0
        return points[~known][:GROUND_POINTS], points[known], labels[known], True

    def advance(self, seconds: float, max_steps: int, size: int = 256) -> Pictures:
        """One chunk: train for ``seconds`` (at most ``max_steps``), then draw the frame and record it."""
        self.train_for(seconds, max_steps)
        pictures = self.pictures(self.frame(), size)
        self.recording.add(pictures)
        return pictures

    # -- exports -------------------------------------------------------------------------------------
    def params(self, step: int | None = None) -> dict[str, Any]:
        """What a saved frame or model records: the target, the settings and the step."""
        return {"kind": "playground", "target": self.target.name, "step": self.step_count if step is None else step,
                "loss_nats": self.loss, **self.settings.params(),
                **({"test_error": self.test_error()} if self.target.labelled else {})}

    def export_png(self, pictures: Pictures, path: str | Path) -> Path:
        """The frame as one PNG with the session's parameters in it."""
        return save_png(pictures.composed(), path, self.params(pictures.step))

    def export_animation(self, path: str | Path, frame_ms: int = 80) -> Path:
        """The recorded frames as an animated GIF or WebP (by suffix), playing once through and looping."""
        if not self.recording.frames:
            raise UserInputError("nothing to animate yet: train for a moment first")
        return save_animation(self.recording.frames, path, frame_ms=frame_ms, bounce=False, min_side=1)

    def save_model(self, path: str | Path) -> Path:
        """The model as a normal checkpoint, its card naming the target, the steps trained and the held-out score
        (in the family's unit: nats per point); a labelled target's also its class names and test error."""
        scores = self.heldout_scores()
        labelled = ({"labels": list(self.target.class_names), "test_error": self.test_error()}
                    if self.target.labelled else {})
        card = default_card(self.model, name=Path(path).stem, training_data=self.target.name, steps=self.step_count,
                            test_bits_per_dim=float(scores.mean()), test_bits_per_dim_std=float(scores.std()),
                            recipe="studio playground", preset=self.settings.preset, **labelled)
        return save_checkpoint(self.model, path, card)
