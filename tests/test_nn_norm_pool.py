"""LayerNorm, BatchNorm1d/2d and the 2-D pools against torch: outputs, input and parameter
gradients, running statistics over several train steps, eval mode; gradcheck; errors."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

torch = pytest.importorskip("torch")

DTYPES = [("float32", 1e-5), ("float64", 1e-10)]


def _pair(a: np.ndarray, dtype: str) -> tuple[Any, Any]:
    a = a.astype(dtype)
    c = cr.tensor(a)
    c.requires_grad_(True)
    t = torch.tensor(a, requires_grad=True)
    return c, t


def _np(t: Any) -> np.ndarray:
    return t.detach().numpy() if isinstance(t, torch.Tensor) else np.asarray(t.detach().numpy())


def _copy_state(cm: Any, tm: Any) -> None:
    sd = {k: cr.tensor(v.detach().numpy().copy()) for k, v in tm.state_dict().items()}
    cm.load_state_dict(sd)


def _compare(
    cm: Any, tm: Any, shape: tuple[int, ...], dtype: str, tol: float, steps: int = 1
) -> None:
    rng = np.random.default_rng(0)
    for _ in range(steps):
        xc, xt = _pair(rng.standard_normal(shape) * 2 + 0.5, dtype)
        yc, yt = cm(xc), tm(xt)
        np.testing.assert_allclose(_np(yc), _np(yt), atol=tol * 10, rtol=tol * 10)
        w = rng.standard_normal(yt.shape).astype(dtype)
        (yc * cr.tensor(w)).sum().backward()
        (yt * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(_np(xc.grad), _np(xt.grad), atol=tol * 100, rtol=tol * 100)
    for (nc, pc), (nt, pt) in zip(cm.named_parameters(), tm.named_parameters()):
        assert nc == nt
        np.testing.assert_allclose(_np(pc.grad), _np(pt.grad), atol=tol * 100, rtol=tol * 100)
    for (nc, bc), (nt, bt) in zip(cm.named_buffers(), tm.named_buffers()):
        assert nc == nt
        np.testing.assert_allclose(_np(bc), _np(bt), atol=tol * 10, rtol=tol * 10)


def _mods(name: str, dtype: str, *args: Any, **kw: Any) -> tuple[Any, Any]:
    tm = getattr(torch.nn, name)(*args, **kw).to(getattr(torch, dtype))
    cm = getattr(nn, name)(*args, **kw, dtype=getattr(cr, dtype))
    return cm, tm


# ---- LayerNorm ------------------------------------------------------------------------------
@pytest.mark.parametrize(("dtype", "tol"), DTYPES)
@pytest.mark.parametrize(
    ("shape", "ns", "kw"),
    [
        ((4, 6), 6, {}),
        ((2, 3, 4, 5), (4, 5), {}),
        ((3, 5), 5, {"bias": False}),
        ((3, 5), [5], {"elementwise_affine": False}),
        ((2, 3, 8), 8, {"eps": 1e-3}),
    ],
)
def test_layer_norm_module(shape: Any, ns: Any, kw: Any, dtype: str, tol: float) -> None:
    cm, tm = _mods("LayerNorm", dtype, ns, **kw)
    with torch.no_grad():
        for p in tm.parameters():
            p.uniform_(-1.5, 1.5)
    _copy_state(cm, tm)
    _compare(cm, tm, shape, dtype, tol)


def test_layer_norm_node_and_noncontiguous() -> None:
    a = np.random.default_rng(1).standard_normal((5, 4))
    xc, xt = _pair(a, "float64")
    yc = F.layer_norm(xc.t(), (5,))
    yt = torch.nn.functional.layer_norm(xt.t(), (5,))
    assert yc.grad_fn.name() == "NativeLayerNormBackward0"
    np.testing.assert_allclose(_np(yc), _np(yt), atol=1e-12)


def test_layer_norm_gradcheck() -> None:
    rng = np.random.default_rng(2)
    x = cr.tensor(rng.standard_normal((2, 3, 4)))
    w = cr.tensor(rng.standard_normal((3, 4)))
    b = cr.tensor(rng.standard_normal((3, 4)))
    for t in (x, w, b):
        t.requires_grad_(True)
    assert cr.autograd.gradcheck(lambda x, w, b: F.layer_norm(x, (3, 4), w, b), (x, w, b))


def test_layer_norm_errors() -> None:
    with pytest.raises(RuntimeError, match="layer_norm"):
        F.layer_norm(cr.randn(3, 4), (5,))
    with pytest.raises(RuntimeError, match="layer_norm"):
        F.layer_norm(cr.randn(3, 4), (4,), cr.randn(3))
    with pytest.raises(RuntimeError, match="layer_norm"):
        nn.LayerNorm(7)(cr.randn(2, 4))


# ---- BatchNorm ------------------------------------------------------------------------------
@pytest.mark.parametrize(("dtype", "tol"), DTYPES)
@pytest.mark.parametrize(
    ("name", "shape", "kw"),
    [
        ("BatchNorm1d", (8, 3), {}),
        ("BatchNorm1d", (4, 3, 5), {"momentum": 0.3}),
        ("BatchNorm2d", (4, 3, 5, 6), {}),
        ("BatchNorm2d", (2, 3, 4, 4), {"momentum": None}),
        ("BatchNorm2d", (2, 3, 4, 4), {"affine": False}),
        ("BatchNorm2d", (2, 3, 4, 4), {"track_running_stats": False}),
        ("BatchNorm1d", (6, 4), {"eps": 1e-3, "affine": False, "track_running_stats": False}),
    ],
)
def test_batch_norm_module(name: str, shape: Any, kw: Any, dtype: str, tol: float) -> None:
    cm, tm = _mods(name, dtype, shape[1], **kw)
    with torch.no_grad():
        for p in tm.parameters():
            p.uniform_(-1.5, 1.5)
    _copy_state(cm, tm)
    _compare(cm, tm, shape, dtype, tol, steps=3)  # train: running stats after 3 steps
    assert list(cm.state_dict()) == list(tm.state_dict())
    cm.eval()
    tm.eval()
    for p in list(cm.parameters()) + list(tm.parameters()):
        p.grad = None
    _compare(cm, tm, shape, dtype, tol)


def test_batch_norm_state_dict_and_node() -> None:
    m = nn.BatchNorm2d(3)
    assert list(m.state_dict()) == [
        "weight",
        "bias",
        "running_mean",
        "running_var",
        "num_batches_tracked",
    ]
    x = cr.randn(2, 3, 2, 2)
    x.requires_grad_(True)
    y = m(x)
    assert y.grad_fn.name() == "NativeBatchNormBackward0"
    assert int(m.num_batches_tracked.item()) == 1


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(training: bool) -> None:
    rng = np.random.default_rng(3)
    x = cr.tensor(rng.standard_normal((3, 2, 4)))
    w = cr.tensor(rng.standard_normal(2))
    b = cr.tensor(rng.standard_normal(2))
    rm = cr.tensor(rng.standard_normal(2))
    rv = cr.tensor(rng.uniform(0.5, 2.0, 2))
    for t in (x, w, b):
        t.requires_grad_(True)

    def fn(x: Any, w: Any, b: Any) -> Any:
        if training:
            return F.batch_norm(x, None, None, w, b, training=True)
        return F.batch_norm(x, rm, rv, w, b, training=False)

    assert cr.autograd.gradcheck(fn, (x, w, b))


def test_batch_norm_eval_gradient_far_from_running_mean() -> None:
    """Eval mode: dx = dy * w * invstd even where (x - running_mean) * invstd overflows to -inf
    (dx was NaN from inf * 0; found by the op fuzz)."""
    torch = pytest.importorskip("torch")
    grads = []
    for lib in (cr, torch):
        x = lib.tensor([[[0.5]], [[-0.9]]], requires_grad=True)
        w = lib.tensor([1.5], requires_grad=True)
        y = lib.nn.functional.batch_norm(
            x, lib.tensor([3.4e38]), lib.tensor([0.5]), w, training=False
        )
        y.backward(lib.ones(2, 1, 1))
        grads.append((x.grad.numpy(), w.grad.numpy()))
    for g, t in zip(grads[0], grads[1]):
        np.testing.assert_allclose(g, t, rtol=1e-6)


def test_batch_norm_train_gradient_with_extreme_weight() -> None:
    """w * invstd beyond float32's range while dx is not: dx was inf (found by the op fuzz);
    compared with float64."""
    x64 = np.array([[0.5478], [-0.9209], [0.25]])
    dy = np.array([[1.0], [-0.5], [0.25]])
    got, want = [], []
    for dt, out in ((cr.float32, got), (cr.float64, want)):
        x = cr.tensor(x64, dtype=dt, requires_grad=True)
        w = cr.tensor([3.4e38], dtype=dt)
        F.batch_norm(x, None, None, w, training=True).backward(cr.tensor(dy, dtype=dt))
        out.append(x.grad.numpy().astype(np.float64))
    assert np.isfinite(got[0]).all()
    np.testing.assert_allclose(got[0], want[0], rtol=1e-5)


def test_batch_norm_train_with_overflowing_variance() -> None:
    """Deviations whose squares overflow float64: var is inf, invstd 0, y = bias, as torch
    (inf - inf made it NaN; found by the op fuzz)."""
    torch = pytest.importorskip("torch")
    x = np.array([[1e300], [-0.92], [3.0]])
    ys = [
        lib.nn.functional.batch_norm(
            lib.tensor(x),
            None,
            None,
            lib.tensor([-1.9], dtype=d),
            lib.tensor([1.25], dtype=d),
            training=True,
        ).numpy()
        for lib, d in ((cr, cr.float64), (torch, torch.float64))
    ]
    np.testing.assert_array_equal(ys[0], ys[1])


def test_batch_norm_errors() -> None:
    with pytest.raises(ValueError, match="BatchNorm2d"):
        nn.BatchNorm2d(3)(cr.randn(2, 3, 4))
    with pytest.raises(ValueError, match="BatchNorm1d"):
        nn.BatchNorm1d(3)(cr.randn(2, 4))
    with pytest.raises(ValueError, match="batch_norm"):
        F.batch_norm(cr.randn(1, 3), None, None, training=True)
    with pytest.raises(RuntimeError, match="batch_norm"):
        F.batch_norm(cr.randn(2, 3), cr.zeros(4), cr.ones(4))
    with pytest.raises(RuntimeError, match="batch_norm"):
        F.batch_norm(cr.randn(2, 3), None, None, training=False)


# ---- pooling --------------------------------------------------------------------------------
POOLS = [
    ("MaxPool2d", (2,), {}),
    ("MaxPool2d", (3,), {"stride": 2, "padding": 1}),
    ("MaxPool2d", ((3, 2),), {"stride": (2, 1), "padding": (1, 0), "ceil_mode": True}),
    ("MaxPool2d", (2,), {"stride": 1, "padding": 1, "dilation": 2}),
    ("AvgPool2d", (2,), {}),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1}),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "count_include_pad": False}),
    ("AvgPool2d", (3,), {"stride": 2, "padding": 1, "ceil_mode": True}),
    ("AvgPool2d", ((2, 3),), {"divisor_override": 5}),
    ("AdaptiveAvgPool2d", (1,), {}),
    ("AdaptiveAvgPool2d", ((3, 4),), {}),
    ("AdaptiveAvgPool2d", ((None, 2),), {}),
]


@pytest.mark.parametrize(("dtype", "tol"), DTYPES)
@pytest.mark.parametrize("shape", [(2, 3, 7, 6), (3, 5, 5)])
@pytest.mark.parametrize(("name", "args", "kw"), POOLS)
def test_pool_module(name: str, args: Any, kw: Any, shape: Any, dtype: str, tol: float) -> None:
    cm = getattr(nn, name)(*args, **kw)
    tm = getattr(torch.nn, name)(*args, **kw)
    _compare(cm, tm, shape, dtype, tol)


def test_pool_nodes_and_indices() -> None:
    x = cr.randn(2, 3, 6, 6)
    x.requires_grad_(True)
    y, i = F.max_pool2d(x, 3, 2, 1, return_indices=True)
    _yt, it = torch.nn.functional.max_pool2d(
        torch.tensor(x.detach().numpy()), 3, 2, 1, return_indices=True
    )
    np.testing.assert_array_equal(i.numpy(), it.numpy())
    assert y.grad_fn.name() == "MaxPool2DWithIndicesBackward0"
    assert F.avg_pool2d(x, 2).grad_fn.name() == "AvgPool2DBackward0"
    assert F.adaptive_avg_pool2d(x, 2).grad_fn.name() == "AdaptiveAvgPool2DBackward0"
    _y2, i2 = nn.MaxPool2d(2, return_indices=True)(x)
    assert tuple(i2.shape) == (2, 3, 3, 3)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: F.max_pool2d(x, 3, 2, 1, ceil_mode=True),
        lambda x: F.max_pool2d(x, 2, 1, 1, dilation=2),
        lambda x: F.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
        lambda x: F.avg_pool2d(x, (2, 3), 1, ceil_mode=True, divisor_override=4),
        lambda x: F.adaptive_avg_pool2d(x, (2, 3)),
    ],
)
def test_pool_gradcheck(fn: Any) -> None:
    x = cr.tensor(np.random.default_rng(4).permutation(2 * 2 * 5 * 5).reshape(2, 2, 5, 5) * 0.1)
    x.requires_grad_(True)
    assert cr.autograd.gradcheck(fn, (x,))


def test_pool_errors() -> None:
    x = cr.randn(1, 1, 4, 4)
    with pytest.raises(RuntimeError, match="max_pool2d"):
        F.max_pool2d(x, 3, padding=2)  # padding > kernel / 2
    with pytest.raises(RuntimeError, match="avg_pool2d"):
        F.avg_pool2d(x, 3, padding=2)
    with pytest.raises(RuntimeError, match="max_pool2d"):
        F.max_pool2d(x, 5)  # kernel larger than the (padded) input
    with pytest.raises(RuntimeError, match="avg_pool2d"):
        F.avg_pool2d(x, (2, 6))
    with pytest.raises(RuntimeError, match="max_pool2d"):
        F.max_pool2d(cr.randn(4, 4), 2)  # wrong ndim
    with pytest.raises(RuntimeError, match="adaptive_avg_pool2d"):
        F.adaptive_avg_pool2d(cr.randn(2, 3, 4, 4, 4), 2)
    with pytest.raises(RuntimeError, match="max_pool2d"):
        F.max_pool2d(x, 2, stride=0)
    with pytest.raises(RuntimeError, match="avg_pool2d"):
        F.avg_pool2d(x, 2, divisor_override=0)


def test_max_pool_indices_modified_in_place() -> None:
    x = cr.randn(1, 1, 4, 4)
    x.requires_grad_(True)
    y, i = F.max_pool2d(x, 2, return_indices=True)
    i.add_(1)
    with pytest.raises(RuntimeError, match="MaxPool2DWithIndicesBackward0"):
        y.sum().backward()


# ---- fast paths (interior columns, 2x2 stride 2, border columns, threads) --------------------
def _layout(a: np.ndarray, layout: str) -> tuple[Any, Any]:
    """The same values as chainrule and torch tensors, contiguous or not."""
    if layout == "contiguous":
        c, t = cr.tensor(a), torch.tensor(a)
    elif layout == "transposed":  # W and H swapped in memory
        b = np.ascontiguousarray(a.swapaxes(-1, -2))
        c, t = cr.tensor(b).transpose(-1, -2), torch.tensor(b).transpose(-1, -2)
    else:  # channels-last strides
        b = np.ascontiguousarray(np.moveaxis(a, 1, -1))
        c, t = cr.tensor(b).permute(0, 3, 1, 2), torch.tensor(b).permute(0, 3, 1, 2)
    c.requires_grad_(True)
    t.requires_grad_(True)
    return c, t


POOL_CASES = [
    # (kernel, stride, padding, dilation, ceil_mode, shape)
    (2, 2, 0, 1, False, (3, 4, 24, 24)),  # LeNet: 2x2 stride 2 fast path
    (2, 2, 0, 1, False, (2, 3, 7, 9)),  # odd sizes: last row / column dropped
    (2, 2, 0, 1, True, (2, 3, 7, 9)),  # ceil_mode: clipped last window (border path)
    (2, 2, 1, 1, False, (2, 3, 8, 7)),  # padding: border columns and rows
    (2, (2, 1), 0, 1, False, (2, 3, 6, 9)),  # stride 1 along W
    (3, 2, 1, 1, True, (2, 2, 11, 13)),
    (3, 1, 1, 1, False, (2, 2, 9, 10)),  # overlapping windows
    ((2, 3), (3, 2), (1, 1), 1, False, (2, 2, 10, 11)),
    (3, 3, 0, 2, False, (1, 2, 13, 14)),  # dilation, stride 3 (any-stride instance)
    (2, 2, 1, 2, True, (1, 2, 9, 8)),
    (5, 4, 2, 1, True, (1, 3, 17, 19)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "channels_last"])
@pytest.mark.parametrize(("k", "s", "p", "d", "ceil"), [c[:5] for c in POOL_CASES])
def test_max_pool_fast_paths(
    k: Any, s: Any, p: Any, d: Any, ceil: bool, layout: str, dtype: str
) -> None:
    shape = next(c[5] for c in POOL_CASES if c[:5] == (k, s, p, d, ceil))
    rng = np.random.default_rng(5)
    a = rng.standard_normal(shape).astype(dtype)
    a.reshape(-1)[::7] = a.reshape(-1)[::5][: a.size // 7 + (a.size % 7 > 0)]  # ties
    xc, xt = _layout(a, layout)
    yc, ic = F.max_pool2d(xc, k, s, p, d, ceil_mode=ceil, return_indices=True)
    yt, it = torch.nn.functional.max_pool2d(xt, k, s, p, d, ceil_mode=ceil, return_indices=True)
    np.testing.assert_array_equal(_np(yc), _np(yt))
    np.testing.assert_array_equal(ic.numpy(), it.numpy())
    g = rng.standard_normal(yt.shape).astype(dtype)
    yc.backward(cr.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(_np(xc.grad), _np(xt.grad), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_max_pool_nan_and_inf(dtype: str) -> None:
    a = np.random.default_rng(6).standard_normal((2, 2, 8, 10)).astype(dtype)
    a[0, 0, 0, 1] = np.nan
    a[0, 1, 2:4, 2:4] = -np.inf
    a[1, 0, 4, 4] = a[1, 0, 5, 5] = np.nan
    a[1, 1, 1, :] = np.inf
    for k, s, p in ((2, 2, 0), (3, 1, 1), (3, 2, 0)):
        yc, ic = F.max_pool2d(cr.tensor(a), k, s, p, return_indices=True)
        yt, it = torch.nn.functional.max_pool2d(torch.tensor(a), k, s, p, return_indices=True)
        np.testing.assert_array_equal(_np(yc), _np(yt))
        np.testing.assert_array_equal(ic.numpy(), it.numpy())


AVG_CASES = [
    # (kernel, stride, padding, ceil_mode, count_include_pad, divisor_override, shape)
    (2, 2, 0, False, True, None, (3, 4, 24, 24)),
    (2, 2, 0, True, True, None, (2, 3, 7, 9)),
    (3, 2, 1, True, False, None, (2, 2, 11, 13)),
    (3, 2, 1, True, True, None, (2, 2, 11, 13)),
    (3, 1, 1, False, True, 5, (2, 2, 9, 10)),
    ((2, 3), (3, 2), (1, 1), False, False, None, (2, 2, 10, 11)),
    (4, 3, 2, True, True, None, (1, 3, 17, 19)),
    (2, (2, 1), 0, False, True, None, (2, 3, 6, 9)),
]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "channels_last"])
@pytest.mark.parametrize("case", AVG_CASES)
def test_avg_pool_fast_paths(case: Any, layout: str, dtype: str) -> None:
    k, s, p, ceil, cip, div, shape = case
    rng = np.random.default_rng(7)
    a = rng.standard_normal(shape).astype(dtype)
    xc, xt = _layout(a, layout)
    yc = F.avg_pool2d(xc, k, s, p, ceil, cip, div)
    yt = torch.nn.functional.avg_pool2d(xt, k, s, p, ceil, cip, div)
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(_np(yc), _np(yt), rtol=tol, atol=tol)
    g = rng.standard_normal(yt.shape).astype(dtype)
    yc.backward(cr.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(_np(xc.grad), _np(xt.grad), rtol=tol, atol=tol)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "channels_last"])
@pytest.mark.parametrize(
    ("shape", "out"),
    [
        ((3, 64, 8, 8), 1),
        ((2, 3, 9, 7), (4, 3)),
        ((2, 3, 5, 5), (7, 2)),
        ((2, 3, 37, 3), 1),
        ((2, 3, 6, 8), (3, 4)),
    ],
)
def test_adaptive_avg_pool_fast_paths(shape: Any, out: Any, layout: str, dtype: str) -> None:
    rng = np.random.default_rng(8)
    a = rng.standard_normal(shape).astype(dtype)
    xc, xt = _layout(a, layout)
    yc = F.adaptive_avg_pool2d(xc, out)
    yt = torch.nn.functional.adaptive_avg_pool2d(xt, out)
    tol = 1e-6 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(_np(yc), _np(yt), rtol=tol, atol=tol)
    g = rng.standard_normal(yt.shape).astype(dtype)
    yc.backward(cr.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(_np(xc.grad), _np(xt.grad), rtol=tol, atol=tol)


def _run_threads(fn: Any, threads: int) -> list[np.ndarray]:
    old = cr.get_num_threads()
    cr.set_num_threads(threads)
    try:
        return fn()
    finally:
        cr.set_num_threads(old)


def test_pool_norm_same_for_any_thread_count() -> None:
    rng = np.random.default_rng(9)
    a = rng.standard_normal((64, 6, 24, 24)).astype("float32")
    b = rng.standard_normal((1024, 128)).astype("float32")
    c = rng.standard_normal((64, 16, 16, 16)).astype("float32")
    w = rng.standard_normal(128).astype("float32")
    wc = rng.standard_normal(16).astype("float32")

    def run() -> list[np.ndarray]:
        outs = []
        for f in (
            lambda x: F.max_pool2d(x, 2),
            lambda x: F.avg_pool2d(x, 3, 2, 1),
            lambda x: F.adaptive_avg_pool2d(x, 1),
        ):
            x = cr.tensor(a, requires_grad=True)
            y = f(x)
            (y * y).sum().backward()
            outs += [y.detach().numpy(), x.grad.numpy()]
        x = cr.tensor(b, requires_grad=True)
        wt = cr.tensor(w, requires_grad=True)
        bt = cr.tensor(w, requires_grad=True)
        y = F.layer_norm(x, (128,), wt, bt)
        (y * y).sum().backward()
        outs += [y.detach().numpy(), x.grad.numpy(), wt.grad.numpy(), bt.grad.numpy()]
        x = cr.tensor(c, requires_grad=True)
        wt = cr.tensor(wc, requires_grad=True)
        bt = cr.tensor(wc, requires_grad=True)
        rm, rv = cr.zeros(16), cr.ones(16)
        y = F.batch_norm(x, rm, rv, wt, bt, training=True)
        (y * y).sum().backward()
        outs += [
            y.detach().numpy(),
            x.grad.numpy(),
            wt.grad.numpy(),
            bt.grad.numpy(),
            rm.numpy(),
            rv.numpy(),
        ]
        return outs

    for o1, o2 in zip(_run_threads(run, 1), _run_threads(run, 2)):
        np.testing.assert_array_equal(o1, o2)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
@pytest.mark.parametrize(
    ("shape", "n"),
    [((1024, 128), 128), ((7, 5, 33), 33), ((3, 1000), 1000), ((2, 3, 4, 5), 20), ((5, 1), 1)],
)
def test_layer_norm_fast_paths(shape: Any, n: int, layout: str, dtype: str) -> None:
    rng = np.random.default_rng(10)
    a = (rng.standard_normal(shape) * 3 + 2).astype(dtype)
    ns = shape[-1:] if n == shape[-1] else shape[-2:]
    if layout == "transposed":
        b = np.ascontiguousarray(a.swapaxes(0, 1))
        xc, xt = cr.tensor(b).transpose(0, 1), torch.tensor(b).transpose(0, 1)
    else:
        xc, xt = cr.tensor(a), torch.tensor(a)
    xc.requires_grad_(True)
    xt.requires_grad_(True)
    w = rng.standard_normal(ns).astype(dtype)
    wc, wt = cr.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    bc, bt = cr.tensor(w * 0.5, requires_grad=True), torch.tensor(w * 0.5, requires_grad=True)
    yc = F.layer_norm(xc, ns, wc, bc)
    yt = torch.nn.functional.layer_norm(xt, ns, wt, bt)
    tol = 2e-5 if dtype == "float32" else 1e-11
    np.testing.assert_allclose(_np(yc), _np(yt), rtol=tol, atol=tol)
    g = rng.standard_normal(shape).astype(dtype)
    yc.backward(cr.tensor(g))
    yt.backward(torch.tensor(g))
    for pc, pt in ((xc, xt), (wc, wt), (bc, bt)):
        np.testing.assert_allclose(_np(pc.grad), _np(pt.grad), rtol=tol * 10, atol=tol * 10)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(64, 16, 16, 16), (5, 3, 7), (9, 4), (3, 2, 5, 1)])
def test_batch_norm_fast_paths(shape: Any, training: bool, dtype: str) -> None:
    rng = np.random.default_rng(11)
    a = (rng.standard_normal(shape) * 2 + 3).astype(dtype)
    C = shape[1]
    # channels-last strides for 4-D inputs: the op copies to contiguous first
    if len(shape) == 4:
        b = np.ascontiguousarray(np.moveaxis(a, 1, -1))
        xc, xt = cr.tensor(b).permute(0, 3, 1, 2), torch.tensor(b).permute(0, 3, 1, 2)
    else:
        xc, xt = cr.tensor(a), torch.tensor(a)
    xc.requires_grad_(True)
    xt.requires_grad_(True)
    w = rng.standard_normal(C).astype(dtype)
    wc, wt = cr.tensor(w, requires_grad=True), torch.tensor(w, requires_grad=True)
    bc, bt = cr.tensor(w * 0.3, requires_grad=True), torch.tensor(w * 0.3, requires_grad=True)
    rm = rng.standard_normal(C).astype(dtype)
    rv = rng.uniform(0.5, 2, C).astype(dtype)
    rmc, rvc, rmt, rvt = cr.tensor(rm), cr.tensor(rv), torch.tensor(rm), torch.tensor(rv)
    yc = F.batch_norm(xc, rmc, rvc, wc, bc, training=training, momentum=0.2)
    yt = torch.nn.functional.batch_norm(xt, rmt, rvt, wt, bt, training=training, momentum=0.2)
    tol = 2e-5 if dtype == "float32" else 1e-11
    np.testing.assert_allclose(_np(yc), _np(yt), rtol=tol, atol=tol)
    np.testing.assert_allclose(rmc.numpy(), rmt.numpy(), rtol=tol, atol=tol)
    np.testing.assert_allclose(rvc.numpy(), rvt.numpy(), rtol=tol, atol=tol)
    g = rng.standard_normal(shape).astype(dtype)
    yc.backward(cr.tensor(g))
    yt.backward(torch.tensor(g))
    for pc, pt in ((xc, xt), (wc, wt), (bc, bt)):
        np.testing.assert_allclose(_np(pc.grad), _np(pt.grad), rtol=tol * 50, atol=tol * 50)


def test_norm_statistics_of_offset_data() -> None:
    """Data far from zero with a small spread: the shifted one-pass sums stay accurate (float32:
    y is computed in float as torch does, so the rounding of the mean to float, 3e-5 / 0.01,
    bounds the error)."""
    rng = np.random.default_rng(12)
    a = 1000.0 + 0.01 * rng.standard_normal((6, 4, 50))
    for dtype, tol in (("float32", 1e-2), ("float64", 1e-7)):
        x = a.astype(dtype)
        ref = torch.nn.functional.layer_norm(torch.tensor(x, dtype=torch.float64), (50,))
        np.testing.assert_allclose(
            F.layer_norm(cr.tensor(x), (50,)).numpy(), ref.numpy(), rtol=tol, atol=tol
        )
        ref = torch.nn.functional.batch_norm(
            torch.tensor(x, dtype=torch.float64), None, None, training=True
        )
        np.testing.assert_allclose(
            F.batch_norm(cr.tensor(x), None, None, training=True).numpy(),
            ref.numpy(),
            rtol=tol,
            atol=tol,
        )
