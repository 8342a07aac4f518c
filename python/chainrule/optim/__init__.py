"""chainrule.optim: optimizers whose update math runs in one fused C++ call per step.

The names, options, defaults, update rules and state-dict layouts are PyTorch's
(``torch.optim``); ``lr_scheduler`` holds the learning-rate schedulers.
"""

from __future__ import annotations

from chainrule.optim import lr_scheduler
from chainrule.optim.adagrad import Adagrad
from chainrule.optim.adam import Adam
from chainrule.optim.adamw import AdamW
from chainrule.optim.optimizer import Optimizer
from chainrule.optim.rmsprop import RMSprop
from chainrule.optim.sgd import SGD

__all__ = ["SGD", "Adagrad", "Adam", "AdamW", "Optimizer", "RMSprop", "lr_scheduler"]
