"""OpInfo entries of the inplace family: fills and copies, in-place arithmetic chains, in-place
unary math, clamp_min_/clamp_max_, random fills and masked_fill. Each in-place op works on a
non-leaf copy (a * 1.0)."""

from __future__ import annotations

from op_db import POSITIVE, B, F, OpInfo, S, unary_samples

OPS: list[OpInfo] = [
    OpInfo(
        "inplace_chain",
        lambda m, a, b: (a * 1.0).add_(b).mul_(b).sub_(a).div_(b),
        [S(F((3, 4), 0.5, 2.0), F((3, 4), 0.5, 2.0)), S(F((3, 4), 0.5, 2.0), F((4,), 0.5, 2.0))],
    ),
    OpInfo("zero_", lambda m, a: (a * 1.0).zero_(), unary_samples()),
    OpInfo("fill_", lambda m, a: (a * 1.0).fill_(0.5), unary_samples()),
    OpInfo(
        "copy_",
        lambda m, a, b: (a * 1.0).copy_(b),
        [S(F((3, 4)), F((3, 4))), S(F((3, 4)), F((4,)), name="broadcast")],
    ),
    OpInfo("clamp_", lambda m, a: (a * 1.0).clamp_(-0.5, 0.5), unary_samples(away=(-0.5, 0.5))),
    OpInfo(
        "masked_fill_",
        lambda m, a, mask: (a * 1.0).masked_fill_(mask, -1.5),
        [S(F((3, 4)), B((3, 4))), S(F((3, 4)), B((4,)))],
    ),
    # the random fills with degenerate parameters draw a constant, so torch can judge them
    OpInfo("uniform_", lambda m, a: (a * 1.0).uniform_(0.5, 0.5), unary_samples()),
    OpInfo("normal_", lambda m, a: (a * 1.0).normal_(0.25, 0.0), unary_samples()),
    OpInfo("bernoulli_", lambda m, a: (a * 1.0).bernoulli_(1.0), unary_samples()),
    OpInfo(
        "masked_fill",
        lambda m, a, mask: a.masked_fill(mask, -1.5),
        [S(F((3, 4)), B((3, 4))), S(F((3, 4)), B((4,))), S(F(()), B(()))],
    ),
    OpInfo("exp_", lambda m, a: (a * 1.0).exp_(), unary_samples()),
    OpInfo("log_", lambda m, a: (a * 1.0).log_(), unary_samples(*POSITIVE)),
    OpInfo("sqrt_", lambda m, a: (a * 1.0).sqrt_(), unary_samples(*POSITIVE)),
    OpInfo("neg_", lambda m, a: (a * 1.0).neg_(), unary_samples()),
    OpInfo("abs_", lambda m, a: (a * 1.0).abs_(), unary_samples(away=(0.0,))),
    OpInfo("relu_", lambda m, a: (a * 1.0).relu_(), unary_samples(away=(0.0,))),
    OpInfo("sigmoid_", lambda m, a: (a * 1.0).sigmoid_(), unary_samples()),
    OpInfo("tanh_", lambda m, a: (a * 1.0).tanh_(), unary_samples()),
    OpInfo("sin_", lambda m, a: (a * 1.0).sin_(), unary_samples()),
    OpInfo("cos_", lambda m, a: (a * 1.0).cos_(), unary_samples()),
    OpInfo("pow_scalar_", lambda m, a: (a * 1.0).pow_(3), unary_samples()),
    OpInfo(
        "pow_tensor_",
        lambda m, a, b: (a * 1.0).pow_(b),
        [S(F((3, 4), 0.5, 2.0), F((3, 4), 0.5, 2.0)), S(F((3, 4), 0.5, 2.0), F((4,), 0.5, 2.0))],
    ),
    OpInfo("clamp_min_", lambda m, a: (a * 1.0).clamp_min_(-0.25), unary_samples(away=(-0.25,))),
    OpInfo("clamp_max_", lambda m, a: (a * 1.0).clamp_max_(0.5), unary_samples(away=(0.5,))),
]
