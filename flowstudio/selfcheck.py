"""``flowstudio selfcheck``: does this installation work?  Each part of the app tried for real, one line each.

For a packaged build above all: the bundled model and example sets are found inside the bundle,
the user's folders are the per-user ones (never the bundle's folder, which may be read-only), the
bundled model draws finite images, and a training child process starts from the app's own
executable (in a frozen build ``sys.executable`` is the bundle, not Python) and writes a model.
The studio's part (a window on screen, a training started from the Train panel and cancelled) is
:mod:`flowstudio.studio._qt.selfcheck`.  ``make package-test`` runs both from the unpacked archive.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flowstudio import __version__
from flowstudio.resources import default_model_path, example_sets, resources_dir

TINY_MODEL = ("--batch-size", "4", "--init-batch-size", "8", "--warmup", "1", "--sample-every", "0",
              "--arch", "levels=2", "--arch", "steps=1", "--arch", "hidden=8")
"""A Glow with one step per level and 8 hidden channels: a training step takes a fraction of a second."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str

    def line(self) -> str:
        return f"{'ok    ' if self.ok else 'FAILED'} {self.name}: {self.detail}"


def process_start_time() -> float:
    """When this process started (seconds since the epoch): from ``/proc`` on Linux, else this module's import."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
        return time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return _IMPORTED


_IMPORTED = time.time()


def is_frozen() -> bool:
    return bool(getattr(sys, "frozen", False))


def bundle_folder() -> Path | None:
    """The packaged app's folder (where its executable lies), or ``None`` from a source install."""
    return Path(sys.executable).resolve().parent if is_frozen() else None


def example_folder() -> Path:
    """A bundled example set (8 images): the evidence for the sampling check."""
    sets = example_sets()
    if not sets:
        raise FileNotFoundError(f"no example sets under {resources_dir() / 'evidence'}")
    return next(iter(sets.values()))


def training_folder() -> Path:
    """All the bundled model's example sets together (40 images): enough to train on (20 are needed)."""
    return example_folder().parent


def _version() -> Check:
    where = f"packaged app at {bundle_folder()}" if is_frozen() else f"source install, Python {sys.executable}"
    return Check("version", True, f"Flow Studio {__version__} ({where})")


def _resources() -> Check:
    model = default_model_path()
    sets = example_sets()
    ok = model.is_file() and bool(sets)
    return Check("bundled files", ok, f"model {model} {'found' if model.is_file() else 'MISSING'}; "
                                      f"{len(sets)} example sets in {training_folder() if sets else resources_dir() / 'evidence'}")


def _user_folders() -> Check:
    from flowstudio.studio import paths

    folders = [paths.settings_file().parent, paths.runs_dir()]
    bundle = bundle_folder()
    inside = [f for f in folders if bundle is not None and bundle in f.resolve().parents]
    try:
        for folder in folders:
            with tempfile.NamedTemporaryFile(dir=folder, prefix=".selfcheck-"):
                pass
    except OSError as exc:
        return Check("user folders", False, f"cannot write in {exc.filename}: {exc.strerror}")
    if inside:
        return Check("user folders", False, f"{inside[0]} is inside the app's folder {bundle}")
    return Check("user folders", True, "settings in " + str(folders[0]) + "; runs in " + str(folders[1]))


def _sampling() -> Check:
    from flowstudio.data.images import load_images
    from flowstudio.likelihood import LikelihoodSpec
    from flowstudio.loading import open_model
    from flowstudio.transflow.encode import decode_checked, evidence_stats
    from flowstudio.transflow.posterior import posterior

    model = open_model(default_model_path(), device="cpu").model
    c, h, w = model.image_shape
    evidence = load_images(example_folder(), c, (h, w)).images
    dist = posterior(evidence_stats(model, evidence), LikelihoodSpec(lam=0.5, relative=True))
    broken = int(decode_checked(model, dist.sample(range(4), 0.7)).broken.sum())
    return Check("sampling", broken == 0, f"4 images {c}x{h}x{w} drawn from {len(evidence)} examples"
                                          f"{f', {broken} of them could not be drawn' if broken else ''}")


def _training(out: Path) -> Check:
    from flowstudio.training.events import FINAL_KINDS
    from flowstudio.training.runner import TrainingRunner, flowstudio_command

    runner = TrainingRunner(["--data", str(training_folder()), "--name", "selfcheck", "--steps", "2",
                             *TINY_MODEL], out / "run")
    runner.start()
    final: dict = {}
    for event in runner.events():
        if event.get("event") in FINAL_KINDS:
            final = event
    model = final.get("model")
    ok = final.get("event") == "done" and bool(model) and Path(model).is_file()
    command = " ".join(Path(part).name for part in flowstudio_command())
    detail = (f"a child process ({command} train) trained 2 steps and wrote {model}" if ok else
              f"the child process ({command} train) did not finish: {final.get('message', final)}")
    return Check("training process", ok, detail)


def print_check(check: Check) -> None:
    print(check.line(), flush=True)


def run_checks(report: Callable[[Check], None] = print_check) -> bool:
    """Run every headless check, reporting each as it ends; ``True`` when all passed."""
    ok = True
    with tempfile.TemporaryDirectory(prefix="flowstudio-selfcheck-") as out:
        for check in checks(Path(out)):
            report(check)
            ok &= check.ok
    return ok


def checks(out: Path) -> Iterator[Check]:
    yield _version()
    yield _resources()
    yield _user_folders()
    for name, check in (("sampling", _sampling), ("training process", lambda: _training(out))):
        try:
            yield check()
        except Exception as exc:  # a self-check reports every failure as a line, then goes on
            yield Check(name, False, f"{type(exc).__name__}: {exc}")
