"""OpInfo entries for the lookup and attention ops (embedding, one_hot,
scaled_dot_product_attention); test_ops.py appends them to its OPS.

Each entry calls ``m.nn.functional.<op>`` with ``m`` being chainrule or torch.
"""

from __future__ import annotations

from typing import Any

from op_db import F, I, OpInfo, S

OPS: list[OpInfo] = []


def _f(m: Any) -> Any:
    return m.nn.functional


def _sdpa(m: Any, q: Any, k: Any, v: Any, *rest: Any, **kw: Any) -> Any:
    return _f(m).scaled_dot_product_attention(q, k, v, *rest, **kw)


OPS += [
    OpInfo(
        "F.embedding",
        lambda m, i, w, **kw: _f(m).embedding(i, w, **kw),
        [
            S(I((2, 3), high=6), F((6, 4)), name="2d"),
            S(I((5,), high=6), F((6, 3)), name="1d"),
            S(I((), high=6), F((6, 3)), name="0d"),
            S(I((0,), high=6), F((6, 3)), name="empty"),
        ],
    ),
    # the padding row gets no gradient and scale_grad_by_freq rescales it: finite differences
    # disagree by design (as in torch)
    OpInfo(
        "F.embedding_padding",
        lambda m, i, w, **kw: _f(m).embedding(i, w, **kw),
        [
            S(I((4, 3), high=6), F((6, 4)), padding_idx=2, name="padding"),
            S(I((4, 3), high=6), F((6, 4)), padding_idx=-1, name="padding_neg"),
            S(I((4, 3), high=6), F((6, 4)), scale_grad_by_freq=True, name="freq"),
        ],
        gradcheck=False,
    ),
    OpInfo(
        "F.one_hot",
        lambda m, i, *a: _f(m).one_hot(i, *a),
        [S(I((2, 3), high=4), 5, name="2d"), S(I((7,), high=4), name="infer"),
         S(I((0,), high=4), 3, name="empty")],
        differentiable=False,
    ),
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
