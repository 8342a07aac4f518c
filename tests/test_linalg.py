"""Matrix products: every matmul shape case (1-D, 2-D, batched with broadcast batch dims,
transposed and strided operands), mm, bmm, addmm, outer; values and gradients against
torch, finite differences in float64, thread-count determinism and error paths."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from _torch_grad import grad_vs_torch

RNG = np.random.default_rng(0)


def rand(*shape: int, dtype: Any = np.float64) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


def _np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def _layout(a: np.ndarray, layout: str) -> np.ndarray:
    """The same values contiguous, as a transposed view of the last two dims (what a.mT
    gives), or as a strided slice."""
    if layout == "contig" or a.ndim == 0:
        return a.copy()
    if layout == "transposed" and a.ndim >= 2:
        return np.ascontiguousarray(np.swapaxes(a, -1, -2)).swapaxes(-1, -2)
    wide = np.zeros((*a.shape[:-1], a.shape[-1] * 2), dtype=a.dtype)
    wide[..., ::2] = a
    return wide[..., ::2]


def compare(
    fn: Callable[..., Any],
    arrays: list[np.ndarray],
    layouts: tuple[str, ...] = (),
    grad: bool = True,
) -> None:
    torch = pytest.importorskip("torch")
    layouts = layouts or ("contig",) * len(arrays)
    f64 = all(a.dtype == np.float64 for a in arrays)
    tol = {"atol": 1e-10, "rtol": 1e-9} if f64 else {"atol": 1e-4, "rtol": 1e-4}
    xs, ts = [], []
    for a, lay in zip(arrays, layouts, strict=True):
        x, t = cr.from_numpy(_layout(a, lay)), torch.from_numpy(_layout(a, lay))
        if grad and a.dtype.kind == "f":
            x.requires_grad_(True)
            t.requires_grad_(True)
        xs.append(x)
        ts.append(t)
    y, yt = fn(cr, *xs), fn(torch, *ts)
    assert tuple(y.shape) == tuple(yt.shape)
    assert str(y.dtype).split(".")[-1] == str(yt.dtype).split(".")[-1]
    np.testing.assert_allclose(_np(y), yt.detach().numpy(), **tol)
    if grad and yt.requires_grad:
        if yt.grad_fn.name() in REAL_NODES:  # torch's matmul is composite for N-D operands
            assert y.grad_fn.name() == yt.grad_fn.name()
        w = np.random.default_rng(1).standard_normal(tuple(yt.shape)).astype(arrays[0].dtype)
        y.backward(cr.from_numpy(w.copy()))
        yt.backward(torch.from_numpy(w.copy()))
        for x, t in zip(xs, ts, strict=True):
            np.testing.assert_allclose(_np(x.grad), t.grad.numpy(), **tol)


REAL_NODES = {
    "MmBackward0",
    "DotBackward0",
    "MvBackward0",
    "BmmBackward0",
    "AddmmBackward0",
    "MulBackward0",
}

MATMUL_SHAPES = [
    ((4,), (4,)),
    ((3, 4), (4,)),
    ((4,), (4, 5)),
    ((3, 4), (4, 5)),
    ((2, 3, 4), (2, 4, 5)),
    ((2, 3, 4), (4, 5)),
    ((3, 4), (2, 4, 5)),
    ((2, 3, 4), (4,)),
    ((4,), (2, 4, 5)),
    ((2, 1, 3, 4), (5, 4, 6)),
    ((1, 3, 4), (2, 4, 5)),
    ((2, 2, 3, 4), (2, 1, 4, 5)),
    ((0, 4), (4, 5)),
    ((3, 0), (0, 5)),
    ((2, 3, 0), (0, 2)),
    ((0, 3, 4), (4, 2)),
    ((1, 1), (1, 1)),
    ((70, 300), (300, 130)),  # several K blocks and N blocks, ragged edges
    ((5, 70, 33), (33, 9)),  # batch folded into rows
]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize(("sa", "sb"), MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
@pytest.mark.parametrize("layout", ["contig", "transposed", "strided"])
def test_matmul_shapes(sa: tuple[int, ...], sb: tuple[int, ...], dtype: Any, layout: str) -> None:
    a, b = rand(*sa, dtype=dtype), rand(*sb, dtype=dtype)
    compare(lambda m, x, y: x @ y, [a, b], (layout, layout))
    compare(lambda m, x, y: m.matmul(x, y), [a, b], ("contig", layout))


@pytest.mark.parametrize("layout_a", ["contig", "transposed", "strided"])
@pytest.mark.parametrize("layout_b", ["contig", "transposed", "strided"])
def test_mm_layouts(layout_a: str, layout_b: str) -> None:
    compare(lambda m, x, y: m.mm(x, y), [rand(7, 10), rand(10, 9)], (layout_a, layout_b))
    compare(
        lambda m, x, y: x.mm(y),
        [rand(7, 10, dtype=np.float32), rand(10, 9, dtype=np.float32)],
        (layout_a, layout_b),
    )


def test_transposed_view_is_read_in_place() -> None:
    base = rand(6, 4)
    at = cr.from_numpy(base).requires_grad_(True)  # a.mT via a NumPy view: no copy, strides (1, 4)
    a_t = cr.from_numpy(base.T)
    assert not a_t.is_contiguous()
    b = cr.from_numpy(rand(6, 5))
    np.testing.assert_allclose(_np(a_t @ b), base.T @ _np(b), atol=1e-12)
    (at.sum() * 0 + (cr.from_numpy(base.T) @ b).sum()).backward()
    assert at.grad is not None


def test_bmm_and_batched_grads() -> None:
    compare(lambda m, x, y: m.bmm(x, y), [rand(3, 4, 5), rand(3, 5, 2)])
    compare(lambda m, x, y: x.bmm(y), [rand(3, 4, 5), rand(3, 5, 2)], ("transposed", "strided"))
    compare(lambda m, x, y: m.bmm(x, y), [rand(0, 4, 5), rand(0, 5, 2)])
    # Many small matrices: threads go over the batch.
    compare(
        lambda m, x, y: x @ y,
        [rand(300, 8, 8, dtype=np.float32), rand(300, 8, 8, dtype=np.float32)],
    )


@pytest.mark.parametrize("beta", [1.0, 0.0, 0.5])
@pytest.mark.parametrize("alpha", [1.0, -2.0])
@pytest.mark.parametrize("input_shape", [(3, 5), (5,), (1, 5), (3, 1), ()])
def test_addmm(beta: float, alpha: float, input_shape: tuple[int, ...]) -> None:
    arrays = [rand(*input_shape), rand(3, 4), rand(4, 5)]
    compare(lambda m, i, x, y: m.addmm(i, x, y, beta=beta, alpha=alpha), arrays)
    compare(
        lambda m, i, x, y: i.addmm(x, y, beta=beta, alpha=alpha),
        arrays,
        ("contig", "transposed", "strided"),
    )


def test_addmm_beta_zero_ignores_nan() -> None:
    compare(
        lambda m, i, x, y: m.addmm(i, x, y, beta=0.0),
        [np.full((2, 3), np.nan), rand(2, 4), rand(4, 3)],
        grad=False,
    )


def test_outer() -> None:
    compare(lambda m, x, y: m.outer(x, y), [rand(3), rand(4)])
    compare(lambda m, x, y: x.outer(y), [rand(3), rand(0)])
    compare(lambda m, x, y: m.outer(x, y), [rand(5), rand(2)], ("strided", "strided"))


def test_int64_matmul() -> None:
    a = RNG.integers(-5, 5, size=(3, 4)).astype(np.int64)
    b = RNG.integers(-5, 5, size=(4, 2)).astype(np.int64)
    compare(lambda m, x, y: x @ y, [a, b], grad=False)
    compare(lambda m, x, y: x @ y, [a[0], b[:, 0]], grad=False)


@pytest.mark.parametrize(("beta", "alpha"), [(0.5, -2.0), (1.5, -2.5), (-0.9, 3.0), (2.0, 0.4)])
def test_int64_addmm_truncates_scales(beta: float, alpha: float) -> None:
    """Integer addmm takes beta and alpha truncated toward zero, as torch (beta=0.5 drops the
    input; it was scaled in floating point and rounded after; found by the op fuzz)."""
    i = RNG.integers(-5, 5, size=(3, 2)).astype(np.int64)
    a = RNG.integers(-5, 5, size=(3, 4)).astype(np.int64)
    b = RNG.integers(-5, 5, size=(4, 2)).astype(np.int64)
    compare(lambda m, x, y, z: x.addmm(y, z, beta=beta, alpha=alpha), [i, a, b], grad=False)


def test_rmatmul_and_not_implemented() -> None:
    a = cr.from_numpy(rand(2, 3))
    with pytest.raises(TypeError):
        a @ "x"
    assert a.__rmatmul__(cr.from_numpy(rand(4, 2))).shape == (4, 3)


# ---- finite differences (float64) -------------------------------------------------------
def fd_check(fn: Callable[..., Any], arrays: list[np.ndarray], eps: float = 1e-6) -> None:
    """Finite differences in float64 against backprop, through cr.autograd.gradcheck."""
    xs = tuple(cr.from_numpy(a.copy()).requires_grad_(True) for a in arrays)
    assert cr.autograd.gradcheck(lambda *t: fn(*t), xs, eps=eps)


FD = [
    ("dot", lambda a, b: a @ b, [(3,), (3,)]),
    ("mv", lambda a, b: a @ b, [(2, 3), (3,)]),
    ("vm", lambda a, b: a @ b, [(3,), (3, 2)]),
    ("mm", lambda a, b: cr.mm(a, b), [(2, 3), (3, 2)]),
    ("bcast", lambda a, b: a @ b, [(2, 1, 2, 3), (2, 3, 2)]),
    ("fold", lambda a, b: a @ b, [(2, 2, 3), (3, 2)]),
    ("bmm", lambda a, b: cr.bmm(a, b), [(2, 2, 3), (2, 3, 2)]),
    ("addmm", lambda i, a, b: cr.addmm(i, a, b, beta=0.5, alpha=2.0), [(2,), (2, 3), (3, 2)]),
    ("outer", lambda a, b: cr.outer(a, b), [(3,), (2,)]),
]


@pytest.mark.parametrize(("name", "fn", "shapes"), FD, ids=[f[0] for f in FD])
def test_finite_differences(
    name: str, fn: Callable[..., Any], shapes: list[tuple[int, ...]]
) -> None:
    fd_check(fn, [rand(*s) for s in shapes])


def test_thread_count_does_not_change_bits() -> None:
    a = cr.from_numpy(rand(130, 300, dtype=np.float32))
    b = cr.from_numpy(rand(300, 270, dtype=np.float32))
    before = cr.get_num_threads()
    try:
        out = []
        for n in (1, 2):
            cr.set_num_threads(n)
            out.append(_np(a @ b))
    finally:
        cr.set_num_threads(before)
    np.testing.assert_array_equal(out[0], out[1])


# ---- errors ---------------------------------------------------------------------------------
def _t(*shape: int, dtype: Any = np.float32) -> Any:
    return cr.from_numpy(rand(*shape, dtype=dtype))


ERRORS = [
    (
        ValueError,
        r"matmul: shapes \(2, 3\) and \(4, 5\) cannot be multiplied \(3 != 4\)",
        lambda: _t(2, 3) @ _t(4, 5),
    ),
    (ValueError, "matmul", lambda: _t(3) @ _t(4)),
    (ValueError, "matmul", lambda: _t(2, 3) @ _t(4)),
    (ValueError, "matmul", lambda: _t(2, 2, 3) @ _t(3, 3, 4)),
    (RuntimeError, "matmul.*at least 1D", lambda: cr.matmul(_t(), _t(3))),
    (
        RuntimeError,
        "matmul: expected m1 and m2 to have the same dtype",
        lambda: _t(2, 3) @ _t(3, 2, dtype=np.float64),
    ),
    (RuntimeError, "matmul", lambda: _t(2, 3) @ cr.from_numpy(np.ones((3, 2), dtype=np.int64))),
    (
        TypeError,
        "matmul",
        lambda: cr.from_numpy(np.ones((2, 2), bool)) @ cr.from_numpy(np.ones((2, 2), bool)),
    ),
    (RuntimeError, "mm", lambda: cr.mm(_t(3), _t(3, 3))),
    (RuntimeError, "mm", lambda: cr.mm(_t(3, 3), _t(3, 3, 1))),
    (
        ValueError,
        r"mm: mat1 and mat2 shapes cannot be multiplied \(2x3 and 4x5\)",
        lambda: cr.mm(_t(2, 3), _t(4, 5)),
    ),
    (RuntimeError, "mm", lambda: cr.mm(_t(2, 3), _t(3, 2, dtype=np.float64))),
    (RuntimeError, "bmm", lambda: cr.bmm(_t(2, 3), _t(2, 3, 3))),
    (RuntimeError, "bmm", lambda: cr.bmm(_t(2, 3, 3), _t(3, 3))),
    (ValueError, "bmm", lambda: cr.bmm(_t(2, 3, 3), _t(3, 3, 3))),
    (ValueError, "bmm", lambda: cr.bmm(_t(2, 3, 4), _t(2, 3, 3))),
    (RuntimeError, "bmm", lambda: cr.bmm(_t(2, 3, 3), _t(2, 3, 3, dtype=np.float64))),
    (RuntimeError, "addmm", lambda: cr.addmm(_t(2, 2), _t(2), _t(2, 2))),
    (ValueError, "addmm", lambda: cr.addmm(_t(2, 2), _t(2, 3), _t(2, 2))),
    (ValueError, "addmm", lambda: cr.addmm(_t(3, 2), _t(2, 3), _t(3, 2))),
    (RuntimeError, "addmm", lambda: cr.addmm(_t(2, 2, dtype=np.float64), _t(2, 3), _t(3, 2))),
    (RuntimeError, "outer", lambda: cr.outer(_t(2, 2), _t(2))),
    (RuntimeError, "outer", lambda: cr.outer(_t(2), _t())),
]


@pytest.mark.parametrize(("exc", "match", "fn"), ERRORS, ids=[str(i) for i in range(len(ERRORS))])
def test_errors(exc: type[Exception], match: str, fn: Callable[[], Any]) -> None:
    with pytest.raises(exc, match=match):
        fn()


RNG = np.random.default_rng(42)
A34 = RNG.normal(size=(3, 4))
A234 = RNG.normal(size=(2, 3, 4))


def test_dot_mv() -> None:
    torch = pytest.importorskip("torch")
    v, w = RNG.normal(size=4), RNG.normal(size=4)
    grad_vs_torch(lambda a, b: cr.dot(a, b), lambda a, b: torch.dot(a, b), v, w)
    grad_vs_torch(lambda m, b: m.mv(b), lambda m, b: m.mv(b), A34, w)
    assert cr.dot(cr.tensor([1, 2]), cr.tensor([3, 4])).item() == 11
    with pytest.raises(ValueError, match="dot"):
        cr.dot(cr.ones(2, 2), cr.ones(2))
    with pytest.raises(ValueError, match="dot"):
        cr.dot(cr.ones(2), cr.ones(3))
    with pytest.raises(TypeError, match="dot"):
        cr.dot(cr.ones(2), cr.ones(2, dtype=cr.float64))
    with pytest.raises(ValueError, match="mv"):
        cr.mv(cr.ones(2, 3), cr.ones(2))
    with pytest.raises(ValueError, match="mv"):
        cr.mv(cr.ones(3), cr.ones(3))
