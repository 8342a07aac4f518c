"""OpInfo entries of the norm family: layer_norm and batch_norm.

Each calls ``m.nn.functional.<op>`` with ``m`` being chainrule or torch."""

from __future__ import annotations

from typing import Any

from op_db import F, OpInfo, S


def _f(m: Any) -> Any:
    return m.nn.functional


OPS: list[OpInfo] = [
    OpInfo(
        "F.layer_norm",
        lambda m, a, w, b: _f(m).layer_norm(a, (4,), w, b, eps=1e-5),
        [S(F((3, 4)), F((4,)), F((4,))), S(F((2, 3, 4)), F((4,)), F((4,)))],
    ),
    OpInfo("F.layer_norm_2d_noaffine", lambda m, a: _f(m).layer_norm(a, (3, 4)), [S(F((2, 3, 4)))]),
    OpInfo(
        "F.batch_norm_train",
        lambda m, a, w, b: _f(m).batch_norm(a, None, None, w, b, training=True),
        [S(F((4, 3)), F((3,)), F((3,))), S(F((2, 3, 5)), F((3,)), F((3,)))],
    ),
    OpInfo(
        "F.batch_norm_eval",
        lambda m, a, rm, rv: _f(m).batch_norm(a, rm, rv, training=False),
        [S(F((4, 3, 2)), F((3,), grad=False), F((3,), 0.5, 2.0, grad=False))],
    ),
]
