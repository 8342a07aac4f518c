"""fit, evaluate and predict: the training loop (chainrule's own API, Keras-like).

The loop is plain Python over the public API (``model(x)``, ``loss.backward()``,
``optimizer.step()``); per batch it adds one ``.item()`` (the loss) and a few attribute
lookups. Metrics run under no-grad and stay in tensors until the epoch's end.
"""

from __future__ import annotations

import inspect
import math
import sys
from collections.abc import Callable, Iterable
from typing import Any, cast

import chainrule as cr
from chainrule import _C
from chainrule.train import _progress
from chainrule.train.callbacks import _HOOKS, FitState
from chainrule.train.history import History
from chainrule.train.metrics import Metric, resolve_metrics
from chainrule.utils.data import DataLoader, Dataset, TensorDataset

__all__ = ["evaluate", "fit", "predict"]

Tensor = _C.Tensor


# ---- data ---------------------------------------------------------------------------------


def _is_array(x: Any) -> bool:
    np = sys.modules.get("numpy")
    return np is not None and isinstance(x, np.ndarray)


def _model_dtype(model: Any) -> Any:
    """The dtype of the model's first floating parameter (float32 when it has none)."""
    params = getattr(model, "parameters", None)
    if params is not None:
        for p in params():
            if p.dtype.is_floating_point:
                return p.dtype
    return cr.float32


def _to_tensor(x: Any, float_dtype: Any) -> Tensor:
    # Tensors are used as they are; NumPy floating arrays take the model's dtype (NumPy
    # defaults to float64), integer arrays become int64 (class labels), bool stays bool.
    if isinstance(x, Tensor):
        return x
    if _is_array(x):
        kind = x.dtype.kind
        if kind == "f":
            return cr.as_tensor(x, dtype=float_dtype)
        if kind in "iu":
            return cr.as_tensor(x, dtype=cr.int64)
        return cr.as_tensor(x)
    return cr.as_tensor(x)


def _is_pair(data: Any) -> bool:
    return (
        isinstance(data, (tuple, list))
        and len(data) == 2
        and all(isinstance(d, Tensor) or _is_array(d) for d in data)
    )


def _is_batch(batch: Any) -> bool:
    return isinstance(batch, (tuple, list)) and all(isinstance(t, Tensor) for t in batch)


def _loader(
    data: Any,
    model: Any,
    batch_size: int,
    shuffle: bool,
    who: str,
    what: str,
    inputs_only: bool = False,
) -> Iterable[Any]:
    """A DataLoader over ``data``: a loader (used as is), a Dataset, ``(X, y)`` or ``X``."""
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, Dataset):
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle)
    if _is_pair(data):
        dtype = _model_dtype(model)
        x, y = (_to_tensor(d, dtype) for d in data)
        if x.ndim == 0 or y.ndim == 0 or x.shape[0] != y.shape[0]:
            raise ValueError(
                f"{who}: {what} X and y must hold the same number of samples (dim 0); "
                f"got shapes {tuple(x.shape)} and {tuple(y.shape)}"
            )
        if inputs_only:
            return DataLoader(TensorDataset(x), batch_size=batch_size)
        return DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=shuffle)
    if inputs_only and (isinstance(data, Tensor) or _is_array(data)):
        x = _to_tensor(data, _model_dtype(model))
        if x.ndim == 0:
            raise ValueError(f"{who}: {what} needs a dim 0 of samples; got a 0-d tensor")
        return DataLoader(TensorDataset(x), batch_size=batch_size)
    if isinstance(data, (Tensor, str, bytes)) or _is_array(data) or data is None:
        raise TypeError(
            f"{who}: {what} must be a DataLoader, a Dataset or an (X, y) pair of tensors or "
            f"arrays; got {type(data).__name__}"
        )
    if isinstance(data, (tuple, list)) and len(data) == 2 and not all(map(_is_batch, data)):
        raise TypeError(
            f"{who}: {what} as an (X, y) pair must hold tensors or NumPy arrays; got "
            f"({type(data[0]).__name__}, {type(data[1]).__name__})"
        )
    if not hasattr(data, "__iter__"):
        raise TypeError(
            f"{who}: {what} must be a DataLoader, a Dataset or an (X, y) pair of tensors or "
            f"arrays; got {type(data).__name__}"
        )
    return cast(Iterable[Any], data)  # any other iterable of (inputs, target) batches


def _split(batch: Any, who: str) -> tuple[Any, Any]:
    """``(inputs, target)`` of a batch: the last element is the target."""
    if isinstance(batch, (list, tuple)) and len(batch) >= 2:
        if len(batch) == 2:
            return batch[0], batch[1]
        return tuple(batch[:-1]), batch[-1]
    raise TypeError(
        f"{who}: each batch must be an (input, target) pair (or (input1, ..., target)); "
        f"got {type(batch).__name__}"
        + (f" of length {len(batch)}" if isinstance(batch, (list, tuple)) else "")
    )


def _inputs(batch: Any) -> Any:
    """The model inputs of a batch for predict: a tensor, ``[x]`` or ``[x, ..., target]``."""
    if isinstance(batch, (list, tuple)):
        if len(batch) == 1:
            return batch[0]
        if len(batch) == 2:
            return batch[0]
        return tuple(batch[:-1])
    return batch


def _count(target: Any, inputs: Any) -> int:
    """The number of samples in a batch: dim 0 of the target (or of the input)."""
    for t in (target, inputs[0] if isinstance(inputs, tuple) else inputs):
        if isinstance(t, Tensor) and t.ndim:
            return int(t.shape[0])
    return 1


# ---- modes ----------------------------------------------------------------------------------


def _save_modes(model: Any) -> list[tuple[Any, bool]]:
    """The ``training`` flag of the model and every submodule, to restore them exactly."""
    modules = model.modules() if hasattr(model, "modules") else [model]
    return [(m, m.training) for m in modules if hasattr(m, "training")]


def _restore_modes(saved: list[tuple[Any, bool]]) -> None:
    for module, training in saved:
        module.training = training


def _set_mode(model: Any, training: bool) -> None:
    if hasattr(model, "train"):
        model.train(training)


# ---- scheduler ------------------------------------------------------------------------------


def _scheduler_kind(scheduler: Any) -> str:
    """How fit steps ``scheduler``: ``"batch"``, ``"metric"`` or ``"epoch"``.

    - per batch: schedulers planned in optimizer steps (those with a ``total_steps``
      attribute, like ``OneCycleLR``);
    - with a figure: schedulers whose ``step`` takes a required first argument (the
      ``metrics`` of ``ReduceLROnPlateau``) get ``val_loss``, or ``loss`` without
      validation data;
    - otherwise ``step()`` once per epoch.
    """
    if not callable(getattr(scheduler, "step", None)):
        raise TypeError(f"fit: scheduler must have a step() method; got {type(scheduler).__name__}")
    if hasattr(scheduler, "total_steps"):
        return "batch"
    try:
        params = list(inspect.signature(scheduler.step).parameters.values())
    except (TypeError, ValueError):
        return "epoch"
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if params and params[0].kind in positional and params[0].default is inspect.Parameter.empty:
        return "metric"
    return "epoch"


# ---- the loops ------------------------------------------------------------------------------


def _check_positive_int(value: Any, name: str, who: str, minimum: int = 1) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{who}: {name} must be an integer >= {minimum}; got {value!r}")


def _run_eval(
    model: Any,
    loader: Iterable[Any],
    loss: Callable[[Any, Any], Any] | None,
    metrics: list[Metric],
    who: str,
) -> dict[str, float]:
    """Loss and metrics over ``loader`` in eval mode without grad; modes restored after."""
    saved = _save_modes(model)
    enabled = _C.is_grad_enabled()
    _set_mode(model, False)
    _C._set_grad_enabled(False)
    try:
        for m in metrics:
            m.reset()
        loss_sum = 0.0
        seen = 0
        for batch in loader:
            inputs, target = _split(batch, who)
            output = model(*inputs) if isinstance(inputs, tuple) else model(inputs)
            n = _count(target, inputs)
            if loss is not None:
                loss_sum += loss(output, target).item() * n
            for m in metrics:
                m.update(output, target)
            seen += n
    finally:
        _C._set_grad_enabled(enabled)
        _restore_modes(saved)
    if seen == 0:
        raise ValueError(f"{who}: the data holds no samples")
    logs: dict[str, float] = {}
    if loss is not None:
        logs["loss"] = loss_sum / seen
    for m in metrics:
        logs[m.name] = m.compute()
    return logs


def _train_epoch(
    model: Any,
    loader: Iterable[Any],
    loss: Callable[[Any, Any], Any],
    optimizer: Any,
    metrics: list[Metric],
    state: FitState,
    bar: _progress.EpochBar | None,
    batch_hooks: list[Callable[[FitState], Any]],
    *,
    clip: Callable[..., Any] | None,
    params: list[Any],
    max_norm: float | None,
    batch_scheduler: Any,
) -> dict[str, float]:
    """One pass of training steps over ``loader``; returns the epoch's loss and metrics."""
    for m in metrics:
        m.reset()
    loss_sum = 0.0
    seen = 0

    def running() -> dict[str, float]:
        figures = {"loss": loss_sum / seen if seen else math.nan}
        for m in metrics:
            figures[m.name] = m.compute()
        return figures

    _set_mode(model, True)
    for index, batch in enumerate(loader):
        if type(batch) is list and len(batch) == 2:  # a DataLoader's (x, y): the fast path
            inputs, target = batch
        else:
            inputs, target = _split(batch, "fit")
        output = model(*inputs) if isinstance(inputs, tuple) else model(inputs)
        batch_loss = loss(output, target)
        optimizer.zero_grad()
        batch_loss.backward()
        if clip is not None:
            clip(params, max_norm)
        optimizer.step()
        if batch_scheduler is not None:
            batch_scheduler.step()
        value = batch_loss.item()  # the one host sync of the step
        n = target.shape[0] if type(target) is Tensor and target.ndim else _count(target, inputs)
        loss_sum += value * n
        seen += n
        if metrics:
            _C._set_grad_enabled(False)
            try:
                for m in metrics:
                    m.update(output, target)
            finally:
                _C._set_grad_enabled(True)
        if batch_hooks:
            state.batch = index
            state.batch_loss = value
            state.batch_size = n
            for hook in batch_hooks:
                hook(state)
        if bar is not None:
            bar.update(n, running)
        if state.stop_training:
            break
    if seen == 0:
        raise ValueError("fit: train_data yielded no samples")
    return running()


def fit(
    model: Any,
    train_data: Any,
    *,
    loss: Callable[[Any, Any], Any],
    optimizer: Any,
    epochs: int = 1,
    batch_size: int = 32,
    shuffle: bool = True,
    val_data: Any = None,
    metrics: Iterable[Any] = (),
    scheduler: Any = None,
    callbacks: Iterable[Any] = (),
    clip_grad_norm: float | None = None,
    progress: bool = True,
) -> History:
    """Trains ``model`` on ``train_data`` for ``epochs`` epochs and returns its History.

    Each batch: ``output = model(x)``, ``l = loss(output, y)``, ``optimizer.zero_grad()``,
    ``l.backward()``, optional gradient clipping, ``optimizer.step()``. The model is in
    training mode while it trains and in eval mode, without grad, on ``val_data``; the
    modes of the model and its submodules are restored at the end.

    Epoch figures are over all of the epoch's samples: ``"loss"`` is the mean of the batch
    losses weighted by batch size (the epoch's mean loss for ``reduction="mean"``), and
    metrics accumulate exact sums (see :mod:`chainrule.train.metrics`). Training metrics
    are taken on the outputs of the training steps (in training mode, before each step's
    update), as Keras does.

    Args:
        model: a Module (any callable with ``parameters()``, ``train()``, ``eval()``).
        train_data: a DataLoader (used as is), a Dataset, or an ``(X, y)`` pair of tensors
            or NumPy arrays with samples along dim 0. NumPy floating arrays are converted to
            the model's dtype, integer arrays to int64. A batch is ``(x, y)``, or
            ``(x1, ..., xk, y)`` for a model taking ``k`` inputs.
        loss: ``loss(output, target) -> scalar tensor``, e.g. ``nn.CrossEntropyLoss()``.
        optimizer: an optimizer over the model's parameters.
        epochs: the number of passes over the data.
        batch_size: samples per batch when ``train_data`` is not a DataLoader.
        shuffle: reshuffle every epoch when ``train_data`` is not a DataLoader (the order
            comes from the global generator: ``cr.manual_seed`` fixes it).
        val_data: evaluated after each epoch (same forms as ``train_data``, in batches of
            ``max(batch_size, 256)``); adds ``"val_loss"`` and ``"val_<metric>"``.
        metrics: names (``"accuracy"``, ``"top5_accuracy"``, ``"mae"``, ``"mse"``,
            ``"rmse"``), :class:`~chainrule.train.metrics.Metric` objects or callables
            ``(output, target) -> float`` (named by ``__name__``, averaged over batches
            weighted by batch size).
        scheduler: a learning-rate scheduler, stepped once per epoch after validation. A
            scheduler whose ``step`` needs a figure (``ReduceLROnPlateau``) gets
            ``val_loss``, or ``loss`` without ``val_data``; one with a ``total_steps``
            attribute (``OneCycleLR``) is stepped after every batch instead.
        callbacks: :class:`~chainrule.train.Callback` objects (any object with some of the
            hook methods works).
        clip_grad_norm: if given, ``nn.utils.clip_grad_norm_(model.parameters(),
            clip_grad_norm)`` runs between ``backward()`` and ``step()``.
        progress: show a tqdm bar per epoch (loss, metrics, samples/s) when stderr is a
            terminal and tqdm is installed; otherwise fit prints nothing.

    Returns:
        A :class:`History` with the figures of every epoch run.

    Raises:
        ValueError: bad ``epochs``/``batch_size``/``clip_grad_norm``, unknown metric names,
            data without samples, X and y of different lengths.
        TypeError: data of an unsupported kind, or an optimizer without ``step``.

    Example:
        >>> import chainrule as cr, chainrule.nn as nn
        >>> _ = cr.manual_seed(0)
        >>> (X, y), (Xt, yt) = cr.datasets.load_digits()
        >>> model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
        >>> opt = cr.optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
        >>> hist = fit(model, (X, y), loss=nn.CrossEntropyLoss(), optimizer=opt, epochs=5,
        ...            batch_size=64, val_data=(Xt, yt), metrics=["accuracy"], progress=False)
        >>> sorted(hist.history)
        ['accuracy', 'loss', 'val_accuracy', 'val_loss']
        >>> hist.history["val_accuracy"][-1] > 0.9
        True
    """
    who = "fit"
    _check_positive_int(epochs, "epochs", who, minimum=0)
    _check_positive_int(batch_size, "batch_size", who)
    if not callable(loss):
        raise TypeError(f"fit: loss must be callable (output, target) -> tensor; got {loss!r}")
    if not (callable(getattr(optimizer, "step", None)) and hasattr(optimizer, "zero_grad")):
        raise TypeError(
            f"fit: optimizer must have step() and zero_grad(); got {type(optimizer).__name__}"
        )
    if clip_grad_norm is not None and not (
        isinstance(clip_grad_norm, (int, float))
        and not isinstance(clip_grad_norm, bool)
        and clip_grad_norm > 0
    ):
        raise ValueError(f"fit: clip_grad_norm must be a positive number; got {clip_grad_norm!r}")

    train_loader = _loader(train_data, model, batch_size, shuffle, who, "train_data")
    val_loader = None
    if val_data is not None:
        val_loader = _loader(val_data, model, max(batch_size, 256), False, who, "val_data")
    train_metrics = resolve_metrics(metrics)
    val_metrics = [m.clone() for m in train_metrics]
    scheduler_kind = _scheduler_kind(scheduler) if scheduler is not None else None

    clip = None
    params: list[Any] = []
    if clip_grad_norm is not None:
        import chainrule.nn.utils as nn_utils

        clip = nn_utils.clip_grad_norm_
        params = list(model.parameters())

    callbacks = list(callbacks)
    hooks = {
        name: [getattr(cb, name) for cb in callbacks if callable(getattr(cb, name, None))]
        for name in _HOOKS
    }
    batch_hooks = hooks["on_batch_end"]
    history = History()
    state = FitState(model, optimizer, history, epochs)
    bars = _progress.make_progress(progress)
    total = _progress.total_samples(train_loader) if bars is not None else None

    saved_modes = _save_modes(model)
    grad_enabled = _C.is_grad_enabled()
    _C._set_grad_enabled(True)
    try:
        for hook in hooks["on_train_begin"]:
            hook(state)
        for epoch in range(epochs):
            state.epoch = epoch
            state.logs = {}
            for hook in hooks["on_epoch_begin"]:
                hook(state)
            bar = bars.epoch_bar(epoch, epochs, total) if bars is not None else None
            logs = _train_epoch(
                model,
                train_loader,
                loss,
                optimizer,
                train_metrics,
                state,
                bar,
                batch_hooks,
                clip=clip,
                params=params,
                max_norm=clip_grad_norm,
                batch_scheduler=scheduler if scheduler_kind == "batch" else None,
            )
            if val_loader is not None:
                val_logs = _run_eval(model, val_loader, loss, val_metrics, who)
                logs.update({"val_" + k: v for k, v in val_logs.items()})
            if scheduler_kind == "metric":
                scheduler.step(logs["val_loss"] if "val_loss" in logs else logs["loss"])
            elif scheduler_kind == "epoch":
                scheduler.step()
            state.logs = logs
            for hook in hooks["on_epoch_end"]:
                hook(state)
            history._append(epoch, state.logs)
            if bar is not None:
                bar.close(state.logs)
            if state.stop_training:
                break
        for hook in hooks["on_train_end"]:
            hook(state)
    finally:
        _C._set_grad_enabled(grad_enabled)
        _restore_modes(saved_modes)
    return history


def evaluate(
    model: Any,
    data: Any,
    *,
    loss: Callable[[Any, Any], Any] | None = None,
    metrics: Iterable[Any] = (),
    batch_size: int = 256,
) -> dict[str, float]:
    """The loss and metrics of ``model`` over ``data``, in eval mode and without grad.

    Args:
        model: the model (its training flags are restored afterwards).
        data: a DataLoader, a Dataset or an ``(X, y)`` pair, as for :func:`fit`.
        loss: ``loss(output, target)``; its sample-weighted mean is ``"loss"``.
        metrics: as for :func:`fit`.
        batch_size: samples per batch when ``data`` is not a DataLoader.

    Returns:
        ``{"loss": ..., <metric name>: ...}`` (``"loss"`` only when ``loss`` is given).

    Example:
        >>> import chainrule as cr, chainrule.nn as nn
        >>> model = nn.Linear(4, 3)
        >>> X, y = cr.randn(10, 4), cr.randint(0, 3, (10,))
        >>> sorted(evaluate(model, (X, y), metrics=["accuracy", "top2_accuracy"]))
        ['accuracy', 'top2_accuracy']
    """
    who = "evaluate"
    _check_positive_int(batch_size, "batch_size", who)
    loader = _loader(data, model, batch_size, False, who, "data")
    return _run_eval(model, loader, loss, resolve_metrics(metrics), who)


def predict(model: Any, data: Any, batch_size: int = 256) -> Tensor:
    """The model's outputs over ``data``, concatenated along dim 0, in eval mode, no grad.

    Args:
        model: the model (its training flags are restored afterwards).
        data: inputs ``X`` (a tensor or NumPy array, samples along dim 0), an ``(X, y)``
            pair (``y`` is ignored), a Dataset or a DataLoader (batches ``x``, ``[x]`` or
            ``[x, y]``).
        batch_size: samples per batch when ``data`` is not a DataLoader.

    Returns:
        A tensor of shape ``(N, *output_shape)`` (a tuple of such tensors when the model
        returns a tuple).

    Example:
        >>> import chainrule as cr, chainrule.nn as nn
        >>> predict(nn.Linear(4, 3), cr.randn(10, 4), batch_size=4).shape
        (10, 3)
    """
    who = "predict"
    _check_positive_int(batch_size, "batch_size", who)
    loader = _loader(data, model, batch_size, False, who, "data", inputs_only=True)
    saved = _save_modes(model)
    enabled = _C.is_grad_enabled()
    _set_mode(model, False)
    _C._set_grad_enabled(False)
    outputs: list[Any] = []
    try:
        for batch in loader:
            inputs = _inputs(batch)
            outputs.append(model(*inputs) if isinstance(inputs, tuple) else model(inputs))
    finally:
        _C._set_grad_enabled(enabled)
        _restore_modes(saved)
    if not outputs:
        raise ValueError("predict: the data holds no samples")
    if isinstance(outputs[0], tuple):
        return cast(Tensor, tuple(_C.cat(list(column), 0) for column in zip(*outputs)))
    return _C.cat(outputs, 0)
