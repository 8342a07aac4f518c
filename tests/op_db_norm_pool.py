"""OpInfo entries for the normalisation and pooling ops (nn.functional); test_ops.py appends
them to OPS. Each calls ``m.nn.functional.<op>`` with ``m`` being chainrule or torch."""

from __future__ import annotations

from typing import Any

from op_db import F, OpInfo, S

OPS: list[OpInfo] = []


def _f(m: Any) -> Any:
    return m.nn.functional


# Distinct values spread out so that max-pool windows have no near-ties for finite differences.
def _img(shape: tuple[int, ...]) -> F:
    return F(shape, -3.0, 3.0)


OPS += [
    OpInfo("F.layer_norm", lambda m, a, w, b: _f(m).layer_norm(a, (4,), w, b, eps=1e-5),
           [S(F((3, 4)), F((4,)), F((4,))), S(F((2, 3, 4)), F((4,)), F((4,)))]),
    OpInfo("F.layer_norm_2d_noaffine", lambda m, a: _f(m).layer_norm(a, (3, 4)),
           [S(F((2, 3, 4)))]),
    OpInfo("F.batch_norm_train",
           lambda m, a, w, b: _f(m).batch_norm(a, None, None, w, b, training=True),
           [S(F((4, 3)), F((3,)), F((3,))), S(F((2, 3, 5)), F((3,)), F((3,)))]),
    OpInfo("F.batch_norm_eval",
           lambda m, a, rm, rv: _f(m).batch_norm(a, rm, rv, training=False),
           [S(F((4, 3, 2)), F((3,), grad=False), F((3,), 0.5, 2.0, grad=False))]),
    OpInfo("F.max_pool2d", lambda m, a: _f(m).max_pool2d(a, 3, 2, 1),
           [S(_img((2, 2, 5, 6))), S(_img((2, 5, 5)))], gradcheck=False),
    OpInfo("F.max_pool2d_ceil", lambda m, a: _f(m).max_pool2d(a, 2, ceil_mode=True),
           [S(_img((1, 2, 5, 5)))], gradcheck=False),
    OpInfo("F.avg_pool2d", lambda m, a: _f(m).avg_pool2d(a, 3, 2, 1),
           [S(F((2, 2, 5, 6))), S(F((2, 5, 5)))]),
    OpInfo("F.avg_pool2d_nopad_count",
           lambda m, a: _f(m).avg_pool2d(a, 3, 2, 1, ceil_mode=True, count_include_pad=False),
           [S(F((1, 2, 6, 6)))]),
    OpInfo("F.adaptive_avg_pool2d", lambda m, a: _f(m).adaptive_avg_pool2d(a, (2, 3)),
           [S(F((2, 2, 5, 7))), S(F((2, 5, 5)))]),
]
