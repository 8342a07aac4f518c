"""OpInfo entries of the embedding family: the lookup ops embedding and one_hot.

Each entry calls ``m.nn.functional.<op>`` with ``m`` being chainrule or torch.
"""

from __future__ import annotations

from typing import Any

from op_db import F, I, OpInfo, S

OPS: list[OpInfo] = []


def _f(m: Any) -> Any:
    return m.nn.functional


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
        [
            S(I((2, 3), high=4), 5, name="2d"),
            S(I((7,), high=4), name="infer"),
            S(I((0,), high=4), 3, name="empty"),
        ],
        differentiable=False,
    ),
]
