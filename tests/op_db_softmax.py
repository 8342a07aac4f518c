"""OpInfo entries of the softmax family: softmax, log_softmax and logsumexp."""

from __future__ import annotations

from op_db import F, OpInfo, S, Sample, dim_samples


def softmax_samples() -> list[Sample]:
    return [
        S(F((3, 5)), 1, name="last"),
        S(F((2, 3, 4)), 1, name="middle"),
        S(F((2, 3, 4)), 0, name="first"),
        S(F(()), 0, name="0d"),
        S(F((0, 4)), 1, name="empty"),
    ]


OPS: list[OpInfo] = [
    OpInfo("softmax", lambda m, a, d: a.softmax(d), softmax_samples()),
    OpInfo("log_softmax", lambda m, a, d: a.log_softmax(d), softmax_samples()),
    OpInfo("softmax_dtype", lambda m, a: a.softmax(-1, dtype=m.float64), [S(F((3, 4)))]),
    OpInfo("logsumexp", lambda m, a, d, **k: a.logsumexp(d, **k), dim_samples()),
]
