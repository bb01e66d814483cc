"""Screenshots of a label-conditioned model's views: the Samples view by label (a row per label), the same
style under every label, and Classify with the model's own p(y | x) in percent (``flowstudio screenshot
--labelled MODEL``; no labelled model is bundled yet, so the canonical set does not include them)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from flowstudio.studio._qt.screenshots import capture, wait_until, wait_until_idle
from flowstudio.studio.engine import api
from flowstudio.studio.paths import pasted_images_dir

QUERIES_PER_CLASS = 4


def _samples(mode: str) -> Any:
    def prepare(window: Any) -> QWidget:
        window.show_panel("samples")
        window.panels["samples"].set_label_mode(mode)
        wait_until(lambda: window.studio.last_sample is not None and window.studio.last_sample.labels is not None
                   and window.studio.last_sample.labels.kind == mode)
        return window
    return prepare


def _classify(window: Any) -> QWidget:
    """Fashion-MNIST test images of three classes, sorted by the model's own p(y | x)."""
    view = window.panels["classify"]
    window.panels["samples"].set_label_mode("plain")
    truth = api.write_fashion_queries(pasted_images_dir().parent / "classify-labelled-demo", QUERIES_PER_CLASS)
    view.clear()
    window.show_panel("classify")
    view.add(sorted(truth))
    wait_until(lambda: view.model.rowCount() == len(truth), timeout_s=120)
    return window


SHOTS = (("studio-by-label", _samples("by_label")), ("studio-same-style", _samples("same_style")),
         ("studio-classify-labelled", _classify))


def take_labelled_screenshots(window: Any, model: str | Path, out: Path) -> list[Path]:
    """Open ``model`` (label-conditioned) and capture :data:`SHOTS` into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    window.studio.load_model(str(model))
    wait_until_idle(window)
    if not window.studio.host.info or not window.studio.host.info.label_names:
        raise RuntimeError(f"{model}: not a label-conditioned model (its Samples view has no labels to draw)")
    return [capture(window, out, name, prepare) for name, prepare in SHOTS]
