"""The op database: one OpInfo per op drives the generic tests in test_ops.py.

Each entry's ``fn(lib, *args, **kwargs)`` is written once and called with ``lib`` being
chainrule or torch, which works because chainrule's API is PyTorch's. Sample arguments
describe inputs (``F`` float tensors that may require grad, ``I`` int64 and ``B`` bool
tensors); plain Python values pass through unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class F:
    """A float tensor input of ``shape``, drawn uniformly from [low, high).

    ``away`` lists kinks the values are kept at least 0.1 from (relu at 0, clamp bounds),
    so that finite differences do not straddle them. ``grad`` says whether it requires grad.
    """

    shape: tuple[int, ...]
    low: float = -2.0
    high: float = 2.0
    away: tuple[float, ...] = ()
    grad: bool = True


@dataclass(frozen=True)
class I:  # noqa: E742
    """An int64 tensor input of ``shape`` with values in [low, high)."""

    shape: tuple[int, ...]
    high: int = 5
    low: int = 0


@dataclass(frozen=True)
class B:
    """A bool tensor input of ``shape``."""

    shape: tuple[int, ...]


@dataclass
class Sample:
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    name: str = ""


@dataclass
class OpInfo:
    name: str
    fn: Callable[..., Any]
    samples: Sequence[Sample]
    differentiable: bool = True
    gradcheck: bool = True
    noncontiguous: bool = True
    atol: float = 1e-5  # float32 forward/backward tolerances against torch
    rtol: float = 1e-4


def S(*args: Any, name: str = "", **kwargs: Any) -> Sample:
    return Sample(args, kwargs, name)


# Broadcasting, 0-d and empty shape pairs shared by the binary ops.
def binary_samples(low: float = -2.0, high: float = 2.0, away: tuple[float, ...] = ()) -> list[Sample]:
    def f(shape: tuple[int, ...]) -> F:
        return F(shape, low, high, away)

    return [
        S(f((3, 4)), f((3, 4)), name="same"),
        S(f((3, 4)), f((4,)), name="row_broadcast"),
        S(f((3, 1)), f((1, 4)), name="outer_broadcast"),
        S(f((2, 3, 4)), f((3, 1)), name="3d_broadcast"),
        S(f(()), f(()), name="0d"),
        S(f((3, 4)), f(()), name="tensor_0d"),
        S(f((0, 4)), f((4,)), name="empty"),
        S(f((3, 4)), 1.5, name="scalar_right"),
        S(1.5 if low >= 0 else -0.75, f((3, 4)), name="scalar_left"),
    ]


def unary_samples(low: float = -2.0, high: float = 2.0, away: tuple[float, ...] = ()) -> list[Sample]:
    return [
        S(F((3, 4), low, high, away), name="2d"),
        S(F((2, 3, 5), low, high, away), name="3d"),
        S(F((), low, high, away), name="0d"),
        S(F((0, 3), low, high, away), name="empty"),
    ]


POSITIVE = (0.1, 2.0)

OPS: list[OpInfo] = []

# ---- elementwise -------------------------------------------------------------
OPS += [
    OpInfo("add", lambda m, a, b: m.add(a, b), binary_samples()),
    OpInfo("add_alpha", lambda m, a, b: m.add(a, b, alpha=-2.5),
           [S(F((3, 4)), F((4,)), name="alpha")]),
    OpInfo("sub", lambda m, a, b: m.sub(a, b), binary_samples()),
    OpInfo("mul", lambda m, a, b: a * b, binary_samples()),
    OpInfo("div", lambda m, a, b: a / b, binary_samples(0.5, 2.0)),
    OpInfo("rdiv_scalar", lambda m, a: 2.0 / a, [S(F((3, 4), 0.5, 2.0))]),
    OpInfo("rsub_scalar", lambda m, a: 2.0 - a, [S(F((3, 4)))]),
    OpInfo("pow", lambda m, a, b: m.pow(a, b), binary_samples(0.5, 2.0)),
    OpInfo("pow_scalar_exp", lambda m, a: a ** 3, [S(F((3, 4))), S(F(()))]),
    OpInfo("pow_square", lambda m, a: a ** 2, [S(F((3, 4)))]),
    OpInfo("rpow", lambda m, a: 2.0 ** a, [S(F((3, 4)))]),
    OpInfo("maximum", lambda m, a, b: m.maximum(a, b), binary_samples()[:7]),
    OpInfo("minimum", lambda m, a, b: m.minimum(a, b), binary_samples()[:7]),
    OpInfo("neg", lambda m, a: -a, unary_samples()),
    OpInfo("abs", lambda m, a: m.abs(a), unary_samples(away=(0.0,))),
    OpInfo("exp", lambda m, a: m.exp(a), unary_samples()),
    OpInfo("log", lambda m, a: m.log(a), unary_samples(*POSITIVE)),
    OpInfo("log1p", lambda m, a: m.log1p(a), unary_samples(-0.5, 2.0)),
    OpInfo("expm1", lambda m, a: m.expm1(a), unary_samples()),
    OpInfo("sqrt", lambda m, a: m.sqrt(a), unary_samples(*POSITIVE)),
    OpInfo("rsqrt", lambda m, a: m.rsqrt(a), unary_samples(0.3, 2.0)),
    OpInfo("sin", lambda m, a: m.sin(a), unary_samples()),
    OpInfo("cos", lambda m, a: m.cos(a), unary_samples()),
    OpInfo("tanh", lambda m, a: m.tanh(a), unary_samples()),
    OpInfo("sigmoid", lambda m, a: m.sigmoid(a), unary_samples(-8.0, 8.0)),
    OpInfo("relu", lambda m, a: m.relu(a), unary_samples(away=(0.0,))),
    OpInfo("sign", lambda m, a: m.sign(a), unary_samples(away=(0.0,))),
    OpInfo("clamp", lambda m, a: m.clamp(a, -0.5, 0.5), unary_samples(away=(-0.5, 0.5))),
    OpInfo("clamp_min", lambda m, a: a.clamp(min=0.25), unary_samples(away=(0.25,))),
    OpInfo("clamp_max", lambda m, a: a.clamp(max=0.25), unary_samples(away=(0.25,))),
    OpInfo("where", lambda m, c, a, b: m.where(c, a, b),
           [S(B((3, 4)), F((3, 4)), F((3, 4))), S(B((3, 1)), F((4,)), F((3, 4))),
            S(B(()), F(()), F(())), S(B((3, 4)), F((3, 4)), 0.5)]),
    OpInfo("masked_fill", lambda m, a, mask: a.masked_fill(mask, -1.5),
           [S(F((3, 4)), B((3, 4))), S(F((3, 4)), B((4,))), S(F(()), B(()))]),
    OpInfo("clone", lambda m, a: a.clone(), unary_samples()),
    OpInfo("to_float64", lambda m, a: a.to(m.float64) * 2, unary_samples()),
    OpInfo("lt", lambda m, a, b: a < b, binary_samples(), differentiable=False),
    OpInfo("le", lambda m, a, b: a <= b, binary_samples(), differentiable=False),
    OpInfo("gt", lambda m, a, b: a > b, binary_samples(), differentiable=False),
    OpInfo("ge", lambda m, a, b: a >= b, binary_samples(), differentiable=False),
    OpInfo("eq", lambda m, a, b: a == b, binary_samples(), differentiable=False),
    OpInfo("ne", lambda m, a, b: a != b, binary_samples(), differentiable=False),
    OpInfo("logical_not", lambda m, a: ~a, [S(B((3, 4))), S(B(()))], differentiable=False),
    OpInfo("logical_and", lambda m, a, b: a & b, [S(B((3, 4)), B((4,)))], differentiable=False),
    OpInfo("inplace_chain", lambda m, a, b: (a * 1.0).add_(b).mul_(b).sub_(a).div_(b),
           [S(F((3, 4), 0.5, 2.0), F((3, 4), 0.5, 2.0)), S(F((3, 4), 0.5, 2.0), F((4,), 0.5, 2.0))]),
]

# ---- reductions and softmax ----------------------------------------------------
def reduce_samples() -> list[Sample]:
    return [
        S(F((2, 3, 4)), name="3d"),
        S(F((3, 4)), name="2d"),
        S(F(()), name="0d"),
        S(F((0, 3)), name="empty"),
    ]


def dim_samples(**kwargs: Any) -> list[Sample]:
    return [
        S(F((2, 3, 4)), 1, name="dim1", **kwargs),
        S(F((2, 3, 4)), -1, name="dim_neg", **kwargs),
        S(F((2, 3, 4)), (0, 2), name="dims_tuple", **kwargs),
        S(F((2, 3, 4)), 0, name="keepdim", keepdim=True, **kwargs),
        S(F(()), 0, name="0d", **kwargs),
        S(F((0, 3)), 1, name="empty", **kwargs),
    ]


def softmax_samples() -> list[Sample]:
    return [S(F((3, 5)), 1, name="last"), S(F((2, 3, 4)), 1, name="middle"),
            S(F((2, 3, 4)), 0, name="first"), S(F(()), 0, name="0d"),
            S(F((0, 4)), 1, name="empty")]


OPS += [
    OpInfo("sum", lambda m, a: a.sum(), reduce_samples()),
    OpInfo("sum_dim", lambda m, a, d, **k: a.sum(d, **k), dim_samples()),
    OpInfo("sum_dtype", lambda m, a: a.sum(dtype=m.float64), [S(F((3, 4)))]),
    OpInfo("mean", lambda m, a: a.mean(), reduce_samples()[:3]),
    OpInfo("mean_dim", lambda m, a, d, **k: a.mean(d, **k), dim_samples()[:5]),
    OpInfo("var", lambda m, a: a.var(), reduce_samples()[:2]),
    OpInfo("var_dim", lambda m, a, d, **k: a.var(d, **k), dim_samples()[:4]),
    OpInfo("var_correction0", lambda m, a, d, **k: a.var(d, correction=0, **k),
           dim_samples()[:4]),
    OpInfo("std", lambda m, a: a.std(), reduce_samples()[:2]),
    OpInfo("std_dim", lambda m, a, d, **k: a.std(d, unbiased=False, **k), dim_samples()[:4]),
    OpInfo("amax", lambda m, a: a.amax(), reduce_samples()[:3]),
    OpInfo("amax_dim", lambda m, a, d, **k: a.amax(d, **k), dim_samples()),
    OpInfo("amin_dim", lambda m, a, d, **k: a.amin(d, **k), dim_samples()),
    OpInfo("max", lambda m, a: a.max(), reduce_samples()[:3]),
    OpInfo("min", lambda m, a: a.min(), reduce_samples()[:3]),
    OpInfo("max_dim", lambda m, a, d, **k: tuple(a.max(d, **k)),
           [s for s in dim_samples()[:5] if s.name != "dims_tuple"]),
    OpInfo("min_dim", lambda m, a, d, **k: tuple(a.min(d, **k)),
           [s for s in dim_samples()[:5] if s.name != "dims_tuple"]),
    OpInfo("argmax", lambda m, a: a.argmax(), reduce_samples()[:3], differentiable=False),
    OpInfo("argmin_dim", lambda m, a, d, **k: a.argmin(d, **k),
           [s for s in dim_samples()[:5] if s.name != "dims_tuple"], differentiable=False),
    OpInfo("logsumexp", lambda m, a, d, **k: a.logsumexp(d, **k), dim_samples()),
    OpInfo("norm", lambda m, a: a.norm(), reduce_samples()),
    OpInfo("norm_dim", lambda m, a, d, **k: a.norm(dim=d, **k), dim_samples()[:4]),
    OpInfo("norm_p1", lambda m, a: a.norm(p=1, dim=1), [S(F((3, 4), away=(0.0,)))]),
    OpInfo("norm_p3", lambda m, a: a.norm(p=3), [S(F((3, 4), away=(0.0,)))]),
    OpInfo("norm_inf", lambda m, a: a.norm(p=float("inf"), dim=-1), [S(F((3, 4)))]),
    OpInfo("softmax", lambda m, a, d: a.softmax(d), softmax_samples()),
    OpInfo("log_softmax", lambda m, a, d: a.log_softmax(d), softmax_samples()),
    OpInfo("softmax_dtype", lambda m, a: a.softmax(-1, dtype=m.float64), [S(F((3, 4)))]),
]

# ---- linear algebra ------------------------------------------------------------
def matmul_samples() -> list[Sample]:
    pairs = [((4,), (4,)), ((3, 4), (4,)), ((4,), (4, 5)), ((3, 4), (4, 5)),
             ((2, 3, 4), (2, 4, 5)), ((2, 3, 4), (4, 5)), ((3, 4), (2, 4, 5)),
             ((2, 1, 3, 4), (5, 4, 6)), ((0, 4), (4, 5)), ((3, 0), (0, 5))]
    return [S(F(a), F(b), name=f"{a}@{b}") for a, b in pairs]


OPS += [
    OpInfo("matmul", lambda m, a, b: a @ b, matmul_samples()),
    OpInfo("matmul_method", lambda m, a, b: a.matmul(b), matmul_samples()[:4]),
    OpInfo("mm", lambda m, a, b: a.mm(b), [S(F((3, 4)), F((4, 5))), S(F((0, 4)), F((4, 2)))]),
    OpInfo("bmm", lambda m, a, b: a.bmm(b), [S(F((2, 3, 4)), F((2, 4, 5)))]),
    OpInfo("addmm", lambda m, i, a, b: i.addmm(a, b, beta=0.5, alpha=-2.0),
           [S(F((3, 5)), F((3, 4)), F((4, 5))), S(F((5,)), F((3, 4)), F((4, 5))),
            S(F(()), F((3, 4)), F((4, 5)))]),
    OpInfo("outer", lambda m, a, b: a.outer(b), [S(F((3,)), F((4,))), S(F((0,)), F((4,)))]),
]

# ---- shape, joining and indexing -----------------------------------------------


def _setitem(m: Any, x: Any) -> Any:
    y = x.clone()
    y[1:, 0] = 0.5
    y[[0], 1] = -0.5
    return y


OPS += [
    OpInfo("view", lambda m, x: x.view(-1, 1), [S(F((2, 3, 4))), S(F(()), name="0d")],
           noncontiguous=False),
    OpInfo("reshape", lambda m, x: x.reshape(-1, 2), [S(F((3, 4))), S(F((0, 4)), name="empty")]),
    OpInfo("flatten", lambda m, x: x.flatten(1), [S(F((2, 3, 4)))]),
    OpInfo("unflatten", lambda m, x: x.unflatten(1, (2, 2)), [S(F((3, 4)))]),
    OpInfo("squeeze", lambda m, x: x.squeeze(), [S(F((1, 3, 1)))]),
    OpInfo("unsqueeze", lambda m, x: x.unsqueeze(-1), [S(F((3, 4))), S(F(()), name="0d")]),
    OpInfo("transpose", lambda m, x: x.transpose(0, -1), [S(F((2, 3, 4)))]),
    OpInfo("permute", lambda m, x: x.permute(1, 2, 0), [S(F((2, 3, 4)))]),
    OpInfo("expand", lambda m, x: x.expand(2, 3, 4), [S(F((3, 1))), S(F(()), name="0d")]),
    OpInfo("narrow", lambda m, x: x.narrow(1, 1, 2), [S(F((3, 4)))]),
    OpInfo("mT", lambda m, x: x.mT, [S(F((2, 3, 4)))]),
    OpInfo("repeat", lambda m, x: x.repeat(2, 1, 3), [S(F((2, 3))), S(F((0, 3)), name="empty")]),
    OpInfo("repeat_0d", lambda m, x: x.repeat(3, 2), [S(F(()))]),
    OpInfo("cat", lambda m, a, b: m.cat([a, b], dim=1),
           [S(F((2, 3)), F((2, 2))), S(F((2, 0)), F((2, 2)), name="empty")]),
    OpInfo("cat_legacy_empty", lambda m, a, b: m.cat([a, b]), [S(F((2, 3)), F((0,)))]),
    OpInfo("stack", lambda m, a, b: m.stack([a, b], dim=-1),
           [S(F((2, 3)), F((2, 3))), S(F(()), F(()), name="0d")]),
    OpInfo("split", lambda m, x: x.split(2), [S(F((5, 3)))]),
    OpInfo("split_sizes", lambda m, x: m.split(x, [1, 3, 1], dim=1), [S(F((2, 5)))]),
    OpInfo("chunk", lambda m, x: x.chunk(3, 1), [S(F((2, 7)))]),
    OpInfo("tril", lambda m, x: x.tril(), [S(F((4, 5))), S(F((2, 3, 4)), name="batched")]),
    OpInfo("triu", lambda m, x: m.triu(x, diagonal=1), [S(F((4, 5))), S(F((0, 3)), name="empty")]),
    OpInfo("index_select", lambda m, x, i: x.index_select(0, i),
           [S(F((4, 3)), I((5,), high=4)), S(F((4, 3)), I((), high=4), name="0d_index")]),
    OpInfo("gather", lambda m, x, i: x.gather(1, i), [S(F((3, 4)), I((3, 6), high=4))]),
    OpInfo("getitem_basic", lambda m, x: x[1:, ::2, None, -1], [S(F((3, 4, 5)))]),
    OpInfo("getitem_index", lambda m, x, i: x[:, i], [S(F((3, 4)), I((2, 2), high=4))]),
    OpInfo("getitem_separated", lambda m, x, i: x[i, :, i], [S(F((4, 3, 4)), I((2,), high=4))]),
    OpInfo("getitem_mask", lambda m, x, b: x[b], [S(F((3, 4)), B((3, 4)))]),
    OpInfo("setitem", _setitem, [S(F((3, 4)))], differentiable=False),
]

# ---- extras ----------------------------------------------------------------------
_SCATTER_INDEX = [[0, 2], [1, 3], [3, 0]]  # no repeats within a row: one write per slot
OPS += [
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
    OpInfo("pow_tensor_", lambda m, a, b: (a * 1.0).pow_(b),
           [S(F((3, 4), 0.5, 2.0), F((3, 4), 0.5, 2.0)),
            S(F((3, 4), 0.5, 2.0), F((4,), 0.5, 2.0))]),
    OpInfo("clamp_min_method", lambda m, a: a.clamp_min(0.25), unary_samples(away=(0.25,))),
    OpInfo("clamp_max_fn", lambda m, a: m.clamp_max(a, 0.25), unary_samples(away=(0.25,))),
    OpInfo("clamp_min_", lambda m, a: (a * 1.0).clamp_min_(-0.25), unary_samples(away=(-0.25,))),
    OpInfo("clamp_max_", lambda m, a: (a * 1.0).clamp_max_(0.5), unary_samples(away=(0.5,))),
    OpInfo("isnan", lambda m, a: m.isnan(m.log(a)), unary_samples(), differentiable=False),
    OpInfo("isinf", lambda m, a: m.isinf(1.0 / (a > 0).double()), unary_samples(),
           differentiable=False),
    OpInfo("isfinite", lambda m, a: m.log(a).isfinite(), unary_samples(), differentiable=False),
    OpInfo("any", lambda m, a: (a > 1.5).any(), unary_samples(), differentiable=False),
    OpInfo("any_dim", lambda m, a, d, **k: (a > 1.0).any(d, **k),
           [s for s in dim_samples() if s.name != "dims_tuple"], differentiable=False),
    OpInfo("all", lambda m, a: m.all(a > -1.5), unary_samples(), differentiable=False),
    OpInfo("all_dim", lambda m, a, d, **k: (a > -1.0).all(dim=d, **k),
           [s for s in dim_samples() if s.name != "dims_tuple"], differentiable=False),
    OpInfo("isclose", lambda m, a, b: m.isclose(a, b, rtol=0.1, atol=0.2),
           binary_samples()[:7], differentiable=False),
    OpInfo("floor_divide", lambda m, a, b: a // b, binary_samples(0.5, 2.0),
           differentiable=False),
    OpInfo("floor_divide_neg", lambda m, a: m.floor_divide(a, -0.75), unary_samples(),
           differentiable=False),
    OpInfo("remainder", lambda m, a, b: a % b, binary_samples(0.5, 2.0)[:7]),
    OpInfo("remainder_scalar", lambda m, a: m.remainder(a, -0.75), unary_samples()),
    OpInfo("rremainder", lambda m, a: 2.5 % a, [S(F((3, 4), 0.5, 2.0))], differentiable=False),
    OpInfo("div_floor", lambda m, a, b: m.div(a, b, rounding_mode="floor"),
           binary_samples(0.5, 2.0)[:7]),
    OpInfo("div_trunc", lambda m, a: a.div(-0.75, rounding_mode="trunc"), unary_samples()),
    OpInfo("cumsum", lambda m, a, d: a.cumsum(d),
           [S(F((3, 4)), 1), S(F((2, 3, 4)), 0), S(F((2, 3, 4)), -2), S(F(()), 0),
            S(F((0, 3)), 1)]),
    OpInfo("cumsum_dtype", lambda m, a: m.cumsum(a, dim=0, dtype=m.float64), [S(F((3, 4)))]),
    OpInfo("sort", lambda m, a, d, **k: tuple(a.sort(d, **k)),
           [S(F((3, 5)), -1), S(F((2, 3, 4)), 1, descending=True), S(F(()), 0),
            S(F((0, 3)), 1)]),
    OpInfo("argsort", lambda m, a: m.argsort(a, dim=0, descending=True), [S(F((4, 3)))],
           differentiable=False),
    OpInfo("topk", lambda m, a, k, **kw: tuple(a.topk(k, **kw)),
           [S(F((3, 5)), 2), S(F((2, 5, 3)), 3, dim=1, largest=False), S(F((4,)), 4),
            S(F((3, 4)), 0)]),
    OpInfo("unbind", lambda m, a: a.unbind(1), [S(F((3, 4))), S(F((2, 3, 4)))]),
    OpInfo("masked_select", lambda m, a, mask: a.masked_select(mask),
           [S(F((3, 4)), B((3, 4))), S(F((3, 4)), B((4,))), S(F((4,)), B((3, 4))),
            S(F(()), B(()))]),
    OpInfo("nonzero", lambda m, a: m.nonzero(a > 0), unary_samples(), differentiable=False),
    OpInfo("nonzero_tuple", lambda m, a: (a > 0).nonzero(as_tuple=True), unary_samples(),
           differentiable=False),
    OpInfo("where_cond", lambda m, a: m.where(a > 0), unary_samples()[:2], differentiable=False),
    OpInfo("repeat_interleave", lambda m, a: a.repeat_interleave(2, dim=1),
           [S(F((3, 4))), S(F((2, 3, 4)))]),
    OpInfo("repeat_interleave_flat", lambda m, a: m.repeat_interleave(a, 3),
           [S(F((2, 3))), S(F(()))]),
    OpInfo("repeat_interleave_tensor",
           lambda m, a: a.repeat_interleave(m.tensor([1, 0, 2]), dim=0), [S(F((3, 4)))]),
    OpInfo("scatter", lambda m, a, b: a.scatter(1, m.tensor(_SCATTER_INDEX), b),
           [S(F((3, 5)), F((3, 2)))]),
    OpInfo("scatter_value", lambda m, a: m.scatter(a, 1, m.tensor(_SCATTER_INDEX), 0.5),
           [S(F((3, 4)))]),
    OpInfo("scatter_", lambda m, a, b: (a * 1.0).scatter_(1, m.tensor(_SCATTER_INDEX), b),
           [S(F((3, 5)), F((3, 2)))]),
    OpInfo("dot", lambda m, a, b: m.dot(a, b), [S(F((5,)), F((5,))), S(F((0,)), F((0,)))]),
    OpInfo("mv", lambda m, a, v: a.mv(v), [S(F((3, 4)), F((4,))), S(F((0, 4)), F((4,)))]),
    OpInfo("var_mean", lambda m, a, d, **k: m.var_mean(a, d, **k), dim_samples()[:4]),
    OpInfo("var_mean_all", lambda m, a: m.var_mean(a, correction=0), reduce_samples()[:3]),
    OpInfo("std_mean", lambda m, a, d, **k: m.std_mean(a, d, **k), dim_samples()[:4]),
]
