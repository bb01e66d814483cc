"""Training and testing the metric's Fashion-MNIST classifier (:class:`~.fashion_classifier.FashionCNN`).

Plain supervised training: cross-entropy, Adam (Kingma & Ba 2014, arXiv:1412.6980)
with the learning rate decayed linearly to zero over all steps, a seeded
shuffle; no augmentation (the features should describe Fashion-MNIST as it is).
The recipe that made the bundled weights is ``benchmarks/recipes/fashion_classifier.py``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from flowstudio.metrics.fashion_classifier import FashionCNN


@dataclass(frozen=True)
class ClassifierTraining:
    epochs: int = 4
    batch_size: int = 128
    learning_rate: float = 2e-3
    seed: int = 0


def train_classifier(images: np.ndarray, labels: np.ndarray, plan: ClassifierTraining = ClassifierTraining(),
                     log=print) -> tuple[FashionCNN, float]:
    """Train a fresh :class:`FashionCNN` on uint8 ``images [N, 1, 28, 28]``; return it (eval mode) and seconds."""
    generator = torch.Generator().manual_seed(plan.seed)
    torch.manual_seed(plan.seed)
    cnn = FashionCNN()
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    steps_per_epoch = -(-len(x) // plan.batch_size)
    total = plan.epochs * steps_per_epoch
    opt = torch.optim.Adam(cnn.parameters(), lr=plan.learning_rate)
    schedule = torch.optim.lr_scheduler.LambdaLR(opt, lambda step: 1.0 - step / total)
    start = time.perf_counter()
    for epoch in range(plan.epochs):
        cnn.train()
        order = torch.randperm(len(x), generator=generator)
        running = 0.0
        for i in range(steps_per_epoch):
            idx = order[i * plan.batch_size:(i + 1) * plan.batch_size]
            loss = nn.functional.cross_entropy(cnn(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            schedule.step()
            running += loss.item()
        log(f"epoch {epoch + 1}/{plan.epochs}: train loss {running / steps_per_epoch:.4f} "
            f"({time.perf_counter() - start:.0f} s)")
    return cnn.eval(), time.perf_counter() - start


@torch.no_grad()
def accuracy(cnn: FashionCNN, images: np.ndarray, labels: np.ndarray, batch_size: int = 1000) -> float:
    """Fraction of ``images`` that ``cnn`` (in eval mode) labels correctly."""
    cnn.eval()
    x, y = torch.from_numpy(images), torch.from_numpy(labels)
    right = sum((cnn(x[i:i + batch_size]).argmax(1) == y[i:i + batch_size]).sum().item()
                for i in range(0, len(x), batch_size))
    return right / len(x)
