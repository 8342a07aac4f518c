"""What the chainrule.train tests share: a small MLP that records its calls, an SGD that
counts its steps, blobs to classify, and `train`: fit with those defaults and no progress
output."""

from __future__ import annotations

from typing import Any

import numpy as np

import chainrule as cr
import chainrule.nn as nn
from chainrule import optim
from chainrule.train import FitState, History, LambdaCallback, fit

# ---- a model on nn.Module, a step-counting optim.SGD, nn losses ----------------------------


class MLP(nn.Module):
    """Linear layers with ReLU between; records (training, grad enabled) of each call."""

    def __init__(self, *sizes: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        self.calls.append((self.training, cr.is_grad_enabled()))
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = cr.relu(x)
        return x


class CountingSGD(optim.SGD):
    """optim.SGD that counts its steps."""

    def __init__(self, params: Any, lr: float = 0.1, momentum: float = 0.0) -> None:
        super().__init__(params, lr=lr, momentum=momentum)
        self.steps = 0

    def step(self, closure: Any = None) -> Any:
        self.steps += 1
        return super().step(closure)


cross_entropy = nn.CrossEntropyLoss()


# ---- data -------------------------------------------------------------------------------------


def blobs(n: int = 120, seed: int = 0) -> tuple[cr.Tensor, cr.Tensor]:
    """Three well-separated Gaussian blobs in 4-d: (n, 4) float32 and (n,) int64 labels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = np.array([[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 3, 0]], dtype=np.float32)
    x = centers[y] + rng.normal(0, 0.5, (n, 4)).astype(np.float32)
    return cr.tensor(x), cr.tensor(y)


def train(model: MLP, data: Any, **kw: Any) -> History:
    kw.setdefault("loss", cross_entropy)
    kw.setdefault("optimizer", CountingSGD(model.parameters(), lr=0.1))
    kw.setdefault("progress", False)
    return fit(model, data, **kw)


def scripted(key: str, values: list[float]) -> LambdaCallback:
    """Sets ``logs[key]`` to ``values[epoch]`` at each epoch's end (before later callbacks)."""

    def hook(state: FitState) -> None:
        state.logs[key] = values[state.epoch]

    return LambdaCallback(on_epoch_end=hook)
