"""Training progress as a stream of plain-dict events, and their two renderings.

Every event is a dict with ``event`` (its kind) and ``time`` (Unix seconds)
plus the fields below.  The same dicts are yielded by
:func:`flowstudio.training.engine.train`, appended to ``events.jsonl`` in the
run folder, printed one per line by ``flowstudio train --json`` and read back
by :class:`flowstudio.training.runner.TrainingRunner`.

==========  ==============================================================
kind        fields
==========  ==============================================================
start       settings, config, preset, score_unit, data_kind, data, n_train, n_test, device, amp,
            world_size, parameters, estimated_epoch_s, estimated_step_s, resumed_from_step,
            run_dir, n_labelled and classes (a labelled family's; else null)
step        step, unit, epoch (fractional passes over the data), loss_bpd, lr,
            grad_norm, images_per_s (examples: images or points), elapsed_s, eta_s
eval        step, unit, test_bpd, test_bpd_std; test_error (a labelled family's)
samples     step, path
checkpoint  step, path
warning     message
error       message (training stopped; the last checkpoint is kept); when
            the runner reports a child that died: also returncode, stderr_tail
paused      step
resumed     step
cancelled   step, checkpoint (path, or null before the first step)
done        step, unit, model (path), test_bpd, test_bpd_std, wall_time_s; test_error (a labelled
            family's: the share of held-out examples whose most probable class is wrong)
estimate    preset, family, arch, parameters, batch_size, step_s, epoch_s,
            device (only ``--estimate``)
exited      returncode (only from the runner, after the process ended)
==========  ==============================================================

``loss_bpd`` and ``test_bpd`` are in the model's ``score_unit`` (``unit``; also
``score_unit`` of the ``start`` event): bits/dim for image flows, whose names
they carry, and the family's own unit otherwise (nats for points, say).  Logs
written before ``unit`` existed are bits/dim.

Non-finite floats (a NaN loss) become ``null`` so every line is strict JSON.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

FINAL_KINDS = frozenset({"done", "cancelled", "error"})
"""Kinds after which a training process ends."""


def make_event(kind: str, **fields: Any) -> dict[str, Any]:
    """An event dict of ``kind`` stamped with the current time."""
    return {"event": kind, "time": round(time.time(), 3), **fields}


def to_json_line(event: dict[str, Any]) -> str:
    """One strict-JSON line (no trailing newline); NaN and infinities become ``null``."""
    return json.dumps(_finite(event), allow_nan=False, separators=(",", ":"))


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    return value


_NOUNS = {"images": ("images", "img"), "points": ("points", "points")}


def describe(event: dict[str, Any], data_kind: str = "images") -> str | None:
    """One human-readable line for stderr, or ``None`` for events not worth a line.

    ``data_kind`` (the ``start`` event's) says what the examples are called: images or points.

    ``error`` events return ``None`` too: the command line prints the error
    once, as its final line.
    """
    kind = event["event"]
    many, per = _NOUNS.get(data_kind, ("examples", "examples"))
    if kind == "start":
        resumed = f", resumed at step {event['resumed_from_step']}" if event.get("resumed_from_step") else ""
        epoch = event.get("estimated_epoch_s")
        per_epoch = f"; about {_duration(epoch)} per pass over the data" if epoch else ""
        labelled = (f" ({event['n_labelled']:,} labelled, {len(event['classes'])} classes)"
                    if event.get("classes") else "")
        return (f"training {event['config']['family']} ({event['preset'] or 'custom'} preset, "
                f"{event['parameters']:,} parameters) on {event['data']}: {event['n_train']:,} training{labelled} / "
                f"{event['n_test']:,} held-out {many}, device {event['device']}{resumed}{per_epoch}\n"
                f"run folder: {event['run_dir']}")
    if kind == "step":
        return (f"step {event['step']:,}  loss {_num(event['loss_bpd'])} {_unit(event)}  lr {event['lr']:.2e}  "
                f"{event['images_per_s']:.0f} {per}/s  eta {_duration(event['eta_s'])}")
    if kind == "eval":
        return (f"step {event['step']:,}: held-out {_num(event['test_bpd'])} {_unit(event)} "
                f"(std {_num(event['test_bpd_std'])}){_error(event)}")
    if kind == "samples":
        return f"samples: {event['path']}"
    if kind == "warning":
        return f"warning: {event['message']}"
    if kind == "paused":
        return f"paused at step {event['step']:,} (type 'resume' to continue)"
    if kind == "resumed":
        return f"resumed at step {event['step']:,}"
    if kind == "cancelled":
        where = f"; checkpoint {event['checkpoint']}" if event.get("checkpoint") else ""
        return f"cancelled at step {event['step']:,}{where}"
    if kind == "done":
        return (f"done: {event['model']}: held-out {_num(event['test_bpd'])} {_unit(event)}{_error(event)} after "
                f"{event['step']:,} steps in {_duration(event['wall_time_s'])}")
    return None


def _error(event: dict[str, Any]) -> str:
    error = event.get("test_error")
    return "" if error is None else f", test error {100 * error:.1f}%"


def _unit(event: dict[str, Any]) -> str:
    return str(event.get("unit", "bits/dim"))


def _num(value: float | None) -> str:
    return "nan" if value is None or not math.isfinite(value) else f"{value:.3f}"


def _duration(seconds: float | None) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "?"
    if seconds < 1:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"
