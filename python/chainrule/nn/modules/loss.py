"""Loss layers (MSELoss, CrossEntropyLoss, ...) as Modules over nn.functional.

Constructor arguments, attributes and buffers are torch's: class weights (``weight``, and
``pos_weight`` of BCEWithLogitsLoss) are registered buffers (None when absent, so they stay
out of ``state_dict()``), and the deprecated ``size_average``/``reduce`` pair is turned into
``reduction`` with torch's warning.
"""

from __future__ import annotations

import warnings

from chainrule import _C
from chainrule.nn import _functional_loss as F
from chainrule.nn.modules.module import Module

__all__ = [
    "BCELoss",
    "BCEWithLogitsLoss",
    "CrossEntropyLoss",
    "HuberLoss",
    "KLDivLoss",
    "L1Loss",
    "MSELoss",
    "NLLLoss",
    "SmoothL1Loss",
]

Tensor = _C.Tensor


def _legacy_reduction(size_average: bool | None, reduce: bool | None) -> str:
    """torch's ``_Reduction.legacy_get_string``: maps the deprecated pair to a reduction."""
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    ret = "mean" if size_average and reduce else "sum" if reduce else "none"
    warnings.warn(
        f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
        stacklevel=3,
    )
    return ret


class _Loss(Module):
    reduction: str

    def __init__(
        self, size_average: bool | None = None, reduce: bool | None = None, reduction: str = "mean"
    ) -> None:
        super().__init__()
        if size_average is not None or reduce is not None:
            self.reduction = _legacy_reduction(size_average, reduce)
        else:
            self.reduction = reduction


class _WeightedLoss(_Loss):
    weight: Tensor | None

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class L1Loss(_Loss):
    """Mean absolute error ``|input - target|`` (see :func:`chainrule.nn.functional.l1_loss`).

    Args:
        size_average: deprecated (see reduction).
        reduce: deprecated (see reduction).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.

    Shape:
        input (*), target (*) the same shape; output () or (*) for ``'none'``.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.L1Loss()(cr.tensor([1.0, 2.0]), cr.tensor([0.0, 0.0])).item()
        1.5
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.l1_loss(input, target, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error ``(input - target) ** 2`` (see :func:`~chainrule.nn.functional.mse_loss`).

    Args:
        size_average: deprecated (see reduction).
        reduce: deprecated (see reduction).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.

    Shape:
        input (*), target (*) the same shape; output () or (*) for ``'none'``.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.MSELoss()(cr.tensor([1.0, 2.0]), cr.tensor([0.0, 0.0])).item()
        2.5
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.mse_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Huber loss: quadratic below ``delta``, linear above (see ``F.huber_loss``).

    Args:
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.
        delta: positive threshold between the two regimes. Default: 1.0.

    Shape:
        input (*), target (*) the same shape; output () or (*) for ``'none'``.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.HuberLoss(delta=1.0)(cr.tensor([3.0]), cr.tensor([0.0])).item()
        2.5
    """

    def __init__(self, reduction: str = "mean", delta: float = 1.0) -> None:
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class SmoothL1Loss(_Loss):
    """Smooth L1: ``0.5 d**2 / beta`` below ``beta``, ``|d| - 0.5 beta`` above.

    ``beta=0`` is L1Loss. See ``F.smooth_l1_loss``.

    Args:
        size_average: deprecated (see reduction).
        reduce: deprecated (see reduction).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.
        beta: non-negative threshold. Default: 1.0.

    Shape:
        input (*), target (*) the same shape; output () or (*) for ``'none'``.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.SmoothL1Loss(beta=1.0)(cr.tensor([3.0]), cr.tensor([0.0])).item()
        2.5
    """

    def __init__(
        self,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        beta: float = 1.0,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence of ``target`` from ``exp(input)`` (see ``F.kl_div``).

    ``reduction='batchmean'`` gives the mathematical KL divergence; ``'mean'`` (the default,
    as in torch) divides by every element and warns.

    Args:
        size_average: deprecated (see reduction).
        reduce: deprecated (see reduction).
        reduction: ``'none'`` | ``'batchmean'`` | ``'sum'`` | ``'mean'``. Default: ``'mean'``.
        log_target: whether the target holds log-probabilities. Default: False.

    Shape:
        input (*) log-probabilities, target (*) the same shape; output () or (*) for
        ``'none'``.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> p = cr.tensor([[0.5, 0.5]])
        >>> nn.KLDivLoss(reduction="batchmean")(p.log(), p).item()
        0.0
    """

    def __init__(
        self,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        log_target: bool = False,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities (see ``F.nll_loss``).

    Args:
        weight: optional (C,) weight per class, registered as the buffer ``weight``.
        size_average: deprecated (see reduction).
        ignore_index: target value that is skipped. Default: -100.
        reduce: deprecated (see reduction).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``; ``'mean'`` divides by the summed
            weight of the non-ignored targets. Default: ``'mean'``.

    Shape:
        input (N, C) or (N, C, d1, ..., dk) or (C,); target (N) or (N, d1, ..., dk) or ()
        int64; output () or the target's shape for ``'none'``.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.NLLLoss()(cr.tensor([[-1.0, -2.0]]), cr.tensor([1])).item()
        2.0
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.nll_loss(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
        )


class CrossEntropyLoss(_WeightedLoss):
    """Cross-entropy of logits, fused log-softmax + NLL (see ``F.cross_entropy``).

    The target holds class indices (int64, with ``ignore_index`` and ``label_smoothing``) or
    class probabilities (floating, the input's shape).

    Args:
        weight: optional (C,) weight per class, registered as the buffer ``weight``.
        size_average: deprecated (see reduction).
        ignore_index: class-index target that is skipped. Default: -100.
        reduce: deprecated (see reduction).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.
        label_smoothing: in [0, 1]: the share of the target spread uniformly over the
            classes. Default: 0.0.

    Shape:
        input (N, C), (N, C, d1, ..., dk) or (C,); target (N), (N, d1, ..., dk) or () int64,
        or the input's shape (probabilities); output () or (N, d1, ..., dk) for ``'none'``.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> loss = nn.CrossEntropyLoss(label_smoothing=0.1)
        >>> logits = cr.randn(4, 3, requires_grad=True)
        >>> loss(logits, cr.tensor([0, 2, 1, 0])).backward()
        >>> logits.grad.shape
        (4, 3)
    """

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        ignore_index: int = -100,
        reduce: bool | None = None,
        reduction: str = "mean",
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.cross_entropy(
            input,
            target,
            weight=self.weight,
            ignore_index=self.ignore_index,
            reduction=self.reduction,
            label_smoothing=self.label_smoothing,
        )


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities (see ``F.binary_cross_entropy``).

    Args:
        weight: optional weight broadcastable to the input, registered as the buffer
            ``weight``.
        size_average: deprecated (see reduction).
        reduce: deprecated (see reduction).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.

    Shape:
        input (*) in [0, 1], target (*) the same shape; output () or (*) for ``'none'``.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> round(nn.BCELoss()(cr.tensor([0.5]), cr.tensor([1.0])).item(), 4)
        0.6931
    """

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy(input, target, weight=self.weight, reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy of logits, numerically stable (see
    ``F.binary_cross_entropy_with_logits``).

    Args:
        weight: optional weight broadcastable to the input (buffer ``weight``).
        size_average: deprecated (see reduction).
        reduce: deprecated (see reduction).
        reduction: ``'none'`` | ``'mean'`` | ``'sum'``. Default: ``'mean'``.
        pos_weight: optional weight of positive examples broadcastable to the input, e.g.
            (C,) for (N, C) (buffer ``pos_weight``).

    Shape:
        input (*) logits, target (*) the same shape; output () or (*) for ``'none'``.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> round(nn.BCEWithLogitsLoss()(cr.tensor([0.0]), cr.tensor([1.0])).item(), 4)
        0.6931
    """

    weight: Tensor | None
    pos_weight: Tensor | None

    def __init__(
        self,
        weight: Tensor | None = None,
        size_average: bool | None = None,
        reduce: bool | None = None,
        reduction: str = "mean",
        pos_weight: Tensor | None = None,
    ) -> None:
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        return F.binary_cross_entropy_with_logits(
            input,
            target,
            self.weight,
            pos_weight=self.pos_weight,
            reduction=self.reduction,
        )
