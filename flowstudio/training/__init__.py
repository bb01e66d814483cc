"""Training flows by maximum likelihood (headless; no Qt).

* :func:`train` (:mod:`~flowstudio.training.engine`): the engine, a generator of progress events;
* :class:`TrainingRunner` (:mod:`~flowstudio.training.runner`): a training in a separate
  process, steered and watched from a GUI thread;
* :mod:`~flowstudio.training.presets`: size presets and measured time estimates;
* :mod:`~flowstudio.training.datasets`: built-in data sets and image folders, split and checked;
* :mod:`~flowstudio.training.run_dir`: the run folder layout.
"""

import importlib
from typing import Any

_EXPORTS = {"Control": "control", "DataError": "datasets", "TrainData": "datasets", "load_training_data": "datasets",
            "TrainJob": "engine", "train": "engine", "evaluate_score": "objective", "RunDir": "run_dir",
            "TrainingRunner": "runner", "TrainRequest": "runner", "TrainSettings": "settings"}
"""Imported on first use, so that the runner (and the GUI that uses it) never pulls in PyTorch."""

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"flowstudio.training.{_EXPORTS[name]}"), name)
