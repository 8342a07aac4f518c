"""OpInfo entries of the linalg family: matmul, mm, bmm, addmm, outer, dot and mv."""

from __future__ import annotations

from op_db import F, OpInfo, S, Sample


def matmul_samples() -> list[Sample]:
    pairs = [
        ((4,), (4,)),
        ((3, 4), (4,)),
        ((4,), (4, 5)),
        ((3, 4), (4, 5)),
        ((2, 3, 4), (2, 4, 5)),
        ((2, 3, 4), (4, 5)),
        ((3, 4), (2, 4, 5)),
        ((2, 1, 3, 4), (5, 4, 6)),
        ((0, 4), (4, 5)),
        ((3, 0), (0, 5)),
    ]
    return [S(F(a), F(b), name=f"{a}@{b}") for a, b in pairs]


OPS: list[OpInfo] = [
    OpInfo("matmul", lambda m, a, b: a @ b, matmul_samples()),
    OpInfo("matmul_method", lambda m, a, b: a.matmul(b), matmul_samples()[:4]),
    OpInfo("mm", lambda m, a, b: a.mm(b), [S(F((3, 4)), F((4, 5))), S(F((0, 4)), F((4, 2)))]),
    OpInfo("bmm", lambda m, a, b: a.bmm(b), [S(F((2, 3, 4)), F((2, 4, 5)))]),
    OpInfo(
        "addmm",
        lambda m, i, a, b: i.addmm(a, b, beta=0.5, alpha=-2.0),
        [
            S(F((3, 5)), F((3, 4)), F((4, 5))),
            S(F((5,)), F((3, 4)), F((4, 5))),
            S(F(()), F((3, 4)), F((4, 5))),
        ],
    ),
    OpInfo("outer", lambda m, a, b: a.outer(b), [S(F((3,)), F((4,))), S(F((0,)), F((4,)))]),
    OpInfo("dot", lambda m, a, b: m.dot(a, b), [S(F((5,)), F((5,))), S(F((0,)), F((0,)))]),
    OpInfo("mv", lambda m, a, v: a.mv(v), [S(F((3, 4)), F((4,))), S(F((0, 4)), F((4,)))]),
]
