"""OpInfo entries of the attention family: the fused scaled_dot_product_attention.

Each entry calls ``m.nn.functional.<op>`` with ``m`` being chainrule or torch.
"""

from __future__ import annotations

from typing import Any

from op_db import F, OpInfo, S


def _f(m: Any) -> Any:
    return m.nn.functional


def _sdpa(m: Any, q: Any, k: Any, v: Any, *rest: Any, **kw: Any) -> Any:
    return _f(m).scaled_dot_product_attention(q, k, v, *rest, **kw)


OPS: list[OpInfo] = [
    OpInfo(
        "F.scaled_dot_product_attention",
        _sdpa,
        [
            S(F((2, 3, 4)), F((2, 5, 4)), F((2, 5, 6)), name="3d"),
            S(F((2, 2, 3, 4)), F((2, 2, 3, 4)), F((2, 2, 3, 4)), is_causal=True, name="causal"),
            S(F((4, 3)), F((5, 3)), F((5, 2)), F((4, 5)), name="float_mask"),
            S(F((2, 3, 4)), F((1, 5, 4)), F((5, 4)), scale=0.3, name="broadcast_scale"),
            S(F((2, 3, 4)), F((2, 4, 4)), F((2, 4, 4)), is_causal=True, name="causal_rect"),
        ],
        atol=1e-5,
        rtol=1e-4,
    ),
]
