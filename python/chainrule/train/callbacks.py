"""Callbacks for fit: the hooks, early stopping, checkpoints, LR plateau, gradient flow.

Every hook receives the :class:`FitState` of the running fit; setting
``state.stop_training = True`` ends training after the current batch or epoch.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any, cast

from chainrule import _C

__all__ = [
    "Callback",
    "EarlyStopping",
    "FitState",
    "GradientFlow",
    "LambdaCallback",
    "ModelCheckpoint",
    "ReduceLROnPlateau",
]


class FitState:
    """What a callback sees of the running fit.

    Attributes:
        model: the model being trained.
        optimizer: its optimizer.
        history: the :class:`~chainrule.train.History` so far (the current epoch is added
            after every ``on_epoch_end`` hook has run).
        epochs: the number of epochs asked for.
        epoch: the current epoch, from 0.
        batch: the index of the last batch in the epoch, from 0.
        batch_loss: the last batch's loss as a float.
        batch_size: the number of samples in the last batch.
        logs: the epoch's figures (``"loss"``, metrics, ``"val_*"``), filled in before
            ``on_epoch_end``; hooks may add figures, which go into the history.
        stop_training: set to True to stop after the current batch (checked after each
            ``on_batch_end``) or epoch.
    """

    def __init__(self, model: Any, optimizer: Any, history: Any, epochs: int) -> None:
        self.model = model
        self.optimizer = optimizer
        self.history = history
        self.epochs = epochs
        self.epoch = 0
        self.batch = -1
        self.batch_loss = math.nan
        self.batch_size = 0
        self.logs: dict[str, float] = {}
        self.stop_training = False


class Callback:
    """Base class of fit callbacks: override the hooks you need (each gets the FitState).

    Hooks run in this order: ``on_train_begin``, then per epoch ``on_epoch_begin``,
    ``on_batch_end`` after each optimizer step, ``on_epoch_end`` after validation and the
    scheduler step, and finally ``on_train_end`` (also when a callback stopped training).
    """

    def on_train_begin(self, state: FitState) -> None:
        """Called once before the first epoch."""

    def on_epoch_begin(self, state: FitState) -> None:
        """Called at the start of each epoch."""

    def on_batch_end(self, state: FitState) -> None:
        """Called after each training batch (after ``optimizer.step()``)."""

    def on_epoch_end(self, state: FitState) -> None:
        """Called after each epoch, with ``state.logs`` holding the epoch's figures."""

    def on_train_end(self, state: FitState) -> None:
        """Called once when training ends."""


_HOOKS = ("on_train_begin", "on_epoch_begin", "on_batch_end", "on_epoch_end", "on_train_end")


class LambdaCallback(Callback):
    """A callback from plain functions, each taking the :class:`FitState`.

    Example:
        >>> seen = []
        >>> cb = LambdaCallback(on_epoch_end=lambda s: seen.append(s.logs["loss"]))
        >>> stop = LambdaCallback(on_batch_end=lambda s: setattr(s, "stop_training", s.batch == 9))
    """

    def __init__(
        self,
        on_train_begin: Callable[[FitState], Any] | None = None,
        on_epoch_begin: Callable[[FitState], Any] | None = None,
        on_batch_end: Callable[[FitState], Any] | None = None,
        on_epoch_end: Callable[[FitState], Any] | None = None,
        on_train_end: Callable[[FitState], Any] | None = None,
    ) -> None:
        given = {
            "on_train_begin": on_train_begin,
            "on_epoch_begin": on_epoch_begin,
            "on_batch_end": on_batch_end,
            "on_epoch_end": on_epoch_end,
            "on_train_end": on_train_end,
        }
        for name, fn in given.items():
            if fn is not None:
                setattr(self, name, fn)


# ---- monitoring a figure -----------------------------------------------------------------


def _resolve_mode(mode: str, monitor: str, who: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"{who}: mode must be 'auto', 'min' or 'max'; got {mode!r}")
    if mode == "auto":
        # Accuracies improve upwards; losses and errors downwards.
        return "max" if "acc" in monitor else "min"
    return mode


def _monitored(state: FitState, monitor: str, who: str) -> float:
    value = state.logs.get(monitor)
    if value is None:
        hint = " (pass val_data= to fit, or monitor='loss')" if monitor.startswith("val_") else ""
        raise ValueError(
            f"{who}: monitor {monitor!r} is not among the epoch's figures "
            f"{sorted(state.logs)}{hint}"
        )
    return float(value)


class _Monitor:
    """Tracks the best value of a figure: ``improved(v)`` with an absolute ``min_delta``."""

    def __init__(self, monitor: str, mode: str, min_delta: float, who: str) -> None:
        if min_delta < 0:
            raise ValueError(f"{who}: min_delta must be >= 0; got {min_delta}")
        self.monitor = monitor
        self.mode = _resolve_mode(mode, monitor, who)
        self.min_delta = float(min_delta)
        self.reset()

    def reset(self) -> None:
        self.best = math.inf if self.mode == "min" else -math.inf

    def improved(self, value: float) -> bool:
        if math.isnan(value):
            return False
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


def _copy_state_dict(model: Any) -> dict[str, Any]:
    return {
        key: value.detach().clone() if isinstance(value, _C.Tensor) else value
        for key, value in model.state_dict().items()
    }


class EarlyStopping(Callback):
    """Stops training when ``monitor`` has not improved for ``patience`` epochs.

    An epoch improves when the figure beats the best so far by more than ``min_delta``
    (lower for ``mode="min"``, higher for ``"max"``; ``"auto"`` means ``"max"`` for
    figures named like accuracies, ``"min"`` otherwise). Training stops at the end of the
    ``patience``-th epoch in a row without improvement.

    Args:
        monitor: the figure to watch (a key of ``History.history``).
        patience: epochs without improvement before stopping.
        min_delta: the smallest change that counts as an improvement.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        restore_best_weights: at the end of training, load the weights of the best epoch
            back into the model (whether or not training stopped early).

    Attributes:
        best: the best value seen.
        best_epoch: the epoch (from 0) it was seen at.
        stopped_epoch: the epoch training stopped at, or None.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        patience: int = 0,
        min_delta: float = 0.0,
        mode: str = "auto",
        restore_best_weights: bool = False,
    ) -> None:
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(f"EarlyStopping: patience must be an integer >= 0; got {patience!r}")
        self._monitor = _Monitor(monitor, mode, min_delta, "EarlyStopping")
        self.monitor = monitor
        self.mode = self._monitor.mode
        self.patience = patience
        self.min_delta = self._monitor.min_delta
        self.restore_best_weights = restore_best_weights
        self._reset()

    def _reset(self) -> None:
        self._monitor.reset()
        self.wait = 0
        self.best_epoch: int | None = None
        self.stopped_epoch: int | None = None
        self.best_weights: dict[str, Any] | None = None

    @property
    def best(self) -> float:
        return self._monitor.best

    def on_train_begin(self, state: FitState) -> None:
        self._reset()

    def on_epoch_end(self, state: FitState) -> None:
        value = _monitored(state, self.monitor, "EarlyStopping")
        if self._monitor.improved(value):
            self._monitor.best = value
            self.best_epoch = state.epoch
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = _copy_state_dict(state.model)
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = state.epoch
            state.stop_training = True

    def on_train_end(self, state: FitState) -> None:
        if self.restore_best_weights and self.best_weights is not None:
            state.model.load_state_dict(self.best_weights)


class ModelCheckpoint(Callback):
    """Saves ``model.state_dict()`` with ``cr.save`` after epochs (by default the best ones).

    ``path`` may hold ``str.format`` fields: ``{epoch}`` (counted from 1, as Keras does)
    and any figure of the epoch, e.g. ``"ckpt-{epoch:02d}-{val_loss:.3f}.cr"``.

    Args:
        path: the file to write.
        monitor: the figure that decides which epoch is best.
        save_best_only: save only when ``monitor`` improves on the best so far; with
            False, save after every epoch.
        mode: ``"auto"``, ``"min"`` or ``"max"``, as in :class:`EarlyStopping`.

    Attributes:
        best: the best value of ``monitor`` so far.
        best_epoch: the epoch (from 0) of the last save made as best.
        last_path: the file written last, or None.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        monitor: str = "val_loss",
        save_best_only: bool = True,
        mode: str = "auto",
    ) -> None:
        self.path = path
        self.monitor = monitor
        self.save_best_only = save_best_only
        self._monitor = _Monitor(monitor, mode, 0.0, "ModelCheckpoint")
        self.mode = self._monitor.mode
        self.best_epoch: int | None = None
        self.last_path: str | None = None

    @property
    def best(self) -> float:
        return self._monitor.best

    def on_train_begin(self, state: FitState) -> None:
        self._monitor.reset()
        self.best_epoch = None

    def _format_path(self, state: FitState) -> str:
        path = os.fspath(self.path)
        if "{" in path:
            return path.format(epoch=state.epoch + 1, **state.logs)
        return path

    def on_epoch_end(self, state: FitState) -> None:
        if self.save_best_only:
            value = _monitored(state, self.monitor, "ModelCheckpoint")
            if not self._monitor.improved(value):
                return
            self._monitor.best = value
            self.best_epoch = state.epoch
        import chainrule

        # Looked up at call time (cr.save is routed lazily to chainrule.serialization).
        save = cast(Callable[[Any, str], None], chainrule.save)
        path = self._format_path(state)
        save(state.model.state_dict(), path)
        self.last_path = path


class ReduceLROnPlateau(Callback):
    """Multiplies the learning rate by ``factor`` when ``monitor`` stops improving.

    The callback form of ``optim.lr_scheduler.ReduceLROnPlateau`` (which ``fit`` also
    accepts as ``scheduler=``). After ``patience`` epochs in a row without an improvement
    larger than ``min_delta``, every parameter group's ``lr`` becomes
    ``max(lr * factor, min_lr)``; then ``cooldown`` epochs pass before counting again. The
    learning rate of each epoch (first group) is recorded as ``"lr"`` in the history.

    Args:
        monitor: the figure to watch.
        factor: the multiplier, in (0, 1).
        patience: epochs without improvement before reducing.
        mode: ``"auto"``, ``"min"`` or ``"max"``.
        min_delta: the smallest change that counts as an improvement.
        cooldown: epochs to wait after a reduction before counting again.
        min_lr: the floor of the learning rate.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        if not 0.0 < factor < 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be in (0, 1); got {factor}")
        if isinstance(patience, bool) or not isinstance(patience, int) or patience < 0:
            raise ValueError(
                f"ReduceLROnPlateau: patience must be an integer >= 0; got {patience!r}"
            )
        self._monitor = _Monitor(monitor, mode, min_delta, "ReduceLROnPlateau")
        self.monitor = monitor
        self.mode = self._monitor.mode
        self.factor = factor
        self.patience = patience
        self.min_delta = self._monitor.min_delta
        self.cooldown = cooldown
        self.min_lr = min_lr
        self.wait = 0
        self.cooldown_counter = 0

    def on_train_begin(self, state: FitState) -> None:
        self._monitor.reset()
        self.wait = 0
        self.cooldown_counter = 0

    def on_epoch_end(self, state: FitState) -> None:
        groups = state.optimizer.param_groups
        state.logs["lr"] = float(groups[0]["lr"])
        value = _monitored(state, self.monitor, "ReduceLROnPlateau")
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._monitor.improved(value):
            self._monitor.best = value
            self.wait = 0
        elif self.cooldown_counter == 0:
            self.wait += 1
            if self.wait >= self.patience:
                for group in groups:
                    group["lr"] = max(group["lr"] * self.factor, self.min_lr)
                self.cooldown_counter = self.cooldown
                self.wait = 0


class GradientFlow(Callback):
    """Records the gradient norm of every parameter, averaged over each epoch.

    After every ``every``-th optimizer step, the L2 norm of each parameter's ``.grad`` is
    taken (as a tensor, without leaving C++); at the end of the epoch the mean per parameter
    goes into the history as ``"grad_norm/<name>"`` and into :attr:`norms`. Vanishing
    gradients show as norms that shrink towards 0 in the early layers, exploding ones as
    norms that grow by orders of magnitude; ``History.plot`` draws them on a log scale.

    Args:
        every: measure after every ``every``-th batch (1: all of them).
        verbose: print :meth:`summary` when training ends.

    Attributes:
        norms: ``{parameter name: [mean grad norm of each epoch]}``.
    """

    def __init__(self, every: int = 1, verbose: bool = False) -> None:
        if isinstance(every, bool) or not isinstance(every, int) or every < 1:
            raise ValueError(f"GradientFlow: every must be a positive integer; got {every!r}")
        self.every = every
        self.verbose = verbose
        self.norms: dict[str, list[float]] = {}
        self._params: list[tuple[str, Any]] = []
        self._parts: dict[str, list[Any]] = {}

    def on_train_begin(self, state: FitState) -> None:
        self._params = [(n, p) for n, p in state.model.named_parameters() if p.requires_grad]
        self.norms = {name: [] for name, _ in self._params}
        self._parts = {name: [] for name, _ in self._params}

    def on_batch_end(self, state: FitState) -> None:
        if state.batch % self.every:
            return
        enabled = _C.is_grad_enabled()
        _C._set_grad_enabled(False)
        try:
            for name, p in self._params:
                if p.grad is not None:
                    self._parts[name].append(p.grad.norm())
        finally:
            _C._set_grad_enabled(enabled)

    def on_epoch_end(self, state: FitState) -> None:
        for name, _ in self._params:
            parts = self._parts[name]
            value = _C.stack(parts).double().mean().item() if parts else math.nan
            parts.clear()
            self.norms[name].append(value)
            state.logs["grad_norm/" + name] = value

    def summary(self) -> str:
        """A table of each parameter's mean gradient norm at the first and last epoch."""
        if not self.norms:
            return "GradientFlow: no epoch recorded"
        width = max(len("parameter"), *(len(n) for n in self.norms))
        lines = [f"{'parameter':<{width}}  {'first':>10}  {'last':>10}"]
        for name, values in self.norms.items():
            first, last = (values[0], values[-1]) if values else (math.nan, math.nan)
            flag = ""
            if last < 1e-7:
                flag = "  vanishing?"
            elif first > 0 and last / first > 1e3:
                flag = "  exploding?"
            lines.append(f"{name:<{width}}  {first:>10.3e}  {last:>10.3e}{flag}")
        return "\n".join(lines)

    def on_train_end(self, state: FitState) -> None:
        if self.verbose:
            print(self.summary())
