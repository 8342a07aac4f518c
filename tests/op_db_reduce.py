"""OpInfo entries of the reduce family: sum, mean, var/std (and var_mean/std_mean),
amax/amin, max/min, argmax/argmin and norm."""

from __future__ import annotations

from op_db import F, OpInfo, S, dim_samples, reduce_samples

OPS: list[OpInfo] = [
    OpInfo("sum", lambda m, a: a.sum(), reduce_samples()),
    OpInfo("sum_dim", lambda m, a, d, **k: a.sum(d, **k), dim_samples()),
    OpInfo("sum_dtype", lambda m, a: a.sum(dtype=m.float64), [S(F((3, 4)))]),
    OpInfo("mean", lambda m, a: a.mean(), reduce_samples()[:3]),
    OpInfo("mean_dim", lambda m, a, d, **k: a.mean(d, **k), dim_samples()[:5]),
    OpInfo("var", lambda m, a: a.var(), reduce_samples()[:2]),
    OpInfo("var_dim", lambda m, a, d, **k: a.var(d, **k), dim_samples()[:4]),
    OpInfo("var_correction0", lambda m, a, d, **k: a.var(d, correction=0, **k), dim_samples()[:4]),
    OpInfo("std", lambda m, a: a.std(), reduce_samples()[:2]),
    OpInfo("std_dim", lambda m, a, d, **k: a.std(d, unbiased=False, **k), dim_samples()[:4]),
    OpInfo("amax", lambda m, a: a.amax(), reduce_samples()[:3]),
    OpInfo("amax_dim", lambda m, a, d, **k: a.amax(d, **k), dim_samples()),
    OpInfo("amin_dim", lambda m, a, d, **k: a.amin(d, **k), dim_samples()),
    OpInfo("max", lambda m, a: a.max(), reduce_samples()[:3]),
    OpInfo("min", lambda m, a: a.min(), reduce_samples()[:3]),
    OpInfo(
        "max_dim",
        lambda m, a, d, **k: tuple(a.max(d, **k)),
        [s for s in dim_samples()[:5] if s.name != "dims_tuple"],
    ),
    OpInfo(
        "min_dim",
        lambda m, a, d, **k: tuple(a.min(d, **k)),
        [s for s in dim_samples()[:5] if s.name != "dims_tuple"],
    ),
    OpInfo("argmax", lambda m, a: a.argmax(), reduce_samples()[:3], differentiable=False),
    OpInfo(
        "argmin_dim",
        lambda m, a, d, **k: a.argmin(d, **k),
        [s for s in dim_samples()[:5] if s.name != "dims_tuple"],
        differentiable=False,
    ),
    OpInfo("norm", lambda m, a: a.norm(), reduce_samples()),
    OpInfo("norm_dim", lambda m, a, d, **k: a.norm(dim=d, **k), dim_samples()[:4]),
    OpInfo("norm_p1", lambda m, a: a.norm(p=1, dim=1), [S(F((3, 4), away=(0.0,)))]),
    OpInfo("norm_p3", lambda m, a: a.norm(p=3), [S(F((3, 4), away=(0.0,)))]),
    OpInfo("norm_inf", lambda m, a: a.norm(p=float("inf"), dim=-1), [S(F((3, 4)))]),
    OpInfo("var_mean", lambda m, a, d, **k: m.var_mean(a, d, **k), dim_samples()[:4]),
    OpInfo("var_mean_all", lambda m, a: m.var_mean(a, correction=0), reduce_samples()[:3]),
    OpInfo("std_mean", lambda m, a, d, **k: m.std_mean(a, d, **k), dim_samples()[:4]),
]
