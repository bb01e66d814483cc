"""The training engine: maximum likelihood with everything a flow run needs, as a stream of events.

:func:`train` is a generator of event dicts (see :mod:`flowstudio.training.events`).
What one run does:

* **data**: each epoch visits the training images in an order drawn from
  ``(seed, epoch)``; a batch that would run past the end starts the next epoch;
* **the loss**: the family's own (the model's ``forward(batch, noise)``, see
  :mod:`flowstudio.training.objective`), given uniform noise drawn from
  ``(seed, step)`` (image flows dequantize with it) and a global RNG seeded
  from ``(seed, step)`` for any randomness of the family's own;
* **ActNorm**: data-dependent initialisation on one large batch before the
  first step (skipped when resuming: the flag is saved in the weights);
* **learning rate**: linear warm-up, then constant or cosine decay, times the
  NaN guard's cuts; clipped global gradient norm; Adam;
* **NaN guard**: a step whose loss, gradients or weights are not finite is
  rolled back and the learning rate halved (:mod:`flowstudio.training.guard`);
* **labels**: a labelled family (``uses_labels``) gets each batch's class
  indices, ``-1`` for unlabelled examples (only a semi-supervised family
  accepts those), and its held-out test error is reported beside the score.
  When few examples are labelled (100 of 60,000), plain batches would almost
  never hold one, so a share ``labelled_share`` of every semi-supervised batch
  is drawn from the labelled examples (from ``(seed, step)``).  The default
  0.1 weighs the labelled examples' mean loss about 1/9 of the unlabelled
  one: half (the two means weighed alike) let the few labels overfit, one
  class's density swallowing the others (measured: SCNF, arXiv:1905.00505, on
  moons with 10 labels, 15.0% test error at 0.5 and 1.0% at 0.1, README);
* **monitoring**: the held-out score (bits/dim for image flows) every
  ``eval_every`` steps, the family's preview of fixed noise (an image grid, or
  a scatter plot of points) every ``sample_every`` steps, a resumable checkpoint every
  ``checkpoint_every`` steps (and on cancel, and at the end);
* **control**: pause and cancel between steps, and cancel inside held-out
  evaluations and sample grids (:mod:`flowstudio.training.control`);
* **failures**: a full disk, running out of memory or giving up on a
  diverged run end the stream with an ``error`` event; the last checkpoint is
  never damaged, because every file is replaced atomically.

Because the order, the noise and the learning rate are functions of the
seed and the step, and the checkpoint holds the model, the optimiser and the
counters, a resumed run computes bit-for-bit the losses the uninterrupted run
would have (given the same device and thread count).
"""

from __future__ import annotations

import math
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from PIL import Image

from flowstudio.checkpoint import default_card, save_checkpoint
from flowstudio.errors import UserInputError, WriteError, reason_in_words
from flowstudio.imaging import save_png
from flowstudio.models import ImageFlowConfig, build_model
from flowstudio.training.control import Cancelled, Control
from flowstudio.training.datasets import TrainData
from flowstudio.training.distributed import Cluster
from flowstudio.training.events import make_event
from flowstudio.training.guard import LR_CUT, DivergenceGuard, Diverged, not_finite
from flowstudio.registry import get_family
from flowstudio.training.objective import evaluate_error, evaluate_score, training_loss
from flowstudio.training.presets import epoch_seconds, measure_step_seconds
from flowstudio.training.run_dir import RunDir
from flowstudio.training.settings import TrainSettings
from flowstudio.training.state import Progress, load_state, save_state

# Independent random streams derived from the seed.
_ORDER, _NOISE, _INIT, _MODEL_RNG, _LABELLED = 1, 2, 3, 4, 5


@dataclass
class TrainJob:
    """What to train: the model config, the data, the settings, and facts for the model card."""

    config: ImageFlowConfig
    data: TrainData
    settings: TrainSettings
    preset: str | None = None
    name: str = "model"
    recipe: str | None = None


class WriteFailed(Exception):
    """Writing a file of the run failed (full disk, read-only, lost permissions); wraps the error.

    ``error`` is the :class:`~flowstudio.errors.WriteError` of the shared
    writers (checkpoints, sample grids) or the plain ``OSError`` of the event
    log; either way the reason is said in the same words.
    """

    def __init__(self, what: str, error: OSError | WriteError):
        reason = error.reason if isinstance(error, WriteError) else reason_in_words(error)
        super().__init__(f"could not write the {what} ({reason})")


def amp_enabled(requested: bool | None, device: torch.device) -> bool:
    """bf16 autocast: on CUDA with bf16 support unless switched off; never elsewhere."""
    supported = device.type == "cuda" and torch.cuda.is_bf16_supported()
    return supported if requested is None else bool(requested) and supported


def learning_rate(settings: TrainSettings, step: int) -> float:
    """Peak ``lr`` after linear warm-up; with cosine decay it falls to 0 at the last step, with "halve" it is
    halved for the second half of the run."""
    s = settings
    if step <= s.warmup_steps:
        return s.lr * step / max(1, s.warmup_steps)
    if s.lr_decay == "cosine":
        t = min(1.0, (step - s.warmup_steps) / max(1, s.steps - s.warmup_steps))
        return s.lr * 0.5 * (1.0 + math.cos(math.pi * t))
    if s.lr_decay == "halve" and step > s.steps // 2:  # GLF's schedule: halved after 50 of 100 epochs
        return s.lr / 2
    return s.lr


def seeded_generator(seed: int, stream: int, index: int) -> torch.Generator:
    """A CPU generator for item ``index`` of random ``stream``, independent of every other."""
    state = np.random.SeedSequence([seed, stream, index]).generate_state(1, np.uint64)[0]
    return torch.Generator().manual_seed(int(state) >> 1)


def train(job: TrainJob, run_dir: RunDir | None = None, device: str | torch.device = "cpu",
          control: Control | None = None, cluster: Cluster | None = None, resume: bool = False
          ) -> Iterator[dict[str, Any]]:
    """Train ``job`` and yield its events; the last one is ``done``, ``cancelled`` or ``error``.

    With ``run_dir`` (on rank 0 of a cluster) events, checkpoints, sample grids
    and the final model are written there (see :mod:`flowstudio.training.run_dir`);
    ``resume`` continues from its ``checkpoint.safetensors``.
    """
    return _Session(job, run_dir, torch.device(device), control or Control(), cluster or Cluster()).run(resume)


class _Session:
    """One training session of a job (a resumed run is a new session of the same job)."""

    def __init__(self, job: TrainJob, run_dir: RunDir | None, device: torch.device, control: Control,
                 cluster: Cluster):
        self.job, self.s = job, job.settings
        self.device, self.control, self.cluster = device, control, cluster
        self.run_dir = run_dir
        self.writes = run_dir is not None and cluster.is_main  # only rank 0 writes files and logs events
        self.model = build_model(job.config).to(device)
        self.forward: torch.nn.Module = self.model
        self.params = list(self.model.parameters())
        self.optimizer = torch.optim.Adam(self.params, lr=self.s.lr)
        self.progress = Progress()
        self.amp = amp_enabled(self.s.amp, device)
        self.guard = DivergenceGuard(self.model, self.optimizer, self.s.guard_every, self.s.max_rollbacks)
        self.checkpoint_step: int | None = None  # step of the last checkpoint known to be on disk
        # The labelled training examples' indices, found once: _with_labelled draws from them every step.
        labels = job.data.train_labels
        self.labelled_pool = None if labels is None else torch.nonzero(labels >= 0).flatten()

    # -- the stream ------------------------------------------------------------
    def run(self, resume: bool) -> Iterator[dict[str, Any]]:
        try:
            try:
                yield from self._setup(resume)
                yield from self._loop()
                yield from self._finish()
            except Cancelled:
                yield from self._cancel()
        except Diverged as exc:
            yield self._error(str(exc))
        except WriteFailed as exc:
            kept = (f"the last checkpoint (step {self.checkpoint_step}) is intact; continue with "
                    f"flowstudio train --resume {self.run_dir.path}") if self.checkpoint_step else "no checkpoint yet"
            yield self._error(f"{exc}; training stopped at step {self.progress.step}: {kept}")
        except torch.OutOfMemoryError:
            yield self._error(f"out of memory on {self.device} at step {self.progress.step + 1} with batch size "
                              f"{self.s.batch_size}: lower --batch-size or choose a smaller preset")

    def _event(self, kind: str, **fields: Any) -> dict[str, Any]:
        event = make_event(kind, **fields)
        if self.writes:
            self._write("event log", self.run_dir.append_event, event)
        return event

    def _error(self, message: str) -> dict[str, Any]:
        """The final ``error`` event; logged if the disk still takes it."""
        event = make_event("error", message=message)
        if self.writes:
            try:
                self.run_dir.append_event(event)
            except OSError:
                pass
        return event

    def _write(self, what: str, function: Any, *args: Any) -> Any:
        try:
            return function(*args)
        except (OSError, WriteError) as exc:
            raise WriteFailed(what, exc) from exc

    # -- before the first step ---------------------------------------------------
    def _setup(self, resume: bool) -> Iterator[dict[str, Any]]:
        n, s = len(self.job.data.train), self.s
        self._check_labels()
        if not self.cluster.world_size <= s.batch_size <= n:
            raise UserInputError(f"batch size {s.batch_size} must be between the number of processes "
                             f"({self.cluster.world_size}) and the number of training images ({n})")
        for message in self.job.data.warnings:
            yield self._event("warning", message=message)
        if s.amp and not self.amp:
            yield self._event("warning", message=f"mixed precision needs a CUDA GPU with bf16 support; "
                                                 f"training in float32 on {self.device}")
        resumed_from = None
        if resume and self.run_dir is not None:
            if self.run_dir.checkpoint.is_file():
                self.progress = load_state(self.run_dir.checkpoint, self.model, self.optimizer, self.device)
                resumed_from = self.checkpoint_step = self.progress.step
            else:
                yield self._event("warning", message=f"{self.run_dir.path} has no checkpoint yet: "
                                                     "starting from step 0")
        if self.progress.step == 0:
            self._init_actnorm()
        self.control.check()
        yield self._event("start", **self._start_fields(resumed_from))
        self.forward = self.cluster.wrap(self.model, self.device)
        self.guard.snapshot(self.progress.step)

    def _check_labels(self) -> None:
        """A labelled family needs labels; only a semi-supervised one learns from unlabelled examples too."""
        data, entry = self.job.data, get_family(self.model.family)
        if not self.model.uses_labels:
            return
        if data.train_labels is None or data.test_labels is None:
            raise UserInputError(f"{entry.label} models learn from labelled examples, and {data.description} has "
                                 "no labels; train on fashion-mnist, digits, a labelled toy or labelled image sets")
        unlabelled = len(data.train_labels) - data.n_labelled
        if unlabelled and not entry.capabilities.semi_supervised:
            raise UserInputError(f"{entry.label} models learn from labelled examples only, and {unlabelled:,} of "
                                 f"the {len(data.train_labels):,} training examples have no label; keep every "
                                 "label (leave out --labelled) or train a semi-supervised family")
        if len(data.class_names) != self.model.config.classes:
            raise UserInputError(f"the model has {self.model.config.classes} classes and the data "
                                 f"{len(data.class_names)}")

    def _with_labelled(self, step: int, idx: torch.Tensor) -> torch.Tensor:
        """``idx`` with its last ``labelled_share`` replaced by labelled examples, drawn for ``step``, when a
        semi-supervised run has fewer labelled examples than that share (else ``idx`` as it is)."""
        pool, share = self.labelled_pool, self.s.labelled_share
        if not self.model.uses_labels or pool is None or share == 0:
            return idx
        m = max(1, round(share * len(idx)))
        if len(pool) >= share * len(self.job.data.train_labels) or m >= len(idx):
            return idx
        gen = seeded_generator(self.s.seed, _LABELLED, step)
        picks = (torch.randperm(len(pool), generator=gen)[:m] if len(pool) >= m
                 else torch.randint(0, len(pool), (m,), generator=gen))
        return torch.cat([idx[:len(idx) - m], pool[picks]])

    def _labels(self, idx: torch.Tensor) -> torch.Tensor | None:
        """The class indices of training examples ``idx`` for a labelled family (else ``None``)."""
        return self.job.data.train_labels[idx] if self.model.uses_labels else None

    def _init_actnorm(self) -> None:
        """Data-dependent initialisation (ActNorm) by one pass over a large batch (the same batch on every rank)."""
        train = self.job.data.train
        idx = torch.randperm(len(train), generator=seeded_generator(self.s.seed, _INIT, 0))[:self.s.init_batch_size]
        batch, labels = train[idx], self._labels(idx)
        noise = torch.rand(batch.shape, generator=seeded_generator(self.s.seed, _INIT, 1))
        self.model.train()
        with torch.no_grad(), torch.random.fork_rng(devices=[]):
            torch.manual_seed(self.s.seed)
            training_loss(self.model, batch.to(self.device), noise.to(self.device), amp=False,
                          labels=None if labels is None else labels.to(self.device))

    def _start_fields(self, resumed_from: int | None) -> dict[str, Any]:
        data, s = self.job.data, self.s
        estimate = step_s = None
        if self.cluster.is_main:  # measured here, in the run's own process, threads, device and batch
            shard = max(1, s.batch_size // self.cluster.world_size)
            step_s = measure_step_seconds(self.job.config, shard, self.device, self.amp)
            estimate = round(epoch_seconds(step_s, len(data.train), s.batch_size), 3)
            step_s = round(step_s, 4)
        return {"settings": s.to_json(), "config": self.model.config.to_json(), "preset": self.job.preset,
                "score_unit": self.model.score_unit, "data_kind": data.kind,
                "data": data.description, "n_train": len(data.train), "n_test": len(data.test),
                "n_labelled": data.n_labelled if self.model.uses_labels else None,
                "classes": list(data.class_names) if self.model.uses_labels else None,
                "device": str(self.device), "amp": self.amp, "world_size": self.cluster.world_size,
                "parameters": sum(p.numel() for p in self.params), "estimated_epoch_s": estimate,
                "estimated_step_s": step_s,
                "resumed_from_step": resumed_from,
                "run_dir": str(self.run_dir.path) if self.run_dir is not None else None}

    # -- the steps ---------------------------------------------------------------
    def _loop(self) -> Iterator[dict[str, Any]]:
        s, p = self.s, self.progress
        n = len(self.job.data.train)
        order = self._order(p.epoch)
        t0, session_steps, elapsed0 = time.perf_counter(), 0, p.elapsed_s
        last_log = (t0, p.images_seen)
        while p.step < s.steps:
            before = time.perf_counter()
            if (yield from self._obey_control()):  # a pause is not training time: elapsed_s and eta_s leave it out
                waited = time.perf_counter() - before
                t0, last_log = t0 + waited, (last_log[0] + waited, last_log[1])
            if p.cursor + s.batch_size > n:
                p.epoch, p.cursor = p.epoch + 1, 0
                order = self._order(p.epoch)
            step = p.step + 1
            bad, loss, grad_norm = self._step(step, self._with_labelled(step, order[p.cursor:p.cursor + s.batch_size]))
            p.step, p.cursor, p.images_seen = step, p.cursor + s.batch_size, p.images_seen + s.batch_size
            session_steps += 1
            now = time.perf_counter()
            p.elapsed_s = elapsed0 + now - t0
            if bad:
                yield self._roll_back(step)
                continue
            if self.guard.good_step(step):
                p.rollbacks_in_row = 0
            if step % s.log_every == 0 or step == s.steps:
                rate = (p.images_seen - last_log[1]) / max(now - last_log[0], 1e-9)
                last_log = (now, p.images_seen)
                yield self._event("step", step=step, unit=self.model.score_unit, epoch=round(p.epoch + p.cursor / n, 4), loss_bpd=loss.item(),
                                  lr=self.optimizer.param_groups[0]["lr"], grad_norm=grad_norm,
                                  images_per_s=rate, elapsed_s=round(p.elapsed_s, 3),
                                  eta_s=round((now - t0) / session_steps * (s.steps - step), 3))
            if self.cluster.is_main:
                yield from self._monitor(step)

    def _order(self, epoch: int) -> torch.Tensor:
        return torch.randperm(len(self.job.data.train), generator=seeded_generator(self.s.seed, _ORDER, epoch))

    def _step(self, step: int, idx: torch.Tensor) -> tuple[bool, torch.Tensor, float]:
        """One optimiser update on the global batch ``idx``; returns ``(bad, mean loss, gradient norm)``."""
        s, cluster = self.s, self.cluster
        batch, labels = self.job.data.train[idx], self._labels(idx)
        noise = torch.rand(batch.shape, generator=seeded_generator(s.seed, _NOISE, step))
        batch, noise = cluster.shard(batch).to(self.device), cluster.shard(noise).to(self.device)
        if labels is not None:
            labels = cluster.shard(labels).to(self.device)
        for group in self.optimizer.param_groups:
            group["lr"] = learning_rate(s, step) * self.progress.lr_scale
        self.model.train()
        # A family's own randomness (a VAE's reparameterisation) uses the global RNG, seeded per step and rank so
        # that a resumed run draws what the uninterrupted one did (and restored after, so callers' streams stay).
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seeded_generator(s.seed, _MODEL_RNG, step * cluster.world_size + cluster.rank)
                              .initial_seed())
            per_example = training_loss(self.forward, batch, noise, self.amp, labels)
        loss = per_example.sum() * (cluster.world_size / s.batch_size)  # DDP averages: the global batch mean
        if step in s.debug_nan_steps:
            loss = loss * float("nan")
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(self.params, s.grad_clip)
        self.optimizer.step()
        # One transfer to the CPU per step: loss sum, bad-step flag, gradient norm; then summed over ranks.
        stats = torch.stack([per_example.detach().sum().float(), not_finite(loss, grad_norm, self.params),
                             grad_norm.detach().float()]).cpu()
        totals = cluster.sum(stats[:2])
        return bool(totals[1] > 0), totals[0] / s.batch_size, stats[2].item()

    def _roll_back(self, step: int) -> dict[str, Any]:
        p = self.progress
        p.rollbacks_in_row += 1
        self.guard.rollback(p.rollbacks_in_row)
        p.lr_scale *= LR_CUT
        lr = learning_rate(self.s, step) * p.lr_scale
        return self._event("warning", message=(
            f"step {step}: the loss, gradients or weights became NaN/inf; rolled back to the state of step "
            f"{self.guard.snapshot_step} and lowered the learning rate to {lr:.3g} "
            f"(x{p.lr_scale:g}; rollback {p.rollbacks_in_row} of at most {self.s.max_rollbacks} in a row)"))

    def _obey_control(self) -> Generator[dict[str, Any], None, bool]:
        """Stop on cancel; wait while paused (all ranks agree through one small all-reduce); returns whether it paused."""
        announced = False
        while True:
            flags = self.cluster.sum(torch.tensor([float(self.control.paused), float(self.control.cancelled)]))
            if flags[1] > 0:
                raise Cancelled()
            if flags[0] == 0:
                break
            if not announced:
                announced = True
                yield self._event("paused", step=self.progress.step)
            self.control.wait_while_paused()
        if announced:
            yield self._event("resumed", step=self.progress.step)
        return announced

    def _monitor(self, step: int) -> Iterator[dict[str, Any]]:
        """Held-out score, sample grid and checkpoint when due (rank 0 only)."""
        s = self.s
        if step % s.eval_every == 0 or step == s.steps:
            yield self._evaluate(step)
        if s.sample_every and self.writes and (step % s.sample_every == 0 or step == s.steps):
            path = self.run_dir.sample_path(step)
            self._write("sample grid", self._write_samples, path, step)
            yield self._event("samples", step=step, path=str(path))
        if self.writes and (step % s.checkpoint_every == 0 or step == s.steps):
            yield self._checkpoint()

    def _evaluate(self, step: int) -> dict[str, Any]:
        # Under torchrun the other ranks wait in the next step: a cancel is only honoured between steps.
        check = None if self.cluster.distributed else self.control.check
        data = self.job.data
        labels = data.test_labels if self.model.uses_labels else None
        mean, std = evaluate_score(self.model, data.test, check=check, labels=labels)
        self.progress.last_eval = {"step": step, "test_bpd": mean, "test_bpd_std": std}
        extra = {}
        if labels is not None:
            extra["test_error"] = self.progress.last_eval["test_error"] = evaluate_error(
                self.model, data.test, labels, check=check)
        return self._event("eval", step=step, unit=self.model.score_unit, test_bpd=mean, test_bpd_std=std, **extra)

    def _write_samples(self, path: Path, step: int) -> None:
        """The model's preview of ``sample_count`` samples from fixed noise (same seed all run long) at the set
        temperature: an image grid for image families, a scatter plot for points."""
        s, model = self.s, self.model
        model.eval()
        check = None if self.cluster.distributed else self.control.check
        picture = model.training_preview(s.sample_count, s.seed, s.sample_temperature, check)
        save_png(Image.fromarray(np.ascontiguousarray(picture.squeeze(-1) if picture.shape[-1] == 1 else picture)),
                 path, {"kind": "training_samples", "model": self.job.name, "step": step, "seed": s.seed,
                              "temperature": s.sample_temperature})

    def _checkpoint(self) -> dict[str, Any]:
        path = self.run_dir.checkpoint
        self._write("checkpoint", save_state, path, self.model, self.optimizer, self.progress, self._card(),
                    self.device)
        self.checkpoint_step = self.progress.step
        return self._event("checkpoint", step=self.progress.step, path=str(path))

    # -- the end -------------------------------------------------------------------
    def _finish(self) -> Iterator[dict[str, Any]]:
        p = self.progress
        if not self.cluster.is_main:
            return
        if p.last_eval is None or p.last_eval["step"] != p.step:
            yield self._evaluate(p.step)
        path = None
        if self.writes:
            if self.checkpoint_step != p.step:
                yield self._checkpoint()
            path = self.run_dir.model
            self._write("final model", save_checkpoint, self.model, path, self._card())
        extra = {"test_error": p.last_eval["test_error"]} if "test_error" in p.last_eval else {}
        yield self._event("done", step=p.step, unit=self.model.score_unit, model=str(path) if path else None,
                          test_bpd=p.last_eval["test_bpd"], test_bpd_std=p.last_eval["test_bpd_std"],
                          wall_time_s=round(p.elapsed_s, 1), **extra)

    def _cancel(self) -> Iterator[dict[str, Any]]:
        path = None
        if self.writes and self.progress.step > 0:
            event = self._checkpoint()
            path = event["path"]
            yield event
        yield self._event("cancelled", step=self.progress.step, checkpoint=path)

    def _card(self) -> dict[str, Any]:
        """The model card: architecture from the config, plus data, score, steps, time, device, licence."""
        job, p = self.job, self.progress
        last = p.last_eval or {}
        device = str(self.device) if self.cluster.world_size == 1 else f"{self.cluster.world_size} x {self.device.type}"
        return default_card(
            self.model, name=job.name, training_data=job.data.description,
            test_bits_per_dim=last.get("test_bpd"), test_bits_per_dim_std=last.get("test_bpd_std"),
            steps=p.step, wall_time_s=round(p.elapsed_s, 1), device=device, preset=job.preset, seed=self.s.seed,
            licence=f"weights: MIT (trained with Flow Studio); training data: {job.data.licence}",
            recipe=job.recipe, **self._label_facts(last))

    def _label_facts(self, last: dict[str, Any]) -> dict[str, Any]:
        """A labelled model's card facts: its class names, labels trained from, and held-out test error."""
        if not self.model.uses_labels:
            return {}
        data = self.job.data
        facts: dict[str, Any] = {"labels": list(data.class_names), "labelled_examples": data.n_labelled}
        if "test_error" in last:
            facts["test_error"] = last["test_error"]
        return facts
