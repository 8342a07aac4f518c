"""chainrule.train: fit, evaluate, predict, History and callbacks (chainrule's own API)."""

from __future__ import annotations

from chainrule.train import metrics
from chainrule.train.callbacks import (
    Callback,
    EarlyStopping,
    FitState,
    GradientFlow,
    LambdaCallback,
    ModelCheckpoint,
    ReduceLROnPlateau,
)
from chainrule.train.fit import evaluate, fit, predict
from chainrule.train.history import History

__all__ = [
    "Callback",
    "EarlyStopping",
    "FitState",
    "GradientFlow",
    "History",
    "LambdaCallback",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
    "evaluate",
    "fit",
    "metrics",
    "predict",
]
