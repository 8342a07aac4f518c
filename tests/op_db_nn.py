"""OpInfo entries of the nn family: the fused linear layer and dropout in its deterministic
forms (p=0, eval mode).

Each calls ``m.nn.functional.<op>`` with ``m`` being chainrule or torch.
"""

from __future__ import annotations

from typing import Any

from op_db import F, OpInfo, S


def _f(m: Any) -> Any:
    return m.nn.functional


OPS: list[OpInfo] = [
    OpInfo(
        "F.linear",
        lambda m, x, w, b: _f(m).linear(x, w, b),
        [
            S(F((3, 4)), F((5, 4)), F((5,))),
            S(F((2, 3, 4)), F((5, 4)), F((5,))),
            S(F((4,)), F((5, 4)), F((5,)), name="1d"),
            S(F((0, 4)), F((5, 4)), F((5,))),
            S(F((3, 4)), F((2, 4)), F((1,)), name="bias_broadcast"),
            S(F((2, 3, 4)), F((2, 4)), F(()), name="bias_0d"),
        ],
    ),
    OpInfo("F.linear_nobias", lambda m, x, w: _f(m).linear(x, w), [S(F((3, 4)), F((2, 4)))]),
    OpInfo("F.dropout_p0", lambda m, x: _f(m).dropout(x, 0.0) * 2, [S(F((3, 4)))]),
    OpInfo(
        "F.dropout_eval", lambda m, x: _f(m).dropout(x, 0.5, training=False) * 2, [S(F((3, 4)))]
    ),
]
