"""Epoch metrics for fit/evaluate: accuracy, top-k accuracy, MAE, MSE, RMSE and callables.

A metric accumulates exact sums over the epoch (kept as 0-d tensors, read once when the
figure is asked for), so an epoch figure is the figure over all of the epoch's samples, not
a mean of batch figures. Updates run under no-grad (the loop's job, not the metric's).
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable, Iterable
from typing import Any

from chainrule import _C

__all__ = [
    "MAE",
    "MSE",
    "RMSE",
    "Accuracy",
    "FunctionMetric",
    "Metric",
    "TopKAccuracy",
    "get_metric",
]

Tensor = _C.Tensor


class Metric:
    """Base class: ``update(output, target)`` per batch, ``compute()`` for the epoch figure.

    Subclasses add each batch's partial sum (a 0-d tensor) with :meth:`_add` and the
    number of counted items to ``self._count``. The sum accumulates in place in a float64
    0-d tensor, so updates never leave C++ and ``compute`` reads it with one ``.item()``.

    Attributes:
        name: the key of the figure in ``History.history`` (``"val_" + name`` on
            validation data).
    """

    name: str = "metric"

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Forgets the figures accumulated so far (called at the start of each epoch)."""
        self._sum = _C.zeros((), dtype=_C.dtype.float64)
        self._count = 0

    def update(self, output: Tensor, target: Tensor) -> None:
        """Adds one batch: ``output`` as returned by the model, ``target`` as in the data."""
        raise NotImplementedError

    def _add(self, partial: Tensor) -> None:
        # In place: keeping one tensor per batch alive until the epoch's end costs more
        # (fresh allocations) than this add.
        self._sum.add_(partial)

    def _total(self) -> float:
        return float(self._sum.item())

    def compute(self) -> float:
        """The figure over every sample seen since :meth:`reset` (NaN before any)."""
        return self._total() / self._count if self._count else math.nan

    def clone(self) -> Metric:
        """A fresh copy with nothing accumulated (validation keeps its own)."""
        other = copy.copy(self)
        other.reset()
        return other

    def __repr__(self) -> str:
        return f"{type(self).__name__}(name={self.name!r})"


def _align(output: Tensor, target: Tensor, who: str) -> Tensor:
    """``target`` reshaped to ``output``'s shape when they hold as many elements."""
    if tuple(output.shape) == tuple(target.shape):
        return target
    if output.numel() == target.numel():
        return target.reshape(output.shape)
    raise ValueError(
        f"{who}: output of shape {tuple(output.shape)} does not match target of shape "
        f"{tuple(target.shape)}"
    )


class Accuracy(Metric):
    """Fraction of correct predictions.

    - ``output`` of shape ``(N, C, ...)`` (scores or logits over ``C > 1`` classes) with
      ``target`` class indices ``(N, ...)``: the predicted class is ``output.argmax(1)``.
    - ``output`` and ``target`` with as many elements (``(N,)``, ``(N, 1)``, ...): integer
      or bool outputs are compared to the target as they are; floating outputs are binary
      probabilities, predicted positive above ``threshold`` (pass ``threshold=0.0`` for
      logits), against targets that are positive when above 0.5 (float) or nonzero.

    Args:
        threshold: the decision threshold of binary floating outputs.

    Example:
        >>> import chainrule as cr
        >>> m = Accuracy()
        >>> m.update(cr.tensor([[0.1, 0.9], [0.8, 0.2]]), cr.tensor([1, 1]))
        >>> m.compute()
        0.5
    """

    name = "accuracy"

    def __init__(self, threshold: float = 0.5) -> None:
        self.threshold = threshold
        super().__init__()

    def update(self, output: Tensor, target: Tensor) -> None:
        oshape, tshape = output.shape, target.shape
        if len(oshape) == len(tshape) + 1 and len(oshape) >= 2 and oshape[1] > 1:
            if tuple(oshape[:1]) + tuple(oshape[2:]) != tuple(tshape):
                raise ValueError(
                    f"{self.name}: output of shape {tuple(oshape)} does not match "
                    f"class-index target of shape {tuple(tshape)}"
                )
            correct = output.argmax(1) == target
            self._count += math.prod(tshape)
        else:
            target = _align(output, target, self.name)
            if output.dtype.is_floating_point:
                truth = target > 0.5 if target.dtype.is_floating_point else target != 0
                correct = (output > self.threshold) == truth
            else:
                correct = output == target
            self._count += math.prod(oshape)
        self._add(correct.sum())


class TopKAccuracy(Metric):
    """Fraction of samples whose target class is among the ``k`` highest scores.

    Args:
        k: how many of the top classes count as a hit.

    Shapes: ``output`` ``(N, C, ...)``, ``target`` class indices ``(N, ...)``, ``k <= C``.
    """

    def __init__(self, k: int = 5) -> None:
        if isinstance(k, bool) or not isinstance(k, int) or k < 1:
            raise ValueError(f"TopKAccuracy: k must be a positive integer; got {k!r}")
        self.k = k
        self.name = f"top{k}_accuracy"
        super().__init__()

    def update(self, output: Tensor, target: Tensor) -> None:
        if output.ndim != target.ndim + 1 or output.ndim < 2:
            raise ValueError(
                f"{self.name}: expected output (N, C, ...) and class-index target (N, ...); "
                f"got shapes {tuple(output.shape)} and {tuple(target.shape)}"
            )
        if self.k > output.shape[1]:
            raise ValueError(
                f"{self.name}: k={self.k} is larger than the number of classes; "
                f"got output of shape {tuple(output.shape)}"
            )
        # topk indices are distinct, so each sample matches at most once.
        hits = output.topk(self.k, dim=1).indices == target.unsqueeze(1)
        self._add(hits.sum())
        self._count += target.numel()


class MAE(Metric):
    """Mean absolute error over every element of every sample."""

    name = "mae"

    def update(self, output: Tensor, target: Tensor) -> None:
        diff = output - _align(output, target, self.name)
        self._add(diff.abs().sum())
        self._count += diff.numel()


class MSE(Metric):
    """Mean squared error over every element of every sample."""

    name = "mse"

    def update(self, output: Tensor, target: Tensor) -> None:
        diff = output - _align(output, target, self.name)
        self._add((diff * diff).sum())
        self._count += diff.numel()


class RMSE(MSE):
    """Root of the mean squared error over the whole epoch (not a mean of batch RMSEs)."""

    name = "rmse"

    def compute(self) -> float:
        return math.sqrt(super().compute())


class FunctionMetric(Metric):
    """A callable ``fn(output, target) -> float``, averaged over batches weighted by size.

    The epoch figure is exact for per-sample means (accuracy-like figures); for a figure
    that is not a mean over samples (an RMSE, an F1 score), write a :class:`Metric`
    subclass that accumulates the sums it needs.

    Args:
        fn: the metric; its ``__name__`` names the figure.
        name: the figure's name instead of ``fn.__name__``.
    """

    def __init__(self, fn: Callable[[Tensor, Tensor], Any], name: str | None = None) -> None:
        self.fn = fn
        self.name = name or getattr(fn, "__name__", None) or type(fn).__name__
        super().__init__()

    def reset(self) -> None:
        self._weighted = 0.0
        self._count = 0

    def update(self, output: Tensor, target: Tensor) -> None:
        value = self.fn(output, target)
        n = target.shape[0] if isinstance(target, Tensor) and target.ndim else 1
        self._weighted += float(value) * n
        self._count += n

    def compute(self) -> float:
        return self._weighted / self._count if self._count else math.nan


_TOPK = re.compile(r"top(\d+)_accuracy")
_NAMED: dict[str, Callable[[], Metric]] = {
    "accuracy": Accuracy,
    "acc": Accuracy,
    "mae": MAE,
    "mse": MSE,
    "rmse": RMSE,
}


def get_metric(spec: str | Metric | Callable[[Tensor, Tensor], Any]) -> Metric:
    """A fresh :class:`Metric` from a name, a Metric or a callable.

    Names: ``"accuracy"``, ``"topK_accuracy"`` (any K, e.g. ``"top5_accuracy"``),
    ``"mae"``, ``"mse"``, ``"rmse"``.

    Raises:
        ValueError: an unknown name.
        TypeError: neither a name, a Metric nor a callable.
    """
    if isinstance(spec, Metric):
        return spec.clone()
    if isinstance(spec, str):
        key = spec.lower()
        if key in _NAMED:
            return _NAMED[key]()
        match = _TOPK.fullmatch(key)
        if match:
            return TopKAccuracy(int(match.group(1)))
        raise ValueError(
            f"metrics: unknown metric {spec!r}; expected one of 'accuracy', "
            "'topK_accuracy' (e.g. 'top5_accuracy'), 'mae', 'mse', 'rmse', or a callable"
        )
    if callable(spec):
        return FunctionMetric(spec)
    raise TypeError(
        f"metrics: a metric must be a name, a Metric or a callable (output, target) -> float; "
        f"got {type(spec).__name__}"
    )


def resolve_metrics(specs: Iterable[Any] | str | None) -> list[Metric]:
    """Metrics from ``fit``'s ``metrics=`` argument, with distinct names."""
    if specs is None:
        return []
    if isinstance(specs, (str, Metric)) or callable(specs):
        specs = [specs]
    metrics = [get_metric(s) for s in specs]
    names = [m.name for m in metrics]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ValueError(f"metrics: names must be distinct; got {names} (repeated: {dupes})")
    reserved = [n for n in names if n == "loss" or n.startswith("val_")]
    if reserved:
        raise ValueError(
            f"metrics: the names 'loss' and 'val_*' are taken by the loop; got {reserved}"
        )
    return metrics
