"""OpInfo entries for the activation ops (nn.functional); collected by op_db.collect_ops().

Each entry calls ``m.nn.functional.<op>`` with ``m`` being chainrule or torch. The in-place
forms run on ``a * 1.0`` (a non-leaf), so that gradients flow back to the leaf ``a``.
"""

from __future__ import annotations

from typing import Any

from op_db import F, OpInfo, S, Sample, unary_samples

OPS: list[OpInfo] = []


def _f(m: Any) -> Any:
    return m.nn.functional


def softmax_samples() -> list[Sample]:
    return [
        S(F((3, 5)), 1, name="last"),
        S(F((2, 3, 4)), 1, name="middle"),
        S(F((2, 3, 4)), 0, name="first"),
        S(F((2, 3, 4)), -1, name="neg"),
        S(F(()), 0, name="0d"),
        S(F((0, 4)), 1, name="empty"),
    ]


KINK0 = (0.0,)
HARD = (-3.0, 3.0)  # hardsigmoid / hardswish kinks

OPS += [
    # ---- relu family
    OpInfo("F.relu", lambda m, a: _f(m).relu(a), unary_samples(away=KINK0)),
    OpInfo(
        "F.relu_inplace", lambda m, a: _f(m).relu(a * 1.0, inplace=True), unary_samples(away=KINK0)
    ),
    OpInfo("F.relu_", lambda m, a: _f(m).relu_(a * 1.0), unary_samples(away=KINK0)[:1]),
    OpInfo("F.leaky_relu", lambda m, a: _f(m).leaky_relu(a), unary_samples(away=KINK0)),
    OpInfo(
        "F.leaky_relu_slope", lambda m, a: _f(m).leaky_relu(a, 0.2), unary_samples(away=KINK0)[:2]
    ),
    OpInfo(
        "F.leaky_relu_neg_slope",
        lambda m, a: _f(m).leaky_relu(a, negative_slope=-0.5),
        unary_samples(away=KINK0)[:2],
    ),
    OpInfo(
        "F.leaky_relu_inplace",
        lambda m, a: _f(m).leaky_relu(a * 1.0, 0.2, inplace=True),
        unary_samples(away=KINK0),
    ),
    OpInfo(
        "F.leaky_relu_", lambda m, a: _f(m).leaky_relu_(a * 1.0, 0.3), unary_samples(away=KINK0)[:1]
    ),
    # ---- exponential-linear family
    OpInfo("F.elu", lambda m, a: _f(m).elu(a), unary_samples(away=KINK0)),
    OpInfo("F.elu_alpha", lambda m, a: _f(m).elu(a, alpha=0.5), unary_samples(away=KINK0)[:2]),
    OpInfo(
        "F.elu_inplace",
        lambda m, a: _f(m).elu(a * 1.0, 1.5, inplace=True),
        unary_samples(away=KINK0),
    ),
    OpInfo("F.elu_", lambda m, a: _f(m).elu_(a * 1.0), unary_samples(away=KINK0)[:1]),
    OpInfo("F.selu", lambda m, a: _f(m).selu(a), unary_samples(away=KINK0)),
    OpInfo(
        "F.selu_inplace",
        lambda m, a: _f(m).selu(a * 1.0, inplace=True),
        unary_samples(away=KINK0)[:2],
    ),
    OpInfo("F.celu", lambda m, a: _f(m).celu(a, alpha=2.0), unary_samples(away=KINK0)),
    OpInfo(
        "F.celu_inplace", lambda m, a: _f(m).celu(a * 1.0, 0.5, True), unary_samples(away=KINK0)[:2]
    ),
    # ---- smooth activations
    OpInfo("F.gelu", lambda m, a: _f(m).gelu(a), unary_samples(-4.0, 4.0)),
    OpInfo("F.gelu_tanh", lambda m, a: _f(m).gelu(a, approximate="tanh"), unary_samples(-4.0, 4.0)),
    OpInfo("F.silu", lambda m, a: _f(m).silu(a), unary_samples(-6.0, 6.0)),
    OpInfo(
        "F.silu_inplace", lambda m, a: _f(m).silu(a * 1.0, inplace=True), unary_samples(-6.0, 6.0)
    ),
    OpInfo("F.mish", lambda m, a: _f(m).mish(a), unary_samples(-6.0, 6.0)),
    OpInfo("F.mish_inplace", lambda m, a: _f(m).mish(a * 1.0, inplace=True), unary_samples()[:2]),
    OpInfo("F.softplus", lambda m, a: _f(m).softplus(a), unary_samples(-6.0, 6.0)),
    # beta * x crosses the threshold at x = 0.5: both branches, kept apart from the switch
    OpInfo(
        "F.softplus_beta_threshold",
        lambda m, a: _f(m).softplus(a, beta=2.0, threshold=1.0),
        unary_samples(away=(0.5,)),
    ),
    OpInfo("F.logsigmoid", lambda m, a: _f(m).logsigmoid(a), unary_samples(-6.0, 6.0)),
    OpInfo("F.sigmoid", lambda m, a: _f(m).sigmoid(a), unary_samples(-6.0, 6.0)),
    OpInfo("F.tanh", lambda m, a: _f(m).tanh(a), unary_samples()),
    OpInfo("F.softsign", lambda m, a: _f(m).softsign(a), unary_samples(away=KINK0)),
    OpInfo("F.tanhshrink", lambda m, a: _f(m).tanhshrink(a), unary_samples()),
    # ---- piecewise-linear activations
    OpInfo("F.hardtanh", lambda m, a: _f(m).hardtanh(a), unary_samples(away=(-1.0, 1.0))),
    OpInfo(
        "F.hardtanh_bounds",
        lambda m, a: _f(m).hardtanh(a, -0.5, max_val=1.5),
        unary_samples(away=(-0.5, 1.5))[:2],
    ),
    OpInfo(
        "F.hardtanh_inplace",
        lambda m, a: _f(m).hardtanh(a * 1.0, inplace=True),
        unary_samples(away=(-1.0, 1.0)),
    ),
    OpInfo(
        "F.hardtanh_",
        lambda m, a: _f(m).hardtanh_(a * 1.0, -0.5, 0.5),
        unary_samples(away=(-0.5, 0.5))[:1],
    ),
    OpInfo("F.relu6", lambda m, a: _f(m).relu6(a), unary_samples(-2.0, 8.0, away=(0.0, 6.0))),
    OpInfo(
        "F.relu6_inplace",
        lambda m, a: _f(m).relu6(a * 1.0, inplace=True),
        unary_samples(-2.0, 8.0, away=(0.0, 6.0))[:2],
    ),
    OpInfo("F.hardsigmoid", lambda m, a: _f(m).hardsigmoid(a), unary_samples(-5.0, 5.0, HARD)),
    OpInfo(
        "F.hardsigmoid_inplace",
        lambda m, a: _f(m).hardsigmoid(a * 1.0, inplace=True),
        unary_samples(-5.0, 5.0, HARD)[:2],
    ),
    OpInfo("F.hardswish", lambda m, a: _f(m).hardswish(a), unary_samples(-5.0, 5.0, HARD)),
    OpInfo(
        "F.hardswish_inplace",
        lambda m, a: _f(m).hardswish(a * 1.0, inplace=True),
        unary_samples(-5.0, 5.0, HARD)[:2],
    ),
    # ---- softmax family through nn.functional
    OpInfo("F.softmax", lambda m, a, d: _f(m).softmax(a, d), softmax_samples()),
    OpInfo(
        "F.softmax_kw",
        lambda m, a, d: _f(m).softmax(a, dim=d, dtype=m.float64),
        softmax_samples()[:2],
    ),
    OpInfo("F.log_softmax", lambda m, a, d: _f(m).log_softmax(a, d), softmax_samples()),
    OpInfo(
        "F.log_softmax_dtype",
        lambda m, a: _f(m).log_softmax(a, -1, dtype=m.float64),
        [S(F((3, 4)))],
    ),
    OpInfo("F.softmin", lambda m, a, d: _f(m).softmin(a, dim=d), softmax_samples()),
]
