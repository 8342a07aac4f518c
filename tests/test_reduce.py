"""Reductions, softmax and log_softmax: values and gradients against torch, finite differences
in float64, non-contiguous / 0-d / empty inputs, named tuples, error paths."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from _torch_grad import grad_vs_torch


# ---- helpers ----------------------------------------------------------------------
def _np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def _layout(a: np.ndarray, layout: str) -> np.ndarray:
    """The same values as a contiguous array, a transposed view or a strided slice."""
    if layout == "contig" or a.ndim == 0:
        return a.copy()
    if layout == "transposed":
        return np.ascontiguousarray(a.T).T
    wide = np.zeros((*a.shape[:-1], a.shape[-1] * 2), dtype=a.dtype)
    wide[..., ::2] = a
    return wide[..., ::2]


def _leaf(lib: Any, a: np.ndarray, layout: str, grad: bool = True) -> Any:
    t = lib.from_numpy(_layout(a, layout))
    if grad and a.dtype.kind == "f":
        t.requires_grad_(True)
    return t


def _first(r: Any) -> Any:
    return r[0] if isinstance(r, tuple) else r


def compare(
    fn: Callable[..., Any],
    arrays: list[np.ndarray],
    layout: str = "contig",
    grad: bool = True,
    atol: float | None = None,
) -> None:
    """fn(lib, *tensors) in chainrule and torch: same values, dtypes and gradients."""
    torch = pytest.importorskip("torch")
    xs = [_leaf(cr, a, layout, grad) for a in arrays]
    ts = [_leaf(torch, a, layout, grad) for a in arrays]
    with warnings.catch_warnings():  # torch warns on var with N - correction <= 0
        warnings.simplefilter("ignore", UserWarning)
        y, yt = fn(cr, *xs), fn(torch, *ts)
    ys, yts = (list(y), list(yt)) if isinstance(yt, tuple) else ([y], [yt])
    f64 = all(a.dtype != np.float32 for a in arrays) and yts[0].dtype != torch.float32
    tol = {"atol": atol or (1e-10 if f64 else 1e-5), "rtol": 1e-9 if f64 else 1e-5}
    for g, w in zip(ys, yts, strict=True):
        assert tuple(g.shape) == tuple(w.shape)
        assert str(g.dtype).split(".")[-1] == str(w.dtype).split(".")[-1]
        np.testing.assert_allclose(_np(g), w.detach().numpy(), **tol)
    if not grad or not yts[0].requires_grad:
        return
    w = np.random.default_rng(1).standard_normal(tuple(yts[0].shape)).astype(arrays[0].dtype)
    (ys[0] * cr.from_numpy(w.copy())).sum().backward()
    (yts[0] * torch.from_numpy(w.copy())).sum().backward()
    for x, t in zip(xs, ts, strict=True):
        if t.grad is None:  # torch leaves no gradient where it is identically zero (norm p=0)
            assert x.grad is None or not _np(x.grad).any()
        else:
            np.testing.assert_allclose(_np(x.grad), t.grad.numpy(), **tol)


def fd_check(fn: Callable[..., Any], arrays: list[np.ndarray], eps: float = 1e-6) -> None:
    """Finite differences in float64 against backprop, through cr.autograd.gradcheck."""
    xs = tuple(cr.from_numpy(a.copy()).requires_grad_(True) for a in arrays)
    assert cr.autograd.gradcheck(lambda *t: _first(fn(*t)), xs, eps=eps)


RNG = np.random.default_rng(0)


def rand(*shape: int, dtype: Any = np.float64) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


LAYOUTS = ["contig", "transposed", "strided"]
DTYPES = [np.float64, np.float32]
DIMS = [None, 0, -1, 1, (0, 2), (-1, 0), (0, 1, 2)]


# ---- sum / mean / var / std ---------------------------------------------------------
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("dim", DIMS)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("op", ["sum", "mean", "var", "std", "amax", "amin", "logsumexp", "norm"])
def test_reductions_vs_torch(op: str, keepdim: bool, dim: Any, dtype: Any, layout: str) -> None:
    if dim is None and op == "logsumexp":
        dim = (0, 1, 2)
    if dim == (0, 1, 2) and op == "norm":
        dim = None  # torch.norm takes a 3-tuple dim for a matrix norm and rejects it
    if dim is None:
        if keepdim and op in ("sum", "mean", "norm"):
            fn = lambda m, x: getattr(x, op)(dim=None, keepdim=True)  # noqa: E731
        else:
            fn = lambda m, x: getattr(x, op)()  # noqa: E731
    else:
        fn = lambda m, x: getattr(x, op)(dim=dim, keepdim=keepdim)  # noqa: E731
    compare(fn, [rand(2, 3, 4, dtype=dtype)], layout)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
def test_large_sums_vs_torch(dtype: Any, layout: str) -> None:
    # Long runs take the blocked path; dim-0 sums take the column path (bias gradients).
    x = rand(300, 129, dtype=dtype)
    for dim in [None, 0, 1, (0, 1)]:
        compare(
            lambda m, t, d=dim: t.sum(d) if d is not None else t.sum(),
            [x],
            layout,
            atol=1e-3 if dtype == np.float32 else None,
        )
        compare(lambda m, t, d=dim: t.mean(d) if d is not None else t.mean(), [x], layout)
    big = rand(70000, dtype=dtype)
    compare(lambda m, t: t.sum(), [big], "contig", atol=1e-3)
    compare(lambda m, t: t.amax(), [big], "contig")


@pytest.mark.parametrize("shape", [(), (0,), (0, 3), (2, 0, 3)])
def test_zero_d_and_empty(shape: tuple[int, ...]) -> None:
    x = rand(*shape)
    compare(lambda m, t: t.sum(), [x])
    if len(shape) >= 1:
        compare(lambda m, t: t.sum(0), [x])
        compare(lambda m, t: t.mean(-1, keepdim=True), [x])
    compare(lambda m, t: t.mean(), [x])
    compare(lambda m, t: t.norm(), [x])
    if x.size:
        compare(lambda m, t: t.amax(), [x])
        compare(lambda m, t: t.max(), [x])
        compare(lambda m, t: t.argmax(), [x], grad=False)
        compare(lambda m, t: t.softmax(0), [x])
        compare(lambda m, t: t.log_softmax(-1), [x])
        compare(lambda m, t: t.max(0), [x])
        compare(lambda m, t: t.logsumexp(0), [x])
    if len(shape) == 2:
        compare(lambda m, t: t.amax(1), [x])  # reduced dim non-empty, output empty
        compare(lambda m, t: t.logsumexp(0), [x])  # empty rows give -inf
        compare(lambda m, t: t.var(0), [x])


def test_sum_dtypes() -> None:
    ints = np.arange(6, dtype=np.int64).reshape(2, 3)
    compare(lambda m, t: t.sum(), [ints], grad=False)
    compare(lambda m, t: t.sum(1, dtype=m.float32), [ints], grad=False)
    compare(lambda m, t: t.sum(dtype=m.float64), [rand(3, 4, dtype=np.float32)])
    compare(lambda m, t: t.sum(dtype=m.int64), [np.array([1.5, 2.7, -0.5])], grad=False)
    compare(lambda m, t: t.sum(), [np.array([True, False, True])], grad=False)
    compare(lambda m, t: t.mean(dtype=m.float32), [ints], grad=False)
    compare(lambda m, t: m.sum(t, dim=(0, 1), keepdim=True), [ints], grad=False)
    compare(lambda m, t: m.mean(t, 0), [rand(3, 4)])


def test_sum_node_names() -> None:
    x = cr.from_numpy(rand(2, 3)).requires_grad_(True)
    assert x.sum().grad_fn.name() == "SumBackward0"
    assert x.sum(0).grad_fn.name() == "SumBackward1"
    assert x.mean().grad_fn.name() == "MeanBackward0"
    assert x.mean(1).grad_fn.name() == "MeanBackward1"
    assert x.max(1).values.grad_fn.name() == "MaxBackward0"
    assert x.max(1).indices.grad_fn is None
    assert x.max().grad_fn.name() == "MaxBackward1"
    assert x.softmax(1).grad_fn.name() == "SoftmaxBackward0"
    assert x.log_softmax(1).grad_fn.name() == "LogSoftmaxBackward0"


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"correction": 0},
        {"correction": 2},
        {"unbiased": False},
        {"unbiased": True},
        {"correction": 2.5},
    ],
)
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_corrections(op: str, kwargs: dict[str, Any]) -> None:
    x = rand(3, 5)
    compare(lambda m, t: getattr(t, op)(**kwargs), [x])
    compare(lambda m, t: getattr(t, op)(1, keepdim=True, **kwargs), [x])
    compare(lambda m, t: getattr(m, op)(t, dim=(0, 1), **kwargs), [x])


def test_var_legacy_positional() -> None:
    x = rand(3, 5)
    compare(lambda m, t: t.var(1, False), [x])
    compare(lambda m, t: t.std(0, True, True), [x])
    compare(lambda m, t: t.var(False), [x])
    compare(lambda m, t: t.var(), [rand(1)])  # N - correction = 0: nan, as in torch


@pytest.mark.parametrize("n", [5, 3000])  # one short run; runs longer than a sub-block
@pytest.mark.parametrize("scale", [1e25, 1e33, 1e-22, 1e-30])
def test_var_std_norm_at_extreme_float32_magnitudes(scale: float, n: int) -> None:
    """float32 data whose squares overflow or vanish in float32: var, std and norm are
    float64's results rounded (std of 1e33s was inf, of 1e-30s 0; found by the op fuzz)."""
    x64 = RNG.standard_normal((2, n)) * scale
    x32 = x64.astype(np.float32)
    ref = x32.astype(np.float64)
    x = cr.from_numpy(x32)
    for dim in (None, 1):
        var = ref.var(axis=dim, ddof=1)
        for got, want in [
            (x.var(dim), var),
            (x.std(dim), np.sqrt(var)),
            (x.norm(dim=dim), np.sqrt((ref * ref).sum(axis=dim))),
            (cr.std_mean(x, dim)[0], np.sqrt(var)),
        ]:
            with np.errstate(over="ignore"):  # var of 1e25s is inf in float32, as it should be
                want32 = want.astype(np.float32)
            np.testing.assert_allclose(_np(got), want32, rtol=1e-5)
    # a column reduction (the strided path) and a transposed layout
    np.testing.assert_allclose(
        _np(x.T.std(0)), np.sqrt(ref.var(axis=1, ddof=1)).astype(np.float32), rtol=1e-5
    )


# ---- max / min ----------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dim", [0, 1, -1, 2])
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_dim(op: str, keepdim: bool, dim: int, layout: str, dtype: Any) -> None:
    compare(lambda m, t: getattr(t, op)(dim, keepdim), [rand(2, 3, 4, dtype=dtype)], layout)
    compare(lambda m, t: getattr(m, op)(t, dim=dim, keepdim=keepdim), [rand(2, 3, 4)], layout)


@pytest.mark.parametrize("op", ["argmax", "argmin"])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_argmax_argmin(op: str, layout: str) -> None:
    x = rand(3, 4, 5)
    for dim in [None, 0, 1, -1]:
        for keepdim in (False, True):
            compare(lambda m, t, d=dim, k=keepdim: getattr(t, op)(d, k), [x], layout, grad=False)
    compare(lambda m, t: getattr(m, op)(t), [np.arange(12, dtype=np.int64)], grad=False)


def test_max_ties_and_nan() -> None:
    x = np.array([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [5.0, np.nan, 1.0, np.nan]])
    x_no_nan = x[:2]
    for fn in [
        lambda m, t: t.max(1),
        lambda m, t: t.min(1),
        lambda m, t: t.argmax(1),
        lambda m, t: t.argmin(0),
        lambda m, t: t.amax(1),
        lambda m, t: t.amin(0),
    ]:
        compare(fn, [x], grad=False)
    # Ties: max()/amax split the gradient evenly; max(dim) gives it to the first index.
    for fn in [
        lambda m, t: t.max(),
        lambda m, t: t.amax(1),
        lambda m, t: t.max(1),
        lambda m, t: t.min(),
        lambda m, t: t.amin(0),
        lambda m, t: t.min(0),
        lambda m, t: t.norm(p=float("inf"), dim=1),
    ]:
        compare(fn, [x_no_nan])


def test_max_named_tuple() -> None:
    x = cr.from_numpy(np.array([[1.0, 5.0], [7.0, 2.0]]))
    r = x.max(1)
    values, indices = r
    assert type(r).__name__ == "max"
    assert type(cr.min(x, 0)).__name__ == "min"
    assert r.values is values
    assert r.indices is indices
    assert indices.dtype == cr.int64
    np.testing.assert_array_equal(indices.numpy(), [1, 0])
    np.testing.assert_array_equal(r[0].numpy(), [5.0, 7.0])
    assert isinstance(r, tuple)


def test_max_binary_and_int_bool() -> None:
    compare(lambda m, a, b: m.max(a, b), [rand(3, 4), rand(3, 4)])
    compare(lambda m, a, b: a.min(b), [rand(3, 4), rand(4)])
    compare(lambda m, t: t.max(), [np.array([3, -1, 7], dtype=np.int64)], grad=False)
    compare(lambda m, t: t.amax(0), [np.array([[3, -1], [0, 9]], dtype=np.int64)], grad=False)
    compare(lambda m, t: t.max(), [np.array([True, False])], grad=False)


# ---- logsumexp / norm ---------------------------------------------------------------
def test_logsumexp_stability() -> None:
    x = np.array([[1000.0, 1000.0, -1000.0], [-np.inf, -np.inf, -np.inf], [np.inf, 1.0, 2.0]])
    compare(lambda m, t: t.logsumexp(1), [x], grad=False)
    compare(lambda m, t: t.logsumexp(1, keepdim=True), [x[:1]])
    compare(lambda m, t: m.logsumexp(t, 0), [np.arange(3, dtype=np.int64)], grad=False)


@pytest.mark.parametrize("p", [2, 1, 3, 0.5, 1.5, float("inf"), -float("inf"), 0, "fro", -1])
@pytest.mark.parametrize("dim", [None, 0, (0, 1), -1])
def test_norm_p(p: Any, dim: Any) -> None:
    x = rand(3, 4)
    compare(lambda m, t: m.norm(t, p=p, dim=dim), [x])
    compare(lambda m, t: t.norm(p, dim, True), [x])


def test_norm_gradient_of_subnormal_and_large_values() -> None:
    """The p-norm's gradient in terms of |x| / norm: dy / norm overflowed for a subnormal
    norm (inf where torch gives 1; found by the op fuzz)."""
    for p in (2, 3, 1.5, 0.5):
        x = cr.tensor([1e-40, -2e-40, 0.0], requires_grad=True)
        x.norm(p=p).backward()
        ref = np.array([1e-40, -2e-40, 0.0], dtype=np.float32).astype(np.float64)
        n = (np.abs(ref) ** p).sum() ** (1 / p)
        with np.errstate(divide="ignore", invalid="ignore"):  # 0^(p-1), p < 1: masked
            want = np.where(ref == 0, 0.0, np.sign(ref) * np.abs(ref / n) ** (p - 1))
        np.testing.assert_allclose(_np(x.grad), want.astype(np.float32), rtol=1e-5)
    compare(lambda m, t: t.norm(p=3), [np.array([1e30, -2e30, 5.0], dtype=np.float64)])


def test_norm_zero_gradient() -> None:
    compare(lambda m, t: t.norm(), [np.zeros((2, 3))])
    compare(lambda m, t: t.norm(dim=1), [np.array([[0.0, 0.0], [3.0, 4.0]])])
    compare(lambda m, t: t.norm(dtype=m.float64), [rand(3, dtype=np.float32)])


# ---- softmax ------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("layout", LAYOUTS)
@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2])
@pytest.mark.parametrize("op", ["softmax", "log_softmax"])
def test_softmax_vs_torch(op: str, dim: int, layout: str, dtype: Any) -> None:
    compare(lambda m, t: getattr(t, op)(dim), [rand(3, 4, 70, dtype=dtype) * 5], layout)
    compare(lambda m, t: getattr(m, op)(t, dim), [rand(2, 5, 3, dtype=dtype)], layout)


def test_softmax_extremes_and_dtype() -> None:
    x = np.array([[1000.0, 0.0, -1000.0], [-np.inf, 0.0, 1.0], [5.0, 5.0, 5.0]])
    compare(lambda m, t: t.softmax(1), [x], grad=False)
    compare(lambda m, t: t.log_softmax(1), [x], grad=False)
    compare(lambda m, t: t.softmax(-1, dtype=m.float64), [rand(3, 4, dtype=np.float32)])
    compare(lambda m, t: m.log_softmax(t, 0, dtype=m.float32), [rand(3, 4)])
    compare(lambda m, t: t.softmax(0) * t.log_softmax(0), [rand(4, 3)])  # the engine sums both


def test_log_softmax_large_logits_reproducer() -> None:
    # issue #11: x - (max + log s) rounded log s to max's ulp (all of it at 1e7 in float32)
    torch = pytest.importorskip("torch")
    got = cr.log_softmax(cr.tensor([[1e7, 1e7 - 1, 1e7 - 2]]), 1).numpy()
    ref = torch.log_softmax(torch.tensor([[1e7, 1e7 - 1, 1e7 - 2]]), 1).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(got, [[-0.40760596, -1.40760596, -2.40760596]], rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("offset", [1e4, 1e7, -1e7])
@pytest.mark.parametrize(("shape", "dim"), [((4, 37), 1), ((37, 4), 0), ((3, 37, 5), 1)])
def test_softmax_family_large_offsets_vs_torch(
    shape: tuple, dim: int, offset: float, dtype: Any
) -> None:
    # rows and column chunks, against torch in the same dtype (logsumexp's gradient
    # exp(x - lse) inherits the rounding of lse in both)
    torch = pytest.importorskip("torch")
    tdt = torch.float32 if dtype == np.float32 else torch.float64
    rng = np.random.default_rng(7)
    x = (rng.standard_normal(shape) * 3 + offset).astype(dtype)
    dy = rng.standard_normal(shape).astype(dtype)
    tol = 2e-6 if dtype == np.float32 else 1e-12
    F, TF = cr.nn.functional, torch.nn.functional
    for fn, tfn in (
        (lambda t: cr.log_softmax(t, dim), lambda t: torch.log_softmax(t, dim)),
        (lambda t: F.log_softmax(t, dim=dim), lambda t: TF.log_softmax(t, dim=dim)),
        (lambda t: t.softmax(dim), lambda t: t.softmax(dim)),
        (lambda t: cr.logsumexp(t, dim), lambda t: torch.logsumexp(t, dim)),
    ):
        cx = cr.tensor(x, requires_grad=True)
        tx = torch.tensor(x, dtype=tdt, requires_grad=True)
        cy, ty = fn(cx), tfn(tx)
        np.testing.assert_allclose(_np(cy), ty.detach().numpy(), rtol=tol, atol=tol)
        g = dy if cy.shape == cx.shape else dy.sum(dim)
        cy.backward(cr.tensor(g))
        ty.backward(torch.tensor(g, dtype=tdt))
        np.testing.assert_allclose(_np(cx.grad), tx.grad.numpy(), rtol=5 * tol, atol=5 * tol)
    if dim == 1:  # cross-entropy: class indices (plain, smoothed and weighted) and probabilities
        t = rng.integers(0, shape[1], (shape[0], *shape[2:]))
        w = (rng.random(shape[1]) + 0.5).astype(dtype)
        p = rng.random(shape).astype(dtype)
        for target, tt, kw, tkw in (
            (cr.tensor(t), torch.tensor(t), {}, {}),
            (
                cr.tensor(t),
                torch.tensor(t),
                {"label_smoothing": 0.1, "weight": cr.tensor(w)},
                {"label_smoothing": 0.1, "weight": torch.tensor(w, dtype=tdt)},
            ),
            (cr.tensor(p), torch.tensor(p, dtype=tdt), {}, {}),
        ):
            cx = cr.tensor(x, requires_grad=True)
            tx = torch.tensor(x, dtype=tdt, requires_grad=True)
            cl = F.cross_entropy(cx, target, reduction="none", **kw)
            tl = TF.cross_entropy(tx, tt, reduction="none", **tkw)
            np.testing.assert_allclose(_np(cl), tl.detach().numpy(), rtol=tol, atol=tol)
            cl.sum().backward()
            tl.sum().backward()
            np.testing.assert_allclose(_np(cx.grad), tx.grad.numpy(), rtol=5 * tol, atol=5 * tol)


# ---- finite differences (float64, no torch needed) ---------------------------------------
FD_CASES = [
    ("sum", lambda x: x.sum((0, 2))),
    ("mean", lambda x: x.mean(1, keepdim=True)),
    ("var", lambda x: x.var(-1)),
    ("std", lambda x: x.std(correction=0)),
    ("amax", lambda x: x.amax((1, 2))),
    ("max_dim", lambda x: x.max(1)),
    ("min_all", lambda x: x.min()),
    ("logsumexp", lambda x: x.logsumexp(0)),
    ("norm2", lambda x: x.norm(dim=1)),
    ("norm3", lambda x: x.norm(p=3)),
    ("norm1", lambda x: x.norm(p=1, dim=(0, 1))),
    ("norm_half", lambda x: x.norm(p=0.5, dim=2)),
    ("softmax", lambda x: x.softmax(1)),
    ("log_softmax", lambda x: x.log_softmax(-1)),
    ("log_softmax0", lambda x: x.log_softmax(0)),
]


@pytest.mark.parametrize(("name", "fn"), FD_CASES, ids=[c[0] for c in FD_CASES])
def test_finite_differences(name: str, fn: Callable[..., Any]) -> None:
    fd_check(fn, [rand(2, 3, 4)])


# ---- determinism ---------------------------------------------------------------------
def test_thread_count_does_not_change_bits() -> None:
    x = cr.from_numpy(rand(200_001, dtype=np.float32))
    m = cr.from_numpy(rand(513, 300, dtype=np.float32))
    before = cr.get_num_threads()
    try:
        out = []
        for n in (1, 2):
            cr.set_num_threads(n)
            out.append(
                [
                    _np(x.sum()),
                    _np(m.sum(0)),
                    _np(m.sum(1)),
                    _np(m.var(0)),
                    _np(m.softmax(0)),
                    _np(x.norm()),
                ]
            )
    finally:
        cr.set_num_threads(before)
    for a, b in zip(*out, strict=True):
        np.testing.assert_array_equal(a, b)


# ---- errors --------------------------------------------------------------------------
def _t(*shape: int) -> Any:
    return cr.from_numpy(rand(*shape))


ERRORS = [
    (IndexError, "sum", lambda: _t(2, 3).sum(2)),
    (ValueError, "sum", lambda: _t(2, 3).sum((0, 0))),
    (TypeError, "sum", lambda: _t(2, 3).sum("a")),
    (RuntimeError, "mean", lambda: cr.from_numpy(np.arange(3)).mean()),
    (IndexError, "mean", lambda: _t(2, 3).mean(-3)),
    (RuntimeError, "var", lambda: cr.from_numpy(np.arange(3)).var()),
    (RuntimeError, "std", lambda: cr.from_numpy(np.arange(3)).std()),
    (TypeError, "var", lambda: _t(3).var(0, unbiased=True, correction=1)),
    (IndexError, "var", lambda: _t(3).var(1)),
    (RuntimeError, "max", lambda: _t(0, 3).max()),
    (RuntimeError, "min", lambda: _t(0).min()),
    (IndexError, "max", lambda: _t(0, 3).max(0)),
    (IndexError, "max", lambda: _t(3).max(1)),
    (TypeError, "max", lambda: _t(3).max("x")),
    (IndexError, "min", lambda: _t(2, 0).min(1)),
    (RuntimeError, "amax", lambda: _t(0, 3).amax()),
    (IndexError, "amax", lambda: _t(0, 3).amax(0)),
    (IndexError, "amin", lambda: _t(2, 3).amin(5)),
    (IndexError, "argmax", lambda: _t(0, 3).argmax()),
    (IndexError, "argmax", lambda: _t(0, 3).argmax(0)),
    (IndexError, "argmin", lambda: _t(3).argmin(1)),
    (RuntimeError, "argmax", lambda: cr.from_numpy(np.array([True])).argmax()),
    (IndexError, "logsumexp", lambda: _t(3).logsumexp(1)),
    (RuntimeError, "norm", lambda: cr.from_numpy(np.arange(3)).norm()),
    (RuntimeError, "norm", lambda: _t(0, 3).norm(p=float("inf"))),
    (RuntimeError, "norm", lambda: _t(0, 3).norm(p=float("inf"), dim=0)),
    (ValueError, "norm", lambda: _t(3).norm(p="nuc")),
    (IndexError, "softmax", lambda: _t(3).softmax(1)),
    (TypeError, "softmax", lambda: cr.from_numpy(np.arange(3)).softmax(0)),
    (IndexError, "log_softmax", lambda: _t(2, 3).log_softmax(-3)),
    (TypeError, "log_softmax", lambda: cr.from_numpy(np.arange(3)).log_softmax(0)),
]


@pytest.mark.parametrize(
    ("exc", "op", "fn"), ERRORS, ids=[f"{e[1]}-{i}" for i, e in enumerate(ERRORS)]
)
def test_errors(exc: type[Exception], op: str, fn: Callable[[], Any]) -> None:
    with pytest.raises(exc, match=op):
        fn()


def test_saved_tensor_modified_in_place() -> None:
    x = cr.from_numpy(rand(3, 4)).requires_grad_(True)
    y = x * 1.0
    s = y.softmax(1)
    s.mul_(2.0)
    with pytest.raises(RuntimeError, match="SoftmaxBackward0"):
        s.sum().backward()


RNG = np.random.default_rng(42)
A34 = RNG.normal(size=(3, 4))
A234 = RNG.normal(size=(2, 3, 4))


def test_var_mean_std_mean() -> None:
    torch = pytest.importorskip("torch")
    grad_vs_torch(lambda x: cr.var_mean(x), lambda x: torch.var_mean(x), A34)
    grad_vs_torch(
        lambda x: cr.var_mean(x, 1, keepdim=True),
        lambda x: torch.var_mean(x, 1, keepdim=True),
        A234,
    )
    grad_vs_torch(
        lambda x: cr.std_mean(x, (0, 2), correction=0),
        lambda x: torch.std_mean(x, (0, 2), correction=0),
        A234,
    )
    grad_vs_torch(
        lambda x: cr.std_mean(x, dim=1, unbiased=False),
        lambda x: torch.std_mean(x, dim=1, unbiased=False),
        A34,
    )
    grad_vs_torch(lambda x: cr.var_mean(x)[1:], lambda x: torch.var_mean(x)[1:], A34)
    # std 0 (equal values): std's gradient is 0 there, as torch, not NaN (found by the op fuzz)
    grad_vs_torch(
        lambda x: cr.std_mean(x, 0),
        lambda x: torch.std_mean(x, 0),
        np.array([[1.0, 2.0, 3.0], [1.0, 5.0, 3.0]]),
    )
    r = cr.var_mean(cr.tensor([1.0, 2.0, 3.0]))
    assert isinstance(r, tuple)
    assert r[0].item() == 1.0
    assert r[1].item() == 2.0
    assert cr.autograd.gradcheck(lambda x: cr.std_mean(x, 1), (cr.tensor(A34, requires_grad=True),))
    with pytest.raises(TypeError, match="var_mean"):
        cr.var_mean(cr.tensor([1, 2]))
    with pytest.raises(IndexError, match="std_mean"):
        cr.std_mean(cr.ones(2), 1)
