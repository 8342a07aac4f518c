"""OpInfo entries of the scan_sort family: cumsum, sort, argsort and topk."""

from __future__ import annotations

from op_db import F, OpInfo, S

OPS: list[OpInfo] = [
    OpInfo(
        "cumsum",
        lambda m, a, d: a.cumsum(d),
        [S(F((3, 4)), 1), S(F((2, 3, 4)), 0), S(F((2, 3, 4)), -2), S(F(()), 0), S(F((0, 3)), 1)],
    ),
    OpInfo("cumsum_dtype", lambda m, a: m.cumsum(a, dim=0, dtype=m.float64), [S(F((3, 4)))]),
    OpInfo(
        "sort",
        lambda m, a, d, **k: tuple(a.sort(d, **k)),
        [S(F((3, 5)), -1), S(F((2, 3, 4)), 1, descending=True), S(F(()), 0), S(F((0, 3)), 1)],
    ),
    OpInfo(
        "argsort",
        lambda m, a: m.argsort(a, dim=0, descending=True),
        [S(F((4, 3)))],
        differentiable=False,
    ),
    OpInfo(
        "topk",
        lambda m, a, k, **kw: tuple(a.topk(k, **kw)),
        [S(F((3, 5)), 2), S(F((2, 5, 3)), 3, dim=1, largest=False), S(F((4,)), 4), S(F((3, 4)), 0)],
    ),
]
