"""Training flows by maximum likelihood (headless; no Qt)."""

from flowstudio.training.loop import TrainSettings, evaluate_bits_per_dim, train

__all__ = ["TrainSettings", "evaluate_bits_per_dim", "train"]
