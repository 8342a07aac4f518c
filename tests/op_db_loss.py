"""OpInfo entries for the loss ops (nn.functional); collected by op_db.collect_ops().

Targets are inputs that do not require grad (``I`` class indices, ``F(..., grad=False)``
probabilities) unless the loss is differentiable in its target (regression losses, BCE,
kl_div, class probabilities), where the target gets a gradient too.
"""

from __future__ import annotations

from typing import Any

from op_db import F, I, OpInfo, S

OPS: list[OpInfo] = []


def _fn(name: str) -> Any:
    def call(m: Any, *args: Any, **kwargs: Any) -> Any:
        return getattr(m.nn.functional, name)(*args, **kwargs)

    return call


def _weighted(name: str, kw: str = "weight") -> Any:
    def call(m: Any, x: Any, t: Any, w: Any, **kwargs: Any) -> Any:
        return getattr(m.nn.functional, name)(x, t, **{kw: w}, **kwargs)

    return call


C = 5
PROB = F((4, C), 0.0, 1.0, grad=False)
W = F((C,), 0.5, 2.0, grad=False)


def _reductions(*args: Any, **kwargs: Any) -> list:
    return [S(*args, reduction=r, name=r, **kwargs) for r in ("mean", "sum", "none")]


OPS += [
    OpInfo(
        "cross_entropy",
        _fn("cross_entropy"),
        [
            *_reductions(F((4, C)), I((4,), high=C)),
            S(F((2, C, 3)), I((2, 3), high=C), name="3d"),
            S(F((2, C, 3, 2)), I((2, 3, 2), high=C), reduction="none", name="4d_none"),
            S(F((C,)), I((), high=C), name="1d"),
            S(F((4, C)), I((4,), high=C), label_smoothing=0.2, name="smoothing"),
            S(F((4, C)), I((4,), high=C), ignore_index=2, name="ignore_index"),
            S(
                F((4, C)),
                I((4,), high=C),
                ignore_index=1,
                label_smoothing=0.3,
                reduction="sum",
                name="ignore_smoothing_sum",
            ),
            S(F((0, C)), I((0,), high=C), reduction="sum", name="empty"),
        ],
    ),
    OpInfo(
        "cross_entropy_weight",
        _weighted("cross_entropy"),
        [
            *_reductions(F((4, C)), I((4,), high=C), W),
            S(F((2, C, 3)), I((2, 3), high=C), W, ignore_index=0, label_smoothing=0.1, name="3d"),
        ],
    ),
    OpInfo(
        "cross_entropy_probs",
        _fn("cross_entropy"),
        [
            *_reductions(F((4, C)), F((4, C), 0.0, 1.0)),
            S(F((2, C, 3)), F((2, C, 3), 0.0, 1.0), label_smoothing=0.25, name="3d_smoothing"),
            S(F((C,)), F((C,), 0.0, 1.0), name="1d"),
        ],
    ),
    OpInfo(
        "cross_entropy_probs_weight",
        _weighted("cross_entropy"),
        [
            S(F((4, C)), PROB, W, label_smoothing=0.1, name="mean"),
            S(F((4, C)), PROB, W, reduction="none", name="none"),
        ],
    ),
    OpInfo(
        "nll_loss",
        _fn("nll_loss"),
        [
            *_reductions(F((4, C)), I((4,), high=C)),
            S(F((2, C, 3)), I((2, 3), high=C), ignore_index=4, name="3d_ignore"),
            S(F((C,)), I((), high=C), name="1d"),
        ],
    ),
    OpInfo("nll_loss_weight", _weighted("nll_loss"), _reductions(F((4, C)), I((4,), high=C), W)),
    OpInfo(
        "mse_loss",
        _fn("mse_loss"),
        [
            *_reductions(F((3, 4)), F((3, 4))),
            S(F(()), F(()), name="0d"),
            S(F((0, 3)), F((0, 3)), reduction="sum", name="empty"),
        ],
    ),
    OpInfo(
        "mse_loss_weight",
        _weighted("mse_loss"),
        _reductions(F((3, 4)), F((3, 4)), F((3, 4), 0.1, 1.0, grad=False)),
    ),
    OpInfo(
        "l1_loss", _fn("l1_loss"), [*_reductions(F((3, 4)), F((3, 4))), S(F(()), F(()), name="0d")]
    ),
    OpInfo(
        "l1_loss_weight",
        _weighted("l1_loss"),
        _reductions(F((3, 4)), F((3, 4)), F((3, 4), 0.1, 1.0, grad=False)),
    ),
    OpInfo(
        "huber_loss",
        _fn("huber_loss"),
        [
            *_reductions(F((3, 4)), F((3, 4))),
            S(F((3, 4)), F((3, 4)), delta=0.5, name="delta"),
        ],
    ),
    OpInfo(
        "huber_loss_weight",
        _weighted("huber_loss"),
        _reductions(F((3, 4)), F((3, 4)), F((3, 4), 0.1, 1.0, grad=False)),
    ),
    OpInfo(
        "smooth_l1_loss",
        _fn("smooth_l1_loss"),
        [
            *_reductions(F((3, 4)), F((3, 4))),
            S(F((3, 4)), F((3, 4)), beta=0.5, name="beta"),
            S(F((3, 4)), F((3, 4)), beta=0.0, name="beta0"),
        ],
    ),
    OpInfo(
        "binary_cross_entropy",
        _fn("binary_cross_entropy"),
        _reductions(F((3, 4), 0.05, 0.95), F((3, 4), 0.0, 1.0)),
    ),
    OpInfo(
        "binary_cross_entropy_weight",
        _weighted("binary_cross_entropy"),
        _reductions(F((3, 4), 0.05, 0.95), F((3, 4), 0.0, 1.0), F((4,), 0.1, 1.0, grad=False)),
    ),
    OpInfo(
        "bce_with_logits",
        _fn("binary_cross_entropy_with_logits"),
        _reductions(F((3, 4), -4.0, 4.0), F((3, 4), 0.0, 1.0)),
    ),
    OpInfo(
        "bce_with_logits_weight",
        _weighted("binary_cross_entropy_with_logits"),
        _reductions(F((3, 4)), F((3, 4), 0.0, 1.0), F((3, 1), 0.1, 1.0, grad=False)),
    ),
    OpInfo(
        "bce_with_logits_pos_weight",
        _weighted("binary_cross_entropy_with_logits", "pos_weight"),
        _reductions(F((3, 4)), F((3, 4), 0.0, 1.0), F((4,), 0.5, 3.0, grad=False)),
    ),
    OpInfo(
        "kl_div",
        _fn("kl_div"),
        [
            S(F((3, 4), -3.0, 0.0), F((3, 4), 0.1, 1.0), reduction=r, name=r)
            for r in ("batchmean", "sum", "none")
        ],
    ),
    OpInfo(
        "kl_div_log_target",
        _fn("kl_div"),
        [
            S(F((3, 4), -3.0, 0.0), F((3, 4), -3.0, 0.0), reduction=r, log_target=True, name=r)
            for r in ("batchmean", "sum", "none")
        ],
    ),
]
