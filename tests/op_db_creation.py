"""OpInfo entries of the creation family: the factories (full, zeros/ones, arange, linspace,
eye) and the *_like forms. Random draws cannot be compared with torch value for value; their
tests are in test_creation.py and test_tensor.py."""

from __future__ import annotations

from op_db import F, OpInfo, S, unary_samples

OPS: list[OpInfo] = [
    OpInfo("zeros", lambda m: m.zeros(2, 3), [S()], differentiable=False),
    OpInfo("ones_int", lambda m: m.ones((3,), dtype=m.int64), [S()], differentiable=False),
    OpInfo("full", lambda m: m.full((2, 2), -1.5), [S()], differentiable=False),
    OpInfo("arange", lambda m: m.arange(0.5, 3.0, 0.75), [S()], differentiable=False),
    OpInfo("arange_int", lambda m: m.arange(7), [S()], differentiable=False),
    OpInfo("linspace", lambda m: m.linspace(-1.0, 2.0, 7), [S()], differentiable=False),
    OpInfo("eye", lambda m: m.eye(3, 4), [S()], differentiable=False),
    # a factory result added to a differentiable input: the gradient passes through the input
    OpInfo("zeros_like", lambda m, a: m.zeros_like(a) + a, unary_samples()),
    OpInfo("full_like", lambda m, a: a * m.full_like(a, 2.5), unary_samples()),
    OpInfo(
        "ones_like_float64",
        lambda m, a: m.ones_like(a, dtype=m.float64),
        [S(F((3, 4)))],
        differentiable=False,
    ),
]
