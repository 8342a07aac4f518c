"""Losses (nn.functional and nn modules) against torch: every option combination (values and
gradients in float32/float64), gradcheck on tiny shapes, warnings, numerics at the edges
(large logits, kinks, all-ignored batches) and the Module API (args, buffers). The error
paths are in test_nn_loss_errors.py."""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

REDUCTIONS = ("mean", "sum", "none")


@pytest.fixture(autouse=True, scope="module")
def _torch_single_thread() -> Any:
    """torch's thread pool spins on tiny ops (milliseconds each on a busy machine)."""
    try:
        import torch
    except ImportError:
        yield
        return
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


# ---- helpers ------------------------------------------------------------------------------
def _run(lib: Any, fn: str, arrays: list[Any], grads: tuple[int, ...], **kwargs: Any) -> tuple:
    """Calls lib's functional `fn` on copies of `arrays` (array kwargs become tensors) and
    backpropagates a fixed random upstream gradient; returns (value, grads of `grads`)."""
    ts = []
    for i, a in enumerate(arrays):
        t = lib.from_numpy(np.array(a, copy=True))
        if i in grads:
            t.requires_grad_(True)
        ts.append(t)
    kw = {
        k: lib.from_numpy(np.array(v, copy=True)) if isinstance(v, np.ndarray) else v
        for k, v in kwargs.items()
    }
    mod = lib.nn.functional
    out = getattr(mod, fn)(*ts, **kw)
    up = np.random.default_rng(1).standard_normal(tuple(out.shape))
    out.backward(lib.from_numpy(up).to(out.dtype))
    return out.detach().numpy().copy(), [ts[i].grad.numpy().copy() for i in grads]


def _check(
    fn: str,
    arrays: list[Any],
    grads: tuple[int, ...] = (0,),
    dtype: Any = np.float64,
    **kwargs: Any,
) -> None:
    torch = pytest.importorskip("torch")
    arrays = [a.astype(dtype) if a.dtype.kind == "f" else a for a in arrays]
    kwargs = {
        k: v.astype(dtype) if isinstance(v, np.ndarray) and v.dtype.kind == "f" else v
        for k, v in kwargs.items()
    }
    got, g_got = _run(cr, fn, arrays, grads, **kwargs)
    want, g_want = _run(torch, fn, arrays, grads, **kwargs)
    tol = {"rtol": 1e-9, "atol": 1e-11} if dtype == np.float64 else {"rtol": 2e-5, "atol": 2e-6}
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    np.testing.assert_allclose(got, want, **tol)
    for g, w in zip(g_got, g_want):
        np.testing.assert_allclose(g, w, **tol)


RNG = np.random.default_rng(0)
C = 5


def _targets(shape: tuple[int, ...], ignore: int | None) -> np.ndarray:
    y = np.random.default_rng(3).integers(0, C, size=shape)
    if ignore is not None and y.size > 1:
        y.flat[1] = ignore
    return y


# ---- cross_entropy: every option combination vs torch ----------------------------------------
SHAPES = {
    "2d": ((6, C), (6,)),
    "1d": ((C,), ()),
    "3d": ((2, C, 3), (2, 3)),
    "4d": ((2, C, 2, 3), (2, 2, 3)),
}


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("shape", list(SHAPES), ids=list(SHAPES))
@pytest.mark.parametrize(
    ("weighted", "ignore", "smoothing"),
    list(itertools.product([False, True], [None, -100, 3], [0.0, 0.25])),
)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_class_indices(
    dtype: Any, shape: str, weighted: bool, ignore: int | None, smoothing: float, reduction: str
) -> None:
    xs, ys = SHAPES[shape]
    x = RNG.standard_normal(xs) * 3
    y = _targets(ys, ignore if shape != "1d" else None)
    kw: dict[str, Any] = {"reduction": reduction, "label_smoothing": smoothing}
    if ignore is not None:
        kw["ignore_index"] = ignore
    if weighted:
        kw["weight"] = RNG.uniform(0.2, 2.0, C)
    _check("cross_entropy", [x, y], dtype=dtype, **kw)
    kw.pop("label_smoothing")
    _check("nll_loss", [x, y], dtype=dtype, **kw)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("shape", list(SHAPES), ids=list(SHAPES))
@pytest.mark.parametrize(
    ("weighted", "smoothing"), list(itertools.product([False, True], [0.0, 0.3]))
)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_probabilities(
    dtype: Any, shape: str, weighted: bool, smoothing: float, reduction: str
) -> None:
    xs, _ = SHAPES[shape]
    x = RNG.standard_normal(xs) * 3
    p = RNG.uniform(0, 1, xs)
    kw: dict[str, Any] = {"reduction": reduction, "label_smoothing": smoothing}
    if weighted:
        kw["weight"] = RNG.uniform(0.2, 2.0, C)
    _check("cross_entropy", [x, p], grads=(0, 1), dtype=dtype, **kw)


def test_cross_entropy_probabilities_weight_gradient() -> None:
    torch = pytest.importorskip("torch")
    x, p, w = RNG.standard_normal((3, C)), RNG.uniform(0, 1, (3, C)), RNG.uniform(0.5, 2, C)
    grads = []
    for lib in (cr, torch):
        wt = lib.tensor(w, requires_grad=True)
        lib.nn.functional.cross_entropy(
            lib.tensor(x), lib.tensor(p), weight=wt, label_smoothing=0.2
        ).backward()
        grads.append(wt.grad.numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-9)


def test_cross_entropy_mixed_dtypes_promote_like_torch() -> None:
    x = RNG.standard_normal((3, C)).astype(np.float32)
    p = RNG.uniform(0, 1, (3, C))
    _check("cross_entropy", [x, p], dtype=None, grads=(0, 1))  # float32 logits, float64 probs


def test_cross_entropy_negative_smoothing_is_ignored_like_torch() -> None:
    _check(
        "cross_entropy", [RNG.standard_normal((3, C)), _targets((3,), None)], label_smoothing=-0.1
    )
    _check(
        "cross_entropy",
        [RNG.standard_normal((3, C)), RNG.uniform(0, 1, (3, C))],
        label_smoothing=-0.1,
    )


def test_cross_entropy_1d_input_with_one_element_target() -> None:
    torch = pytest.importorskip("torch")  # torch's backward rejects this shape pair: forward only
    x = RNG.standard_normal(C)
    got = F.cross_entropy(cr.tensor(x), cr.tensor([2]), reduction="none")
    want = torch.nn.functional.cross_entropy(torch.tensor(x), torch.tensor([2]), reduction="none")
    assert got.shape == want.shape == ()
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)


# ---- elementwise losses vs torch --------------------------------------------------------------
ELEMENTWISE = [
    ("mse_loss", {}),
    ("l1_loss", {}),
    ("huber_loss", {"delta": 0.7}),
    ("huber_loss", {}),
    ("smooth_l1_loss", {"beta": 0.7}),
    ("smooth_l1_loss", {"beta": 0.0}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(("fn", "kw"), ELEMENTWISE, ids=lambda v: str(v))
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses(dtype: Any, fn: str, kw: dict, reduction: str) -> None:
    x, t = RNG.standard_normal((4, 6)) * 2, RNG.standard_normal((4, 6))
    _check(fn, [x, t], grads=(0, 1), dtype=dtype, reduction=reduction, **kw)
    if fn != "smooth_l1_loss":  # torch's weighted forms
        _check(
            fn,
            [x, t],
            grads=(0, 1),
            dtype=dtype,
            reduction=reduction,
            weight=RNG.uniform(0.1, 1.0, (4, 6)),
            **kw,
        )


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("wshape", [None, (6,), (4, 1), (4, 6)], ids=str)
def test_binary_cross_entropy(dtype: Any, reduction: str, wshape: tuple | None) -> None:
    x, t = RNG.uniform(0.02, 0.98, (4, 6)), RNG.uniform(0, 1, (4, 6))
    kw = {} if wshape is None else {"weight": RNG.uniform(0.1, 2, wshape)}
    _check("binary_cross_entropy", [x, t], grads=(0, 1), dtype=dtype, reduction=reduction, **kw)


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("wshape", [None, (6,), (4, 6)], ids=str)
@pytest.mark.parametrize("pshape", [None, (6,), (1, 6), (4, 6)], ids=str)
def test_bce_with_logits(
    dtype: Any, reduction: str, wshape: tuple | None, pshape: tuple | None
) -> None:
    x, t = RNG.standard_normal((4, 6)) * 4, RNG.uniform(0, 1, (4, 6))
    kw = {} if wshape is None else {"weight": RNG.uniform(0.1, 2, wshape)}
    if pshape is not None:
        kw["pos_weight"] = RNG.uniform(0.3, 3, pshape)
    _check(
        "binary_cross_entropy_with_logits",
        [x, t],
        grads=(0, 1),
        dtype=dtype,
        reduction=reduction,
        **kw,
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("reduction", ["batchmean", "sum", "none"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(dtype: Any, reduction: str, log_target: bool) -> None:
    p = RNG.dirichlet(np.ones(6), 4)
    q = RNG.dirichlet(np.ones(6), 4)
    t = np.log(q) if log_target else q
    _check(
        "kl_div",
        [np.log(p), t],
        grads=(0, 1),
        dtype=dtype,
        reduction=reduction,
        log_target=log_target,
    )


def test_kl_div_mean_warns_like_torch() -> None:
    x, t = np.log(RNG.dirichlet(np.ones(4), 3)), RNG.dirichlet(np.ones(4), 3)
    with pytest.warns(UserWarning, match="batchmean"):
        got = F.kl_div(cr.tensor(x), cr.tensor(t))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _check("kl_div", [x, t], grads=(0, 1))
    np.testing.assert_allclose(got.item(), float(np.mean(t * (np.log(t) - x))), rtol=1e-6)


def test_mismatched_shapes_warn_and_broadcast_like_torch() -> None:
    x, t = RNG.standard_normal((3, 4)), RNG.standard_normal(4)
    for fn in ("mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"):
        with pytest.warns(UserWarning, match="different to the input size"):
            getattr(F, fn)(cr.tensor(x), cr.tensor(t))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            _check(fn, [x, t], grads=(0, 1))


def test_legacy_size_average_and_reduce() -> None:
    x, t = cr.tensor([1.0, 3.0]), cr.tensor([0.0, 0.0])
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert F.mse_loss(x, t, size_average=False).item() == 10.0
    with pytest.warns(UserWarning, match="reduction='none'"):
        assert F.l1_loss(x, t, reduce=False).shape == (2,)
    with pytest.warns(UserWarning, match="reduction='sum'"):
        assert nn.MSELoss(size_average=False).reduction == "sum"


# ---- gradcheck in float64 ------------------------------------------------------------------
def _gradcheck(fn: Any, *arrays: np.ndarray, grads: tuple[int, ...] = (0,)) -> None:
    ts = tuple(
        cr.tensor(a, requires_grad=i in grads) if a.dtype.kind == "f" else cr.tensor(a)
        for i, a in enumerate(arrays)
    )
    assert cr.autograd.gradcheck(fn, ts, eps=1e-6, atol=1e-5, rtol=1e-3)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_cross_entropy(reduction: str) -> None:
    x, w = RNG.standard_normal((3, 4, 2)), cr.tensor(RNG.uniform(0.5, 2, 4))
    y = np.array([[0, 3], [-100, 1], [2, 2]])
    _gradcheck(
        lambda a, b: F.cross_entropy(a, b, weight=w, label_smoothing=0.2, reduction=reduction), x, y
    )
    _gradcheck(
        lambda a, b: F.cross_entropy(a, b, label_smoothing=0.1, reduction=reduction),
        x,
        RNG.uniform(0, 1, (3, 4, 2)),
        grads=(0, 1),
    )
    _gradcheck(
        lambda a, b, c: F.cross_entropy(a, b, weight=c, reduction=reduction),
        x[:, :, 0],
        RNG.uniform(0, 1, (3, 4)),
        RNG.uniform(0.5, 2, 4),
        grads=(0, 1, 2),
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_gradcheck_elementwise(reduction: str) -> None:
    x, t = RNG.standard_normal((2, 3)), RNG.standard_normal((2, 3))
    for fn, kw in ELEMENTWISE:
        _gradcheck(
            lambda a, b, fn=fn, kw=kw: getattr(F, fn)(a, b, reduction=reduction, **kw),
            x,
            t,
            grads=(0, 1),
        )
    p, q = RNG.uniform(0.1, 0.9, (2, 3)), RNG.uniform(0, 1, (2, 3))
    _gradcheck(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction), p, q, grads=(0, 1))
    pw = cr.tensor(RNG.uniform(0.5, 2, 3))
    _gradcheck(
        lambda a, b: F.binary_cross_entropy_with_logits(a, b, pos_weight=pw, reduction=reduction),
        x,
        q,
        grads=(0, 1),
    )
    red = "batchmean" if reduction == "mean" else reduction
    _gradcheck(lambda a, b: F.kl_div(a, b, reduction=red), x, q + 0.1, grads=(0, 1))
    _gradcheck(lambda a, b: F.kl_div(a, b, reduction=red, log_target=True), x, t, grads=(0, 1))


# ---- numerics at the edges --------------------------------------------------------------------
def test_cross_entropy_large_logits_stay_finite() -> None:
    torch = pytest.importorskip("torch")
    x = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [3e4, 3e4, -3e4]], dtype=np.float32)
    y = np.array([1, 2, 0])
    for smoothing in (0.0, 0.1):
        for target in (y, np.eye(3, dtype=np.float32)[[2, 0, 1]]):
            got, (g,) = _run(cr, "cross_entropy", [x, target], (0,), label_smoothing=smoothing)
            want, (gw,) = _run(torch, "cross_entropy", [x, target], (0,), label_smoothing=smoothing)
            assert np.isfinite(got).all()
            assert np.isfinite(g).all()
            np.testing.assert_allclose(got, want, rtol=1e-5)
            np.testing.assert_allclose(g, gw, atol=1e-6)
    x = np.array([[-1e4, 1e4]], dtype=np.float32)
    for p in (cr, torch):
        out = p.nn.functional.binary_cross_entropy_with_logits(
            p.tensor(x), p.tensor([[1.0, 0.0]]), pos_weight=p.tensor([2.0, 3.0])
        )
        np.testing.assert_allclose(out.item(), (2 * 1e4 + 1e4) / 2, rtol=1e-6)


def test_all_ignored_and_empty_batches() -> None:
    torch = pytest.importorskip("torch")
    x, y = RNG.standard_normal((3, C)), np.full(3, -100)
    for lib in (cr, torch):
        xt = lib.tensor(x, requires_grad=True)
        for kw in ({}, {"label_smoothing": 0.2}, {"weight": lib.ones(C, dtype=lib.float64)}):
            out = lib.nn.functional.cross_entropy(xt, lib.tensor(y), **kw)
            assert np.isnan(out.item())
            assert (
                lib.nn.functional.cross_entropy(xt, lib.tensor(y), reduction="sum", **kw).item()
                == 0
            )
        lib.nn.functional.cross_entropy(xt, lib.tensor(y), reduction="sum").backward()
        assert (xt.grad.numpy() == 0).all()
    for fn, t in (
        ("cross_entropy", np.zeros(0, np.int64)),
        ("cross_entropy", np.zeros((0, C))),
        ("nll_loss", np.zeros(0, np.int64)),
    ):
        assert np.isnan(getattr(F, fn)(cr.zeros(0, C), cr.tensor(t)).item())
    assert np.isnan(F.mse_loss(cr.zeros(0), cr.zeros(0)).item())


def test_out_of_range_target_is_fine_when_ignored() -> None:
    _check("cross_entropy", [RNG.standard_normal((3, C)), np.array([1, 7, 2])], ignore_index=7)


@pytest.mark.parametrize(
    ("fn", "kw", "x", "want"),
    [
        ("l1_loss", {}, 0.5, 0.0),  # |d| at d = 0
        ("huber_loss", {"delta": 1.0}, 1.5, 1.0),  # d = delta: slope delta
        ("huber_loss", {"delta": 1.0}, -0.5, -1.0),  # d = -delta
        ("smooth_l1_loss", {"beta": 1.0}, 1.5, 1.0),  # d = beta
        ("smooth_l1_loss", {"beta": 1.0}, -0.5, -1.0),
        ("smooth_l1_loss", {"beta": 0.0}, 0.5, 0.0),  # beta = 0 is l1 (0 at d = 0)
        ("smooth_l1_loss", {"beta": 0.0}, 0.75, 1.0),
    ],
)
def test_gradients_at_the_kinks(fn: str, kw: dict, x: float, want: float) -> None:
    xt = cr.tensor([x], requires_grad=True)
    getattr(F, fn)(xt, cr.tensor([0.5]), reduction="sum", **kw).backward()
    assert xt.grad.item() == want
    torch = pytest.importorskip("torch")
    xw = torch.tensor([x], requires_grad=True)
    getattr(torch.nn.functional, fn)(xw, torch.tensor([0.5]), reduction="sum", **kw).backward()
    assert xw.grad.item() == want


def test_bce_clamps_log_at_minus_100() -> None:
    assert F.binary_cross_entropy(cr.tensor([0.0]), cr.tensor([1.0])).item() == 100.0
    _check(
        "binary_cross_entropy",
        [np.array([0.0, 1.0, 0.5]), np.array([1.0, 0.0, 0.5])],
        grads=(0,),
        dtype=np.float32,
        reduction="none",
    )
    # the clamp of the gradient's denominator is torch's float 1e-12 in float64 too (the
    # gradient at x = 0 differed in the 9th digit; found by the op fuzz)
    _check(
        "binary_cross_entropy",
        [np.array([0.0, 1.0, 0.5]), np.array([0.54, 0.25, 0.5])],
        grads=(0,),
        reduction="none",
    )


def test_same_bits_for_one_and_two_threads() -> None:
    x = cr.randn(300, 257)
    y = cr.randint(0, 257, (300,))
    n = cr.get_num_threads()
    vals = []
    try:
        for threads in (1, 2):
            cr.set_num_threads(threads)
            xt = x.detach().requires_grad_(True)
            loss = F.cross_entropy(xt, y, label_smoothing=0.1)
            loss.backward()
            vals.append((loss.item(), xt.grad.numpy().copy(), F.mse_loss(x, x * 0.5).item()))
    finally:
        cr.set_num_threads(n)
    assert vals[0][0] == vals[1][0]
    assert vals[0][2] == vals[1][2]
    assert np.array_equal(vals[0][1], vals[1][1])


def test_cross_entropy_graph_node_and_saved_version_check() -> None:
    x = cr.randn(4, C, requires_grad=True)
    loss = F.cross_entropy(x, cr.tensor([0, 1, 2, 3]))
    assert loss.grad_fn.name() == "CrossEntropyLossBackward0"
    assert F.mse_loss(x, x.detach()).grad_fn.name() == "MseLossBackward0"
    h = x * 1.0
    loss = F.cross_entropy(h, cr.tensor([0, 1, 2, 3]))
    h.add_(1.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
    loss = F.cross_entropy(x, cr.tensor([0, 1, 2, 3]))
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()


def test_no_graph_under_no_grad() -> None:
    x = cr.randn(4, C, requires_grad=True)
    with cr.no_grad():
        assert F.cross_entropy(x, cr.tensor([0, 1, 2, 3])).grad_fn is None
        assert F.mse_loss(x, x).grad_fn is None


# ---- modules ----------------------------------------------------------------------------------
def test_module_attributes_and_buffers_like_torch() -> None:
    torch = pytest.importorskip("torch")
    w = RNG.uniform(0.5, 2, C).astype(np.float32)
    pairs = [
        ("MSELoss", {}),
        ("L1Loss", {"reduction": "sum"}),
        ("HuberLoss", {"delta": 0.5}),
        ("SmoothL1Loss", {"beta": 0.5}),
        ("KLDivLoss", {"reduction": "batchmean", "log_target": True}),
        ("CrossEntropyLoss", {"weight": w, "ignore_index": 2, "label_smoothing": 0.1}),
        ("NLLLoss", {"weight": w, "reduction": "none"}),
        ("BCELoss", {"weight": w}),
        ("BCEWithLogitsLoss", {"weight": w, "pos_weight": w}),
        ("BCEWithLogitsLoss", {}),
    ]
    attrs = ("reduction", "delta", "beta", "log_target", "ignore_index", "label_smoothing")
    for name, kw in pairs:
        mods = [
            getattr(lib.nn, name)(
                **{k: lib.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}
            )
            for lib in (cr, torch)
        ]
        assert isinstance(mods[0], nn.Module)
        for a in attrs:
            assert getattr(mods[0], a, None) == getattr(mods[1], a, None), (name, a)
        for b in ("weight", "pos_weight"):
            if hasattr(mods[1], b):
                tb = getattr(mods[1], b)
                cb = getattr(mods[0], b)
                assert (cb is None) == (tb is None)
        assert list(mods[0].state_dict()) == list(mods[1].state_dict())
        assert [n for n, _ in mods[0].named_buffers()] == [n for n, _ in mods[1].named_buffers()]
        assert list(mods[0].parameters()) == []
        assert repr(mods[0]) == repr(mods[1])


@pytest.mark.parametrize(
    ("name", "kw", "make"),
    [
        (
            "CrossEntropyLoss",
            {"label_smoothing": 0.2, "ignore_index": 1},
            lambda r: (r.standard_normal((4, C)), r.integers(0, C, 4)),
        ),
        (
            "CrossEntropyLoss",
            {},
            lambda r: (r.standard_normal((2, C, 3)), r.uniform(0, 1, (2, C, 3))),
        ),
        (
            "NLLLoss",
            {"reduction": "sum"},
            lambda r: (r.standard_normal((4, C)), r.integers(0, C, 4)),
        ),
        ("MSELoss", {}, lambda r: (r.standard_normal((3, 4)), r.standard_normal((3, 4)))),
        (
            "L1Loss",
            {"reduction": "none"},
            lambda r: (r.standard_normal((3, 4)), r.standard_normal((3, 4))),
        ),
        (
            "HuberLoss",
            {"delta": 0.5},
            lambda r: (r.standard_normal((3, 4)), r.standard_normal((3, 4))),
        ),
        (
            "SmoothL1Loss",
            {"beta": 0.5},
            lambda r: (r.standard_normal((3, 4)), r.standard_normal((3, 4))),
        ),
        ("BCELoss", {}, lambda r: (r.uniform(0.05, 0.95, (3, 4)), r.uniform(0, 1, (3, 4)))),
        ("BCEWithLogitsLoss", {}, lambda r: (r.standard_normal((3, 4)), r.uniform(0, 1, (3, 4)))),
        (
            "KLDivLoss",
            {"reduction": "batchmean"},
            lambda r: (np.log(r.dirichlet(np.ones(4), 3)), r.dirichlet(np.ones(4), 3)),
        ),
    ],
)
def test_module_forward_backward_matches_torch(name: str, kw: dict, make: Any) -> None:
    torch = pytest.importorskip("torch")
    x, t = make(np.random.default_rng(5))
    x = x.astype(np.float32)
    t = t.astype(np.float32) if t.dtype.kind == "f" else t
    res = []
    for lib in (cr, torch):
        xt = lib.tensor(x, requires_grad=True)
        out = getattr(lib.nn, name)(**kw)(xt, lib.tensor(t))
        out.sum().backward()
        res.append((out.detach().numpy(), xt.grad.numpy()))
    np.testing.assert_allclose(res[0][0], res[1][0], rtol=2e-5, atol=2e-6)
    np.testing.assert_allclose(res[0][1], res[1][1], rtol=2e-5, atol=2e-6)


def test_module_weight_buffer_follows_state_dict_and_dtype() -> None:
    m = nn.CrossEntropyLoss(weight=cr.ones(3))
    m.load_state_dict({"weight": cr.tensor([1.0, 0.0, 0.0])})
    x = cr.randn(2, 3)
    loss = m(x, cr.tensor([0, 1]))  # only the first target counts
    np.testing.assert_allclose(
        loss.item(), F.cross_entropy(x[:1], cr.tensor([0])).item(), rtol=1e-6
    )
    m = m.to(cr.float64)
    assert m.weight.dtype == cr.float64
    assert m(x.double(), cr.tensor([0, 1])).dtype == cr.float64
