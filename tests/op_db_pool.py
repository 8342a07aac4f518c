"""OpInfo entries of the pool family: max, average and adaptive average 2-d pooling.

Each calls ``m.nn.functional.<op>`` with ``m`` being chainrule or torch."""

from __future__ import annotations

from typing import Any

from op_db import F, OpInfo, S


def _f(m: Any) -> Any:
    return m.nn.functional


# Distinct values spread out so that max-pool windows have no near-ties for finite differences.
def _img(shape: tuple[int, ...]) -> F:
    return F(shape, -3.0, 3.0)


OPS: list[OpInfo] = [
    OpInfo(
        "F.max_pool2d",
        lambda m, a: _f(m).max_pool2d(a, 3, 2, 1),
        [S(_img((2, 2, 5, 6))), S(_img((2, 5, 5)))],
        gradcheck=False,
    ),
    OpInfo(
        "F.max_pool2d_ceil",
        lambda m, a: _f(m).max_pool2d(a, 2, ceil_mode=True),
        [S(_img((1, 2, 5, 5)))],
        gradcheck=False,
    ),
    OpInfo(
        "F.avg_pool2d",
        lambda m, a: _f(m).avg_pool2d(a, 3, 2, 1),
        [S(F((2, 2, 5, 6))), S(F((2, 5, 5)))],
    ),
    OpInfo(
        "F.avg_pool2d_nopad_count",
        lambda m, a: _f(m).avg_pool2d(a, 3, 2, 1, ceil_mode=True, count_include_pad=False),
        [S(F((1, 2, 6, 6)))],
    ),
    OpInfo(
        "F.adaptive_avg_pool2d",
        lambda m, a: _f(m).adaptive_avg_pool2d(a, (2, 3)),
        [S(F((2, 2, 5, 7))), S(F((2, 5, 5)))],
    ),
]
