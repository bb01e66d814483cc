"""``flowstudio train``: train a model of any registered family on a data set, in a resumable run folder.

This module turns options into a :class:`~flowstudio.training.engine.TrainJob`,
prepares the run folder, and renders the engine's events: one JSON object per
line on stdout with ``--json`` (then commands ``pause``/``resume``/``cancel``
are also read from stdin, which is how the desktop app steers a training
process), or short progress lines on stderr.  Under ``torchrun`` every
process runs this command; only rank 0 writes files and prints.
"""

from __future__ import annotations

import argparse
import datetime
import errno
import json
import os
import shlex
import sys
import time
from pathlib import Path
from typing import Any

import torch

from flowstudio import __version__
from flowstudio.checkpoint import atomic_write_bytes
from flowstudio.cli.common import USER_ERRORS, CliError, check_output
from flowstudio.cli.options import MAX_BATCH, MAX_SEED, MAX_TEMPERATURE, add_number
from flowstudio.data.toy2d import TOY_NAMES
from flowstudio.devices import CHOICES, resolve_device
from flowstudio.errors import WriteError
from flowstudio.models import config_from_json
from flowstudio.models.config import MAX_SIDE
from flowstudio.registry import DEFAULT_FAMILY, FAMILIES, PRESET_NAMES, Preset, families_for, get_family
from flowstudio.training.control import Control, cancel_on_signals, listen
from flowstudio.training.datasets import (BUILTIN, DEFAULT_POINTS, DEFAULT_PORTRAITS, FOLDER_SIDE, MIN_IMAGES,
                                          load_training_data)
from flowstudio.training.distributed import Cluster, from_environment
from flowstudio.training.engine import TrainJob, amp_enabled, train
from flowstudio.training.events import describe, make_event, to_json_line
from flowstudio.training.presets import epoch_seconds, measure_step_seconds, parameter_count, preset_config
from flowstudio.training.run_dir import DEFAULT_ROOT, RunDir
from flowstudio.training.settings import LR_DECAYS, TrainSettings

NAN_HOOK_ENV = "FLOWSTUDIO_INJECT_NAN_AT_STEP"
"""Test hook: comma-separated steps whose loss is made NaN (exercises the NaN guard end to end)."""

RESUME_OPTIONS = {"steps", "device", "json", "out"}
"""Options that may accompany --resume; everything else comes from the run's run.json."""

MAX_STEPS = 10**9
PROGRESS_EVERY_S = 5.0
"""Human-readable step lines are printed at most this often."""

EXIT_FAILED, EXIT_CANCELLED = 1, 130
POINTS_CPU_THREADS = 1
"""Intra-op threads for a flow on points on the CPU: its steps are a few small matrix products, which threads
only slow down (measured: 200 steps of the small MAF on moons took 60 s with PyTorch's default 2 threads on a
busy 2-core machine, 5 s with 1, to the same held-out NLL)."""

DESCRIPTION = """\
Train a normalizing flow ({families}) by maximum likelihood and
save it as a Flow Studio model that every other command can use (-m).

Pick the data (--data), a family (--family) and a size preset (--preset
small|medium|large); every setting of the preset can be overridden. Add
--estimate to measure how long one pass over the data takes with each preset
on this machine, without training.

Everything goes into a run folder (--run-dir, default runs/NAME):
  run.json                 the settings, data and architecture
  events.jsonl             progress events, one JSON object per line
  checkpoint.safetensors   the latest resumable state (every --checkpoint-every steps)
  samples/step_NNNNNN.png  sample grids from fixed noise (every --sample-every steps)
  model.safetensors        the final model with its model card
Press Ctrl-C to stop cleanly (a checkpoint is written); continue later with
--resume RUN_DIR, which picks up exactly where the run stopped.

examples:
  flowstudio train --data digits --preset small --estimate
  flowstudio train --data digits --family {default} --steps 2000 -o digits.safetensors
  flowstudio train --data my_faces/ --image-size 32 --preset medium --arch hidden=96
  flowstudio train --resume runs/{default}-digits
  flowstudio train --family maf --data moons --steps 200 -o maf.safetensors
  flowstudio train --family iaf --data drawing.png --preset medium
  flowstudio train --family scnf --data moons --max-images 1000 --labelled 10
  flowstudio train --family conditional --data 8modes
  torchrun --nproc_per_node 4 -m flowstudio train --data fashion-mnist --preset large

families:
{family_lines}
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    d = TrainSettings()  # the defaults shown in the help are the engine's own
    labels = ", ".join(f.label for f in FAMILIES.values())
    lines = "\n".join(f"  {f.name:<14} {f.label}: {f.summary} ({f.reference})" for f in FAMILIES.values())
    p = sub.add_parser("train", help=f"train a model ({labels}) on a data set or image folder",
                       description=DESCRIPTION.format(families=labels, family_lines=lines, default=DEFAULT_FAMILY),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    what = p.add_argument_group("what to train")
    what.add_argument("--data", metavar="SOURCE",
                      help=f"images: {', '.join(BUILTIN)}, or a folder of images (searched recursively; "
                           "unreadable files are skipped with a warning); points, for the families of points "
                           f"({', '.join(f.name for f in families_for('points'))}): a toy density "
                           f"({', '.join(TOY_NAMES)}), a .csv file of points (one per row, header optional), "
                           "or one picture file, whose darkness becomes a 2-D density to learn")
    what.add_argument("--family", choices=list(FAMILIES), default=None,
                      help=f"model family, listed below (default: {DEFAULT_FAMILY})")
    what.add_argument("--preset", choices=PRESET_NAMES, default=None,
                      help="model size, with a batch size, learning rate and number of steps that suit it: "
                           "small trains in minutes, large gives the best models (default: small)")
    what.add_argument("--arch", action="append", default=[], metavar="KEY=VALUE",
                      help="override one architecture setting, e.g. levels=3, steps=8, hidden=96, "
                           "coupling=additive (repeatable; see --estimate for the preset values)")
    add_number(what, "--n-bits", whole=True, low=1, high=8, metavar="N",
               help="bits per pixel the model sees; fewer bits are easier to model (default: 5)")
    add_number(what, "--image-size", whole=True, low=2, high=MAX_SIDE, metavar="PX",
               help=f"side of the square images for folders (default: {FOLDER_SIDE}) and digits (default: 8)")
    what.add_argument("--channels", type=int, choices=(1, 3), default=None,
                      help="1 = grey, 3 = colour, for folders (default: 3)")
    add_number(what, "--labelled", whole=True, low=2, high=10**8, metavar="N",
               help="keep only N of the data's labels (as evenly over the classes as they allow, chosen by "
                    "--seed) and use the other examples unlabelled: semi-supervised training of the families "
                    "that learn labels (fashion-mnist, digits and the toys but checkerboard have labels)")
    add_number(what, "--labelled-share", whole=False, low=0, high=0.99, metavar="FRACTION",
               help="in semi-supervised training, this share of every batch is labelled examples, drawn "
                    "again and again from the few there are (default: 0.1, for a few labels: 0.5 let 10 or 100 "
                    "labels overfit; with a tenth of the data labelled, 0.5 trained faster; 0: batches as they "
                    "fall)")
    add_number(what, "--max-images", whole=True, low=MIN_IMAGES, high=10**8, metavar="N",
                      help=f"use at most N images (for portraits: how many to generate, "
                           f"default {DEFAULT_PORTRAITS}), or N points (for a toy density or a picture: how many "
                           f"to draw, default {DEFAULT_POINTS:,})")

    hyper = p.add_argument_group("optimisation", "--steps, --batch-size and --lr default to the preset's "
                                                   "(see --estimate)")
    add_number(hyper, "--steps", whole=True, low=1, high=MAX_STEPS, help="optimiser steps in total")
    add_number(hyper, "--batch-size", whole=True, low=1, high=MAX_BATCH, metavar="N", help="images per step")
    add_number(hyper, "--lr", whole=False, low=0, high=1, open_low=True, help="peak learning rate (Adam)")
    add_number(hyper, "--warmup", whole=True, low=0, high=MAX_STEPS, metavar="STEPS",
               help=f"linear learning-rate warm-up (default: {d.warmup_steps}, or a tenth of the run if that is "
                    "shorter, so a short run still trains at its full rate)")
    hyper.add_argument("--lr-decay", choices=LR_DECAYS, default=None,
                       help="after warm-up: keep the learning rate (none), decay it to 0 by the last step "
                            "(cosine), or halve it after half the steps (halve; GLF's schedule) "
                            "(default: the preset's schedule: halve for GLF's paper settings, else none)")
    add_number(hyper, "--grad-clip", whole=False, low=0, high=1e6, open_low=True, metavar="NORM",
               help=f"clip the gradient norm to this (default: {d.grad_clip:g})")
    add_number(hyper, "--init-batch-size", whole=True, low=1, high=MAX_BATCH, metavar="N",
               help=f"images for the data-dependent ActNorm initialisation (default: {d.init_batch_size})")
    add_number(hyper, "--seed", whole=True, low=0, high=MAX_SEED,
               help=f"seed for the weights, the held-out split, data order and noise (default: {d.seed})")
    hyper.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None,
                       help="bf16 mixed precision (default: on for CUDA GPUs that support it; never on CPU)")
    add_number(hyper, "--max-rollbacks", whole=True, low=0, high=100, metavar="N",
                       help="when the loss becomes NaN the run rolls back and halves the learning rate; "
                            f"give up after N rollbacks in a row (default: {d.max_rollbacks})")
    add_number(hyper, "--guard-every", whole=True, low=1, high=MAX_STEPS, metavar="STEPS",
                       help=f"refresh the in-memory last-good state every STEPS good steps (default: {d.guard_every})")

    watch = p.add_argument_group("monitoring and checkpoints")
    add_number(watch, "--eval-every", whole=True, low=1, high=MAX_STEPS, metavar="STEPS",
                       help=f"held-out score (bits/dim; nats for points) every STEPS steps and at the end "
                            f"(default: {d.eval_every})")
    add_number(watch, "--log-every", whole=True, low=1, high=MAX_STEPS, metavar="STEPS",
                       help=f"a progress event every STEPS steps (default: {d.log_every})")
    add_number(watch, "--sample-every", whole=True, low=0, high=MAX_STEPS, metavar="STEPS",
                       help=f"a sample grid every STEPS steps and at the end; 0 = never (default: {d.sample_every})")
    add_number(watch, "--sample-count", whole=True, low=1, high=256, metavar="N",
               help=f"images per grid (default: {d.sample_count})")
    add_number(watch, "--sample-temperature", whole=False, low=0, high=MAX_TEMPERATURE, metavar="T",
                       help=f"noise scale of the grids; below 1 gives cleaner images (default: {d.sample_temperature:g})")
    add_number(watch, "--checkpoint-every", whole=True, low=1, high=MAX_STEPS, metavar="STEPS",
                       help=f"write the resumable checkpoint every STEPS steps (default: {d.checkpoint_every})")

    out = p.add_argument_group("run folder and output")
    out.add_argument("--name", default=None, help="model name for its card and the run folder "
                                                  "(default: the -o file name, else FAMILY-DATA)")
    out.add_argument("--run-dir", type=Path, default=None, metavar="DIR",
                     help="run folder (default: runs/NAME, or runs/NAME-2, ... if taken)")
    out.add_argument("-o", "--out", type=Path, default=None, help="also copy the final model to this .safetensors")
    out.add_argument("--resume", type=Path, default=None, metavar="RUN_DIR",
                     help="continue a stopped or crashed run from its last checkpoint, with its saved settings "
                          "(only --steps, --device, --json and -o may be given too)")
    out.add_argument("--estimate", action="store_true",
                     help="measure the time per epoch of every preset on this device, print it, and exit")
    out.add_argument("--device", choices=CHOICES, default="auto",
                     help="auto picks CUDA, then Apple MPS, then CPU (default: auto)")
    out.add_argument("--json", action="store_true",
                     help="machine mode: one JSON event per line on stdout, and the commands pause, resume "
                          "and cancel read from stdin, one per line")
    p.set_defaults(run=run)


def parse_arch(items: list[str]) -> dict[str, Any]:
    arch: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise CliError(f"--arch {item!r}: write it as KEY=VALUE")
        try:
            arch[key] = json.loads(value)
        except json.JSONDecodeError:
            arch[key] = value
    return arch


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except USER_ERRORS as exc:
        if args.json:  # the runner shows this event; main() prints the one line on stderr
            print(to_json_line(make_event("error", message=str(exc))), flush=True)
        raise


def _run(args: argparse.Namespace) -> int:
    if args.out is not None:
        check_output(args.out, (".safetensors",))
    if args.estimate:
        job, _ = _new_job(args)
        _fit_threads(job, resolve_device(args.device))
        _print_estimates(args, job)
        return 0
    cluster, device = from_environment(resolve_device(args.device))
    try:
        job, data_source = _resumed_job(args) if args.resume is not None else _new_job(args)
        _fit_threads(job, device)
        run_dir = _open_run_dir(args, job, data_source, device, cluster)
        return _drive(job, run_dir, device, cluster, args)
    finally:
        cluster.close()


def _fit_threads(job: TrainJob, device: torch.device) -> None:
    if job.data.kind == "points" and device.type == "cpu":
        torch.set_num_threads(POINTS_CPU_THREADS)


# -- building the job ------------------------------------------------------------------
def _new_job(args: argparse.Namespace) -> tuple[TrainJob, dict[str, Any]]:
    """The job the options describe (a preset, overridden), and where its data came from."""
    if args.data is None:
        raise CliError("say what to train on with --data (or continue a run with --resume RUN_DIR)")
    seed = _pick(args.seed, 0)
    source = {"source": args.data, "image_size": args.image_size, "channels": args.channels,
              "max_images": args.max_images, "seed": seed,  # load_training_data's arguments, kept in run.json
              **({"labelled": args.labelled} if args.labelled is not None else {})}
    data = load_training_data(**source)
    family, preset_name = _pick(args.family, DEFAULT_FAMILY), _pick(args.preset, "small")
    entry = get_family(family)
    if data.kind not in entry.data_kinds:
        able = ", ".join(f.name for f in families_for(data.kind))
        raise CliError(f"{entry.label} learns from {' or '.join(entry.data_kinds)}, and {args.data} holds {data.kind}; "
                       f"families that learn from {data.kind}: {able} (--family)")
    preset = entry.preset(preset_name, data.kind)
    overrides = parse_arch(args.arch)
    if args.n_bits is not None:
        overrides["n_bits"] = args.n_bits
    config = preset_config(family, preset_name, data.sample_shape, {**overrides, "seed": seed}, data.class_names)
    settings = _settings(args, preset, seed)
    if settings.batch_size > len(data.train):
        data.warnings.append(f"batch size lowered from {settings.batch_size} to {len(data.train)}, "
                             "the number of training images")
        settings.batch_size = len(data.train)
    name = args.name or (args.out.stem if args.out else f"{family}-{_data_name(args.data)}")
    job = TrainJob(config, data, settings, preset_name, name, "flowstudio " + shlex.join(args.argv))
    return job, source


def _settings(args: argparse.Namespace, preset: Preset, seed: int) -> TrainSettings:
    """Options given on the command line, else the preset's values, else :class:`TrainSettings` defaults."""
    steps = _pick(args.steps, preset.steps)
    warmup = _pick(args.warmup, min(TrainSettings.warmup_steps, steps // 10))
    given = {"steps": steps, "batch_size": _pick(args.batch_size, preset.batch_size),
             "lr": _pick(args.lr, preset.lr), "warmup_steps": warmup, "lr_decay": _pick(args.lr_decay, preset.lr_decay),
             "grad_clip": args.grad_clip, "init_batch_size": args.init_batch_size, "eval_every": args.eval_every,
             "log_every": args.log_every, "sample_every": args.sample_every, "sample_count": args.sample_count,
             "sample_temperature": args.sample_temperature, "checkpoint_every": args.checkpoint_every,
             "guard_every": args.guard_every, "max_rollbacks": args.max_rollbacks, "seed": seed, "amp": args.amp,
             "labelled_share": args.labelled_share}
    hook = os.environ.get(NAN_HOOK_ENV, "").strip()
    if hook:
        given["debug_nan_steps"] = tuple(int(s) for s in hook.split(","))
    return TrainSettings(**{k: v for k, v in given.items() if v is not None})


def _pick(value: Any, default: Any) -> Any:
    return default if value is None else value


def _data_name(source: str) -> str:
    return source if source in BUILTIN or source in TOY_NAMES else Path(source).resolve().name


def _claim_run_dir(requested: Path | None, name: str, cluster: Cluster) -> RunDir | None:
    if not cluster.is_main:
        return None  # only rank 0 writes
    if requested is None:
        return RunDir.claim(name)
    run_dir = RunDir(requested)
    if run_dir.run_json.exists():
        raise CliError(f"{requested} already holds a run: continue it with --resume {requested}, "
                       "or choose another --run-dir")
    return run_dir


def _open_run_dir(args: argparse.Namespace, job: TrainJob, source: dict[str, Any], device: torch.device,
                  cluster: Cluster) -> RunDir | None:
    """The run folder, prepared and holding the job's ``run.json`` by rank 0 (the others only read a resumed one).

    A folder that cannot be written (read-only, no permission, a full disk)
    is one :class:`WriteError` saying which and how to choose another; a
    folder this run created is removed again if it is still empty.
    """
    if not cluster.is_main:
        return RunDir(args.resume) if args.resume is not None else None
    fresh = args.resume is None and (args.run_dir is None or not args.run_dir.exists())
    run_dir = None
    try:
        run_dir = RunDir(args.resume) if args.resume is not None else _claim_run_dir(args.run_dir, job.name, cluster)
        run_dir.prepare()
        _write_run_info(run_dir, job, source, device, cluster)
    except WriteError as exc:
        if fresh and run_dir is not None:
            for folder in (run_dir.samples, run_dir.path):
                try:
                    folder.rmdir()
                except OSError:
                    break
        raise exc.also(_run_dir_advice(args, exc)) from exc.__cause__
    return run_dir


def _run_dir_advice(args: argparse.Namespace, exc: WriteError) -> str:
    """What to do when the run folder cannot be written."""
    full = getattr(exc.__cause__, "errno", None) in (errno.ENOSPC, errno.EDQUOT)
    if args.resume is not None:
        return ("the run is unchanged: free some space there and resume again" if full else
                f"copy {args.resume} to a folder you can write and resume from the copy")
    where = "" if args.run_dir is not None else f"runs go into {DEFAULT_ROOT}/ in the current folder by default: "
    return where + ("free some space there, or choose a run folder on another disk with --run-dir DIR" if full
                    else "choose a run folder you can write with --run-dir DIR")


def _resumed_job(args: argparse.Namespace) -> tuple[TrainJob, dict[str, Any]]:
    """The job saved in the run folder ``--resume`` names (with a new ``--steps`` if given)."""
    extra = sorted(k for k, v in vars(args).items()
                   if k not in RESUME_OPTIONS | {"resume", "run", "argv", "command"} and v not in (None, False, []))
    if extra:
        names = ", ".join("--" + k.replace("_", "-") for k in extra)
        raise CliError(f"--resume continues with the run's saved settings; {names} cannot be changed "
                       "(only --steps, --device, --json and -o can be given)")
    info = RunDir(args.resume).read_info()
    source = info["data"]["source"]
    data = load_training_data(**source)
    settings = TrainSettings.from_json(info["settings"])
    recipe = info["recipe"]
    if args.steps is not None and args.steps != settings.steps:
        settings.steps = args.steps
        recipe += f" --steps {args.steps}"
    if data.digest() != info["data"]["digest"]:
        data.warnings.append(f"the data differs from when the run started ({source['source']} changed): "
                             "training continues, but not as an exact continuation")
    job = TrainJob(config_from_json(info["config"]), data, settings, info.get("preset"), info["name"], recipe)
    return job, source


def _write_run_info(run_dir: RunDir, job: TrainJob, source: dict[str, Any], device: torch.device,
                    cluster: Cluster) -> None:
    data = job.data
    run_dir.write_info({
        "format": 1, "name": job.name, "recipe": job.recipe, "flowstudio_version": __version__,
        "torch_version": torch.__version__, "written": datetime.datetime.now().astimezone().isoformat(),
        "device": str(device), "world_size": cluster.world_size, "preset": job.preset,
        "config": job.config.to_json(), "settings": job.settings.to_json(),
        "data": {"source": source, "description": data.description, "licence": data.licence,
                 "sample_shape": data.sample_shape, "n_train": len(data.train), "n_test": len(data.test),
                 "digest": data.digest()}})


# -- running and reporting -------------------------------------------------------------------
def _drive(job: TrainJob, run_dir: RunDir | None, device: torch.device, cluster: Cluster,
           args: argparse.Namespace) -> int:
    """Run the engine, render its events, and turn the last one into an exit status."""
    control = Control()
    if args.json and cluster.is_main:
        listen(control, sys.stdin)
    show = _Printer(args.json, control) if cluster.is_main else None
    last: dict[str, Any] = {}
    with cancel_on_signals(control):
        for event in train(job, run_dir, device, control, cluster, resume=args.resume is not None):
            last = event
            if show is not None:
                show(event)
    if not cluster.is_main:
        return EXIT_CANCELLED if last.get("event") == "cancelled" else 0
    kind = last.get("event")
    if kind == "error":
        print(f"flowstudio train: error: {last['message']}", file=sys.stderr)
        return EXIT_FAILED
    if kind == "cancelled":
        return EXIT_CANCELLED
    if args.out is not None:
        try:
            atomic_write_bytes(args.out, run_dir.model.read_bytes())
        except WriteError as exc:  # the run's own copy is complete: say where it is
            raise exc.also(f"the trained model is safe in {run_dir.model}: copy it from there") from exc.__cause__
        if not args.json:
            print(f"wrote {args.out}")
    return 0


class _Printer:
    """Events to stdout as JSON lines, or to stderr as short lines (step lines at most every few seconds)."""

    def __init__(self, as_json: bool, control: Control):
        self.as_json, self.control = as_json, control
        self.last_step_line = 0.0
        self.broken = False
        self.data_kind = "images"  # from the start event: the lines say images or points

    def __call__(self, event: dict[str, Any]) -> None:
        if self.as_json:
            self._json(event)
            return
        if event["event"] == "step":
            if time.monotonic() - self.last_step_line < PROGRESS_EVERY_S:
                return
            self.last_step_line = time.monotonic()
        self.data_kind = event.get("data_kind", self.data_kind)
        line = describe(event, self.data_kind)
        if line is not None:
            print(line, file=sys.stderr, flush=True)

    def _json(self, event: dict[str, Any]) -> None:
        if self.broken:
            return
        try:
            print(to_json_line(event), flush=True)
        except BrokenPipeError:  # the reader went away: stop cleanly, keeping a checkpoint
            self.broken = True
            self.control.cancel()


def _print_estimates(args: argparse.Namespace, job: TrainJob) -> None:
    """Measured time per epoch of each preset of the family (and of the job, if options changed it)."""
    device = resolve_device(args.device)
    amp = amp_enabled(job.settings.amp, device)
    family, shape, n = job.config.family, job.data.sample_shape, len(job.data.train)
    entry = get_family(family)
    rows = [(name, preset_config(family, name, shape, {}, job.data.class_names),
             entry.preset(name, job.data.kind).batch_size) for name in PRESET_NAMES]
    customised = bool(args.arch or args.n_bits is not None or args.batch_size is not None)
    if customised:
        rows.append(("yours", job.config, job.settings.batch_size))
    if not args.json:
        print(f"time per epoch (one pass over {n:,} training images) of {family} on {device}, "
              f"measured with a few real steps:")
        print(f"  {'preset':<8} {'parameters':>12} {'batch':>6} {'s/step':>8} {'s/epoch':>10}  architecture")
    for name, config, batch in rows:
        step_s = measure_step_seconds(config, batch, device, amp)
        epoch_s = epoch_seconds(step_s, n, batch)
        arch = {k: v for k, v in config.to_json().items() if k not in ("family", "seed", *config.data_fields(shape))}
        params = parameter_count(config)
        if args.json:
            print(to_json_line(make_event("estimate", preset=name, family=family, arch=arch,
                                          parameters=params, batch_size=batch, step_s=step_s, epoch_s=epoch_s,
                                          device=str(device))), flush=True)
            continue
        mark = ">" if name == ("yours" if customised else job.preset) else " "
        text = " ".join(f"{k}={v}" for k, v in arch.items())
        print(f"{mark} {name:<8} {params:>12,} {batch:>6} {step_s:>8.3f} {epoch_s:>10.1f}  {text}")
