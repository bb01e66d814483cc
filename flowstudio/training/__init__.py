"""Training flows by maximum likelihood (headless; no Qt).

* :func:`train` (:mod:`~flowstudio.training.engine`): the engine, a generator of progress events;
* :class:`TrainingRunner` (:mod:`~flowstudio.training.runner`): a training in a separate
  process, steered and watched from a GUI thread;
* :mod:`~flowstudio.training.presets`: size presets and measured time estimates;
* :mod:`~flowstudio.training.datasets`: built-in data sets and image folders, split and checked;
* :mod:`~flowstudio.training.run_dir`: the run folder layout.
"""

from flowstudio.training.control import Control
from flowstudio.training.datasets import DataError, TrainData, load_training_data
from flowstudio.training.engine import TrainJob, train
from flowstudio.training.objective import evaluate_bits_per_dim
from flowstudio.training.run_dir import RunDir
from flowstudio.training.runner import TrainingRunner, TrainRequest
from flowstudio.training.settings import TrainSettings

__all__ = ["Control", "DataError", "RunDir", "TrainData", "TrainJob", "TrainRequest", "TrainSettings",
           "TrainingRunner", "evaluate_bits_per_dim", "load_training_data", "train"]
