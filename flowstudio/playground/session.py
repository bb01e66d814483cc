"""A live training session of a 2-D flow, stepped in small chunks by whoever drives it (the studio's worker).

The session owns the model, its optimiser (Adam, Kingma & Ba 2015,
arXiv:1412.6980) and the target's points, and trains by maximum likelihood:
each step minimises the mean of the family's per-point loss, its negative
log-density in nats (the training contract's ``forward(batch, noise)``)::

    L(theta) = -(1/B) sum_b log p_theta(x_b)                              (1)

over a batch of ``B`` points drawn with replacement from the target's.

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
from flowstudio.playground.targets import Target
from flowstudio.playground.views import latent_grid_lines
from flowstudio.registry import families_for, get_family

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


def playground_families() -> list[str]:
    """Names of the registry's families that learn 2-D points, in registry order."""
    return [f.name for f in families_for(DATA_KIND)]


def default_family() -> str:
    names = playground_families()
    if not names:
        raise UserInputError("no model family learns points: the playground needs a vector flow family")
    return PREFERRED_FAMILY if PREFERRED_FAMILY in names else names[0]


@dataclass(frozen=True)
class PlaygroundSettings:
    """How the session trains and what its frames hold (the family's architecture comes from ``preset``)."""

    family: str = ""
    """A family with data kind "points" (empty: :func:`default_family`)."""
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
        if family not in playground_families():
            raise UserInputError(f"{family!r} does not learn 2-D points; choose one of "
                                 f"{', '.join(playground_families())}")
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
    ``samples [n, 2]`` from fixed noise and the warped latent ``grid [2L, P, 2]``."""

    step: int
    loss: float | None
    log_density: np.ndarray
    samples: np.ndarray
    grid: np.ndarray


@dataclass
class Pictures:
    """A frame drawn: the three panels (target, learned with samples, warped grid) as Pillow images."""

    step: int
    loss: float | None
    panels: list[Image.Image] = field(default_factory=list)

    def composed(self) -> Image.Image:
        return render.compose(self.panels, list(CAPTIONS))

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
        arch = family.tiny_for(DATA_KIND) if s.preset == TINY else family.preset(s.preset, DATA_KIND).arch
        config = family.config_class(DATA_KIND)(**family.config_class(DATA_KIND).data_fields((2,)), **arch, seed=s.seed)
        self.model = build_model(config)
        self.optimiser = torch.optim.Adam(self.model.parameters(), lr=s.lr)
        self.generator = torch.Generator().manual_seed(s.seed)
        points = torch.from_numpy(np.ascontiguousarray(self.target.points, np.float32))
        order = torch.randperm(len(points), generator=self.generator)
        held = min(HELDOUT_POINTS, len(points) // 5)
        self.heldout, self.points = points[order[:held]], points[order[held:]]
        noise = torch.Generator().manual_seed(s.seed + 1)
        self._sample_noise = torch.randn(s.samples, 2, generator=noise)
        self._grid_noise = torch.from_numpy(latent_grid_lines(s.grid_lines, LINE_POINTS))
        self._cells = torch.from_numpy(grid_points(s.resolution))
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
            batch = self.points[torch.randint(0, len(self.points), (self.settings.batch_size,),
                                              generator=self.generator)]
            loss = self.model(batch, torch.rand(batch.shape, generator=self.generator)).mean()
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
        return self.model.heldout_score(self.heldout).double()

    def heldout_nll(self) -> float:
        """The mean of :meth:`heldout_scores`."""
        return float(self.heldout_scores().mean())

    # -- what the view shows -----------------------------------------------------------------------
    @torch.no_grad()
    def frame(self) -> Frame:
        """The learned heat map, the samples and the warped grid at the current step."""
        self.model.eval()
        r = self.settings.resolution
        log_density = self.model.log_prob(self._cells).reshape(r, r).double().numpy()
        n, lines = len(self._sample_noise), self._grid_noise
        decoded = self.model.decode(torch.cat([self._sample_noise, lines.reshape(-1, 2)])).numpy()  # one pass
        return Frame(self.step_count, self.loss, log_density, decoded[:n], decoded[n:].reshape(lines.shape))

    def pictures(self, frame: Frame, size: int = 256) -> Pictures:
        """``frame`` drawn as three ``size``-pixel panels (the target's is drawn again only for a new size)."""
        if self._target_panels is None or self._target_panels[0] != size:
            self._target_panels = (size, render.heat_image(self.target.log_density, size),
                                   render.grid_ground(self.target.points[:GROUND_POINTS], size))
        _, target, ground = self._target_panels
        learned = render.samples_image(frame.log_density, frame.samples, size)
        return Pictures(frame.step, frame.loss, [target, learned, render.warped_grid_image(frame.grid, ground)])

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
                "loss_nats": self.loss, **self.settings.params()}

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
        (in the family's unit: nats per point)."""
        scores = self.heldout_scores()
        card = default_card(self.model, name=Path(path).stem, training_data=self.target.name, steps=self.step_count,
                            test_bits_per_dim=float(scores.mean()), test_bits_per_dim_std=float(scores.std()),
                            recipe="studio playground", preset=self.settings.preset)
        return save_checkpoint(self.model, path, card)
