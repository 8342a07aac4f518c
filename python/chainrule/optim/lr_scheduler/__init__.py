"""Learning-rate schedulers (PyTorch's ``torch.optim.lr_scheduler``).

Each scheduler rewrites ``group["lr"]`` of its optimizer's parameter groups when
``step()`` is called (after ``optimizer.step()``), with PyTorch's recursive ("chainable")
formulas, so that trajectories, ``get_last_lr()``, ``last_epoch`` and state dicts match
PyTorch's step for step.

The base class and its helpers are in ``base``; the schedulers by what drives them: the epoch
count (``epoch``), a metric (``plateau``), the 1cycle policy (``one_cycle``).
"""

from __future__ import annotations

from chainrule.optim.lr_scheduler.base import LRScheduler
from chainrule.optim.lr_scheduler.epoch import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    StepLR,
)
from chainrule.optim.lr_scheduler.one_cycle import OneCycleLR
from chainrule.optim.lr_scheduler.plateau import ReduceLROnPlateau

__all__ = [
    "CosineAnnealingLR",
    "ExponentialLR",
    "LRScheduler",
    "LambdaLR",
    "LinearLR",
    "MultiStepLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "StepLR",
]
