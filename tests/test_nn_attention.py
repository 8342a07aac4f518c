"""Embedding, one_hot, scaled_dot_product_attention and MultiheadAttention against torch:
values, input grads, parameter grads (copied weights), masks, batch_first, error paths.

The generic per-op checks (gradcheck, non-contiguous, 0-d, empty) are in op_db_attention.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional

DTYPES = [(cr.float32, torch.float32, 1e-5), (cr.float64, torch.float64, 1e-10)]


def _np(t: Any) -> np.ndarray:
    return np.asarray(
        t.detach().numpy() if isinstance(t, torch.Tensor) else cr.Tensor.numpy(t.detach())
    )


def _pair(a: np.ndarray, crd: Any, td: Any, grad: bool = True) -> tuple[Any, Any]:
    c = cr.tensor(a, dtype=crd, requires_grad=grad)
    t = torch.tensor(a, dtype=td, requires_grad=grad)
    return c, t


def _close(a: Any, b: Any, tol: float) -> None:
    np.testing.assert_allclose(_np(a), _np(b), rtol=tol * 10, atol=tol)


def _copy_params(src: Any, dst: Any) -> None:
    sd = {k: v.detach().numpy() for k, v in src.state_dict().items()}
    dst.load_state_dict({k: cr.tensor(v) for k, v in sd.items()})


# ---- embedding ---------------------------------------------------------------
@pytest.mark.parametrize(("crd", "td", "tol"), DTYPES)
@pytest.mark.parametrize("padding_idx", [None, 0, 3, -2])
def test_embedding_module_vs_torch(crd: Any, td: Any, tol: float, padding_idx: Any) -> None:
    torch.manual_seed(0)
    tm = torch.nn.Embedding(7, 4, padding_idx=padding_idx, dtype=td)
    cm = nn.Embedding(7, 4, padding_idx=padding_idx, dtype=crd)
    assert list(cm.state_dict()) == list(tm.state_dict()) == ["weight"]
    if padding_idx is not None:
        assert cm.padding_idx == tm.padding_idx
        assert np.all(_np(cm.weight)[cm.padding_idx] == 0)
    cm.load_state_dict({"weight": cr.tensor(tm.weight.detach().numpy())})
    idx = np.array([[0, 3, 3, 5], [6, 0, 1, 3], [2, 2, 2, 5]])
    yc, yt = cm(cr.tensor(idx)), tm(torch.tensor(idx))
    _close(yc, yt, tol)
    g = np.random.default_rng(1).standard_normal(yt.shape)
    yc.backward(cr.tensor(g, dtype=crd))
    yt.backward(torch.tensor(g, dtype=td))
    _close(cm.weight.grad, tm.weight.grad, tol)
    assert yc.grad_fn.name() == "EmbeddingBackward0"
    assert repr(cm) == repr(tm)


def test_embedding_scale_grad_by_freq_and_from_pretrained() -> None:
    w = np.random.default_rng(0).standard_normal((5, 3))
    idx = np.array([1, 1, 4, 1, 0])
    wc, wt = _pair(w, cr.float64, torch.float64)
    F.embedding(cr.tensor(idx), wc, scale_grad_by_freq=True).sum().backward()
    TF.embedding(torch.tensor(idx), wt, scale_grad_by_freq=True).sum().backward()
    _close(wc.grad, wt.grad, 1e-12)
    frozen = nn.Embedding.from_pretrained(cr.tensor(w))
    assert not frozen.weight.requires_grad
    assert nn.Embedding.from_pretrained(cr.tensor(w), freeze=False).weight.requires_grad
    _close(
        frozen(cr.tensor(idx)),
        torch.nn.Embedding.from_pretrained(torch.tensor(w))(torch.tensor(idx)),
        1e-12,
    )
    m = nn.Embedding(5, 3, _weight=cr.tensor(w))
    np.testing.assert_array_equal(_np(m.weight), w)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_embedding_max_norm_vs_torch(norm_type: float) -> None:
    w = np.random.default_rng(0).standard_normal((6, 4)) * 2
    w[3] *= 0.01  # under the limit: untouched
    idx = np.array([[1, 3, 1], [5, 0, 3]])
    cm = nn.Embedding(6, 4, max_norm=1.5, norm_type=norm_type, dtype=cr.float64)
    tm = torch.nn.Embedding(6, 4, max_norm=1.5, norm_type=norm_type, dtype=torch.float64)
    cm.load_state_dict({"weight": cr.tensor(w)})
    tm.load_state_dict({"weight": torch.tensor(w)})
    yc, yt = cm(cr.tensor(idx)), tm(torch.tensor(idx))
    _close(yc, yt, 1e-12)
    _close(cm.weight, tm.weight, 1e-12)  # rows 1, 3, 5, 0 renormed in place, 2 and 4 not
    yc.sum().backward()
    yt.sum().backward()
    _close(cm.weight.grad, tm.weight.grad, 1e-12)


def test_embedding_errors() -> None:
    w = cr.randn(5, 3)
    with pytest.raises(IndexError, match="embedding"):
        F.embedding(cr.tensor([0, 5]), w)
    with pytest.raises(IndexError, match="embedding"):
        F.embedding(cr.tensor([-1]), w)
    with pytest.raises(TypeError, match="embedding"):
        F.embedding(cr.tensor([0.0]), w)
    with pytest.raises(ValueError, match="embedding"):
        F.embedding(cr.tensor([0]), cr.randn(5))
    with pytest.raises(ValueError, match="embedding"):
        F.embedding(cr.tensor([0]), w, padding_idx=5)
    with pytest.raises(ValueError, match="Embedding"):
        nn.Embedding(5, 3, padding_idx=-6)
    with pytest.raises(ValueError, match="Embedding"):
        nn.Embedding(5, 3, _weight=cr.randn(4, 3))
    with pytest.raises(RuntimeError, match="embedding"):
        F.embedding(cr.tensor([0]), w, sparse=True)


# ---- one_hot -----------------------------------------------------------------
def test_one_hot_vs_torch() -> None:
    x = np.array([[0, 3], [1, 1]])
    for nc in (-1, 4, 6):
        got, want = F.one_hot(cr.tensor(x), nc), TF.one_hot(torch.tensor(x), nc)
        assert got.dtype == cr.int64
        np.testing.assert_array_equal(_np(got), want.numpy())
    with pytest.raises(RuntimeError, match="one_hot"):
        F.one_hot(cr.tensor([0, 4]), 3)
    with pytest.raises(RuntimeError, match="one_hot"):
        F.one_hot(cr.tensor([0, -1]))
    with pytest.raises(RuntimeError, match="one_hot"):
        F.one_hot(cr.tensor([], dtype=cr.int64))
    with pytest.raises(TypeError, match="one_hot"):
        F.one_hot(cr.tensor([0.0]))


# ---- scaled_dot_product_attention ---------------------------------------------
def _sdpa_case(
    crd: Any,
    td: Any,
    tol: float,
    qs: tuple,
    ks: tuple,
    vs: tuple,
    mask: np.ndarray | None = None,
    **kw: Any,
) -> None:
    rng = np.random.default_rng(0)
    q, k, v = (rng.standard_normal(s) for s in (qs, ks, vs))
    qc, qt = _pair(q, crd, td)
    kc, kt = _pair(k, crd, td)
    vc, vt = _pair(v, crd, td)
    mc = mt = None
    if mask is not None:
        if mask.dtype == bool:
            mc, mt = cr.tensor(mask), torch.tensor(mask)
        else:
            mc, mt = _pair(mask, crd, td)
    yc = F.scaled_dot_product_attention(qc, kc, vc, mc, **kw)
    yt = TF.scaled_dot_product_attention(qt, kt, vt, mt, **kw)
    _close(yc, yt, tol)
    g = rng.standard_normal(yt.shape)
    yc.backward(cr.tensor(g, dtype=crd))
    yt.backward(torch.tensor(g, dtype=td))
    for a, b in ((qc, qt), (kc, kt), (vc, vt)):
        _close(a.grad, b.grad, tol)
    if mask is not None and mask.dtype != bool:
        _close(mc.grad, mt.grad, tol)


@pytest.mark.parametrize(("crd", "td", "tol"), DTYPES)
def test_sdpa_vs_torch(crd: Any, td: Any, tol: float) -> None:
    _sdpa_case(crd, td, tol, (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 7))
    _sdpa_case(crd, td, tol, (5, 4), (6, 4), (6, 3), scale=0.5)
    _sdpa_case(crd, td, tol, (2, 1, 3, 5, 4), (2, 1, 3, 6, 4), (2, 1, 3, 6, 4), is_causal=True)
    _sdpa_case(crd, td, tol, (2, 3, 6, 4), (2, 3, 5, 4), (2, 3, 5, 4), is_causal=True)
    bool_mask = np.random.default_rng(3).random((5, 6)) > 0.4
    bool_mask[:, 0] = True  # no row fully masked
    _sdpa_case(crd, td, tol, (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4), bool_mask)
    _sdpa_case(
        crd,
        td,
        tol,
        (2, 3, 5, 4),
        (2, 3, 6, 4),
        (2, 3, 6, 4),
        np.broadcast_to(bool_mask, (2, 1, 5, 6)).copy(),
    )
    dead = bool_mask.copy()
    dead[2] = False  # one query sees nothing: 0 output, no gradient (torch's CPU kernel)
    _sdpa_case(crd, td, tol, (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4), dead)
    float_dead = np.where(dead, 0.0, -np.inf)
    _sdpa_case(crd, td, tol, (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4), float_dead)
    float_mask = np.random.default_rng(4).standard_normal((3, 5, 6))
    _sdpa_case(crd, td, tol, (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4), float_mask)
    _sdpa_case(crd, td, tol, (2, 4, 5, 4), (2, 2, 6, 4), (2, 2, 6, 4), enable_gqa=True)


@pytest.mark.parametrize("kwargs", [{}, {"scale": 0.5}, {"is_causal": True}])
@pytest.mark.parametrize(("lq", "s", "ev"), [(2, 3, 4), (0, 0, 0), (2, 3, 0)])
def test_sdpa_zero_embedding_dim(lq: int, s: int, ev: int, kwargs: dict[str, Any]) -> None:
    """E = 0: the scores are 0 and the result is the mean of value's rows, as torch (the
    default scale 1 / sqrt(0) raised ZeroDivisionError; found by the op fuzz)."""
    v = np.random.default_rng(0).standard_normal((2, s, ev)).astype(np.float32)
    got = F.scaled_dot_product_attention(
        cr.ones(2, lq, 0), cr.ones(2, s, 0), cr.tensor(v), **kwargs
    )
    want = TF.scaled_dot_product_attention(
        torch.ones(2, lq, 0), torch.ones(2, s, 0), torch.tensor(v), **kwargs
    )
    assert tuple(got.shape) == tuple(want.shape)
    np.testing.assert_allclose(_np(got), want.numpy(), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("causal", [False, True])
def test_sdpa_fused_row_whose_scores_all_overflow(causal: bool) -> None:
    """A row whose scores all overflow to -inf (no mask needed): 0, as torch's CPU kernel
    (it was NaN unless a mask was given; found by the op fuzz)."""
    q = np.array([[[-1e30, 0.0], [2.0, 1.0], [-1e30, 1.0]]], dtype=np.float32)
    k = np.array([[[1e30, 0.0], [2e30, 1.0], [1.0, 1.0]]], dtype=np.float32)
    v = np.arange(9, dtype=np.float32).reshape(1, 3, 3)
    got = F.scaled_dot_product_attention(cr.tensor(q), cr.tensor(k), cr.tensor(v), is_causal=causal)
    want = TF.scaled_dot_product_attention(
        torch.tensor(q), torch.tensor(k), torch.tensor(v), is_causal=causal
    )
    np.testing.assert_array_equal(_np(got), _np(want))


def test_sdpa_dropout_and_errors() -> None:
    q = cr.randn(2, 3, 4)
    cr.manual_seed(0)
    y = F.scaled_dot_product_attention(q, q, q, dropout_p=0.5)
    assert y.shape == (2, 3, 4)
    full = F.scaled_dot_product_attention(q, q, q, dropout_p=1.0)
    assert np.all(_np(full) == 0)
    with pytest.raises(RuntimeError, match="scaled_dot_product_attention"):
        F.scaled_dot_product_attention(q, q, q, cr.ones(3, 3, dtype=cr.bool), is_causal=True)
    with pytest.raises(RuntimeError, match="scaled_dot_product_attention"):
        F.scaled_dot_product_attention(q, cr.randn(2, 3, 5), q)
    with pytest.raises(ValueError, match="scaled_dot_product_attention"):
        F.scaled_dot_product_attention(cr.randn(3), q, q)
    with pytest.raises(ValueError, match="scaled_dot_product_attention"):
        F.scaled_dot_product_attention(q, q, q, dropout_p=1.5)


def test_sdpa_gradcheck() -> None:
    rng = np.random.default_rng(0)
    q, k, v = (
        cr.tensor(rng.standard_normal(s), requires_grad=True)
        for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3))
    )
    m = cr.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    assert cr.autograd.gradcheck(
        lambda a, b, c, d: F.scaled_dot_product_attention(a, b, c, d), (q, k, v, m)
    )
    assert cr.autograd.gradcheck(
        lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True),
        (
            q,
            cr.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True),
            cr.tensor(rng.standard_normal((2, 3, 2)), requires_grad=True),
        ),
    )


# ---- the fused C++ path (_C._nn.scaled_dot_product_attention) ------------------------
FUSED = "ScaledDotProductFlashAttentionForCpuBackward0"


def _fused_case(
    crd: Any,
    td: Any,
    tol: float,
    qs: tuple,
    ks: tuple,
    vs: tuple,
    mask: np.ndarray | None = None,
    transpose: bool = False,
    needs: tuple = (True, True, True),
    **kw: Any,
) -> None:
    """F.sdpa vs torch where chainrule takes the fused op (masks without grad), optionally
    on transposed (non-contiguous) views and with only some inputs requiring grad."""
    rng = np.random.default_rng(1)
    arrays = [rng.standard_normal(s) for s in (qs, ks, vs)]
    cs, ts = [], []
    for a, need in zip(arrays, needs):
        if transpose:  # the same values, as the transposed view of a contiguous buffer
            a2 = np.ascontiguousarray(np.swapaxes(a, -1, -2))
            c = cr.tensor(a2, dtype=crd, requires_grad=need)
            t = torch.tensor(a2, dtype=td, requires_grad=need)
            cs.append((c, c.transpose(-1, -2)))
            ts.append((t, t.transpose(-1, -2)))
        else:
            c = cr.tensor(a, dtype=crd, requires_grad=need)
            t = torch.tensor(a, dtype=td, requires_grad=need)
            cs.append((c, c))
            ts.append((t, t))
    mc = mt = None
    if mask is not None:
        mc = cr.tensor(mask) if mask.dtype == bool else cr.tensor(mask, dtype=crd)
        mt = torch.tensor(mask) if mask.dtype == bool else torch.tensor(mask, dtype=td)
    yc = F.scaled_dot_product_attention(*(c[1] for c in cs), mc, **kw)
    yt = TF.scaled_dot_product_attention(*(t[1] for t in ts), mt, **kw)
    _close(yc, yt, tol)
    assert yc.grad_fn.name() == FUSED
    g = rng.standard_normal(yt.shape)
    yc.backward(cr.tensor(g, dtype=crd))
    yt.backward(torch.tensor(g, dtype=td))
    for (c, _), (t, _), need in zip(cs, ts, needs):
        if need:
            _close(c.grad, t.grad, tol)
        else:
            assert c.grad is None


@pytest.mark.parametrize(("crd", "td", "tol"), DTYPES)
def test_sdpa_fused_vs_torch(crd: Any, td: Any, tol: float) -> None:
    rng = np.random.default_rng(2)
    _fused_case(crd, td, tol, (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 7))
    _fused_case(crd, td, tol, (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 7), transpose=True)
    _fused_case(crd, td, tol, (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 7), needs=(False, True, False))
    _fused_case(
        crd, td, tol, (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 7), needs=(True, False, True), scale=0.3
    )
    # broadcast batch dims (the engine sums the gradients back)
    _fused_case(crd, td, tol, (2, 3, 5, 4), (1, 3, 6, 4), (3, 6, 7))
    _fused_case(crd, td, tol, (7, 4), (9, 4), (9, 3), is_causal=True)
    _fused_case(crd, td, tol, (2, 6, 4), (2, 5, 4), (2, 5, 3), is_causal=True)
    # float masks without grad: full, broadcast over rows / columns / batch, -inf dead rows
    _fused_case(
        crd, td, tol, (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4), rng.standard_normal((2, 3, 5, 6))
    )
    _fused_case(
        crd, td, tol, (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4), rng.standard_normal((3, 1, 6))
    )
    _fused_case(
        crd,
        td,
        tol,
        (2, 3, 5, 4),
        (2, 3, 6, 4),
        (2, 3, 6, 4),
        rng.standard_normal((2, 1, 5, 1)),
        transpose=True,
    )
    _fused_case(crd, td, tol, (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4), rng.standard_normal((1, 6)))
    dead = rng.random((5, 6)) > 0.4
    dead[:, 0] = True
    dead[3] = False  # a query that sees nothing: 0 and no gradient (torch's CPU kernel)
    _fused_case(crd, td, tol, (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4), dead)
    _fused_case(
        crd, td, tol, (2, 3, 5, 4), (2, 3, 6, 4), (2, 3, 6, 4), np.where(dead, 0.0, -np.inf)
    )
    _fused_case(crd, td, tol, (3, 5, 4), (3, 6, 4), (3, 6, 4), rng.random((3, 1, 6)) > 0.3)


def test_sdpa_fused_layout_and_dispatch() -> None:
    q = cr.randn(2, 3, 5, 4, requires_grad=True)
    y = F.scaled_dot_product_attention(q, q, q)
    # (B, H, L, E) laid out as (B, L, H, E), as torch's CPU kernel: merging heads is a view
    assert y.shape == (2, 3, 5, 4)
    assert y.stride() == (60, 4, 12, 1)
    assert y.grad_fn.name() == FUSED
    # dropout_p > 0 and masks that need a gradient take the composed path
    assert F.scaled_dot_product_attention(q, q, q, dropout_p=0.3).grad_fn.name() != FUSED
    m = cr.zeros(5, 5, requires_grad=True)
    assert F.scaled_dot_product_attention(q, q, q, m).grad_fn.name() != FUSED
    # dropout_p = 0 is the fused op exactly; dropout_p = 1 zeroes everything
    a = _np(F.scaled_dot_product_attention(q, q, q, dropout_p=0.0))
    np.testing.assert_array_equal(a, _np(y))
    assert np.all(_np(F.scaled_dot_product_attention(q, q, q, dropout_p=1.0)) == 0)
    # dropout keeps the expectation: mean over many draws approaches the fused output
    x = cr.randn(1, 4, 3)
    cr.manual_seed(0)
    draws = [_np(F.scaled_dot_product_attention(x, x, x, dropout_p=0.5)) for _ in range(4000)]
    np.testing.assert_allclose(
        np.mean(draws, 0), _np(F.scaled_dot_product_attention(x, x, x)), atol=0.08
    )


def test_sdpa_fused_threads_identical() -> None:
    rng = np.random.default_rng(3)
    arrays = [
        rng.standard_normal(s).astype(np.float32)
        for s in ((4, 4, 33, 16), (4, 4, 40, 16), (4, 4, 40, 8))
    ]
    mask = rng.standard_normal((33, 40)).astype(np.float32)
    g = rng.standard_normal((4, 4, 33, 8)).astype(np.float32)
    old = cr.get_num_threads()
    results = []
    try:
        for n in (1, 2):
            cr.set_num_threads(n)
            ins = [cr.tensor(a, requires_grad=True) for a in arrays]
            y = F.scaled_dot_product_attention(*ins, cr.tensor(mask))
            y.backward(cr.tensor(g))
            results.append([_np(y)] + [_np(t.grad) for t in ins])
    finally:
        cr.set_num_threads(old)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


def test_sdpa_fused_gradcheck() -> None:
    rng = np.random.default_rng(0)
    q, k, v = (
        cr.tensor(rng.standard_normal(s), requires_grad=True)
        for s in ((2, 2, 3, 4), (2, 2, 5, 4), (1, 2, 5, 3))
    )
    fm = cr.tensor(rng.standard_normal((3, 5)))
    bm = cr.tensor(rng.random((2, 1, 3, 5)) > 0.3)
    sdpa = _C_sdpa()
    assert cr.autograd.gradcheck(lambda a, b, c: sdpa(a, b, c), (q, k, v))
    assert cr.autograd.gradcheck(lambda a, b, c: sdpa(a, b, c, fm, scale=0.7), (q, k, v))
    assert cr.autograd.gradcheck(lambda a, b, c: sdpa(a, b, c, bm), (q, k, v))
    assert cr.autograd.gradcheck(
        lambda a, b, c: sdpa(a, b, c, is_causal=True),
        (q, k.transpose(-1, -2).detach().contiguous().transpose(-1, -2).requires_grad_(), v),
    )


def _C_sdpa() -> Any:
    return cr._C._nn.scaled_dot_product_attention


def test_sdpa_fused_errors() -> None:
    sdpa = _C_sdpa()
    q = cr.randn(2, 3, 4)
    with pytest.raises(TypeError, match="scaled_dot_product_attention"):
        sdpa(q, q, q, cr.zeros(3, 3, dtype=cr.int64))
    with pytest.raises(TypeError, match="scaled_dot_product_attention"):
        sdpa(q, q, q, cr.zeros(3, 3, dtype=cr.float64))
    with pytest.raises(ValueError, match="scaled_dot_product_attention"):
        sdpa(q, q, q, cr.zeros(4, 3))  # does not broadcast (as the composed path's add)
    with pytest.raises(RuntimeError, match="scaled_dot_product_attention"):
        sdpa(q, q, q, cr.zeros(5, 2, 3, 3))
    with pytest.raises(RuntimeError, match="scaled_dot_product_attention"):
        sdpa(q, q, q, cr.zeros(3, 3), is_causal=True)
    with pytest.raises(RuntimeError, match="scaled_dot_product_attention"):
        sdpa(q, q, q.double())
    with pytest.raises(RuntimeError, match="scaled_dot_product_attention"):
        sdpa(q, cr.randn(2, 3, 5), q)
    with pytest.raises(ValueError, match="scaled_dot_product_attention"):
        sdpa(q, cr.randn(3, 3, 4), cr.randn(3, 3, 4))
    with pytest.raises(ValueError, match="scaled_dot_product_attention"):
        sdpa(cr.randn(4), q, q)
    with pytest.raises(TypeError, match="scaled_dot_product_attention"):
        sdpa(*(cr.zeros(2, 3, 4, dtype=cr.int64),) * 3)


# ---- MultiheadAttention ------------------------------------------------------
def _mha_pair(crd: Any, td: Any, **kw: Any) -> tuple[Any, Any]:
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(dtype=td, **kw)
    cm = nn.MultiheadAttention(dtype=crd, **kw)
    # non-zero biases, so their grads and uses are exercised
    with torch.no_grad():
        for p in tm.parameters():
            if p.dim() == 1:
                p.normal_()
    assert list(cm.state_dict()) == list(tm.state_dict())
    assert [n for n, _ in cm.named_parameters()] == [n for n, _ in tm.named_parameters()]
    _copy_params(tm, cm)
    return cm, tm


def _mha_case(
    crd: Any,
    td: Any,
    tol: float,
    kw: dict,
    fwd: dict,
    shapes: tuple,
    self_attn: bool = False,
    masks: dict | None = None,
) -> None:
    cm, tm = _mha_pair(crd, td, **kw)
    rng = np.random.default_rng(5)
    arrays = [rng.standard_normal(s) for s in shapes]
    if self_attn:
        qc, qt = _pair(arrays[0], crd, td)
        cin, tin = [qc, qc, qc], [qt, qt, qt]
    else:
        pairs = [_pair(a, crd, td) for a in arrays]
        cin, tin = [p[0] for p in pairs], [p[1] for p in pairs]
    cmask: dict = {}
    tmask: dict = {}
    for name, a in (masks or {}).items():
        if a.dtype == bool:
            cmask[name], tmask[name] = cr.tensor(a), torch.tensor(a)
        else:
            cmask[name], tmask[name] = _pair(a, crd, td, grad=False)
    oc, wc = cm(*cin, **cmask, **fwd)
    ot, wt = tm(*tin, **tmask, **fwd)
    _close(oc, ot, tol)
    if wt is None:
        assert wc is None
    else:
        _close(wc, wt, tol)
    g = rng.standard_normal(ot.shape)
    loss_c = (oc * cr.tensor(g, dtype=crd)).sum()
    loss_t = (ot * torch.tensor(g, dtype=td)).sum()
    if wt is not None:
        gw = rng.standard_normal(wt.shape)
        loss_c = loss_c + (wc * cr.tensor(gw, dtype=crd)).sum()
        loss_t = loss_t + (wt * torch.tensor(gw, dtype=td)).sum()
    loss_c.backward()
    loss_t.backward()
    for a, b in zip(cin[: 1 if self_attn else 3], tin[: 1 if self_attn else 3]):
        _close(a.grad, b.grad, tol)
    tp = dict(tm.named_parameters())
    for name, p in cm.named_parameters():
        _close(p.grad, tp[name].grad, tol)


@pytest.mark.parametrize(("crd", "td", "tol"), DTYPES)
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_vs_torch(crd: Any, td: Any, tol: float, batch_first: bool, need_weights: bool) -> None:
    kw = {"embed_dim": 8, "num_heads": 2, "batch_first": batch_first}
    L, S, N = 4, 5, 3
    q, kv = ((N, L, 8), (N, S, 8)) if batch_first else ((L, N, 8), (S, N, 8))
    fwd = {"need_weights": need_weights}
    _mha_case(crd, td, tol, kw, fwd, (q, kv, kv))
    _mha_case(crd, td, tol, kw, fwd, (q,), self_attn=True)
    rng = np.random.default_rng(7)
    kpm = rng.random((N, S)) > 0.6
    kpm[:, 0] = False
    bool_mask = rng.random((L, S)) > 0.6
    bool_mask[:, 1] = False
    _mha_case(crd, td, tol, kw, fwd, (q, kv, kv), masks={"key_padding_mask": kpm})
    _mha_case(crd, td, tol, kw, fwd, (q, kv, kv), masks={"attn_mask": bool_mask})
    _mha_case(
        crd,
        td,
        tol,
        kw,
        fwd,
        (q, kv, kv),
        masks={
            "attn_mask": rng.standard_normal((L, S)),
            "key_padding_mask": rng.standard_normal((N, S)),
        },
    )
    _mha_case(
        crd,
        td,
        tol,
        kw,
        fwd,
        (q, kv, kv),
        masks={
            "attn_mask": rng.standard_normal((N * 2, L, S)),
            "key_padding_mask": np.where(kpm, -np.inf, 0.0),
        },
    )
    causal = np.triu(np.ones((L, L), dtype=bool), 1)
    _mha_case(
        crd,
        td,
        tol,
        kw,
        {**fwd, "is_causal": True},
        (q,),
        self_attn=True,
        masks={"attn_mask": causal},
    )
    _mha_case(crd, td, tol, kw, {**fwd, "average_attn_weights": False}, (q, kv, kv))


@pytest.mark.parametrize(("crd", "td", "tol"), DTYPES)
def test_mha_options_vs_torch(crd: Any, td: Any, tol: float) -> None:
    _mha_case(
        crd,
        td,
        tol,
        {"embed_dim": 6, "num_heads": 3, "bias": False},
        {},
        ((4, 2, 6), (5, 2, 6), (5, 2, 6)),
    )
    _mha_case(
        crd,
        td,
        tol,
        {"embed_dim": 6, "num_heads": 2, "kdim": 3, "vdim": 5},
        {},
        ((4, 2, 6), (5, 2, 3), (5, 2, 5)),
    )
    _mha_case(
        crd,
        td,
        tol,
        {"embed_dim": 4, "num_heads": 2, "add_bias_kv": True, "add_zero_attn": True},
        {},
        ((3, 2, 4), (5, 2, 4), (5, 2, 4)),
        masks={"key_padding_mask": np.array([[False] * 4 + [True]] * 2)},
    )
    # unbatched
    _mha_case(crd, td, tol, {"embed_dim": 4, "num_heads": 2}, {}, ((3, 4), (5, 4), (5, 4)))
    _mha_case(
        crd,
        td,
        tol,
        {"embed_dim": 4, "num_heads": 2, "batch_first": True},
        {"need_weights": False},
        ((3, 4), (5, 4), (5, 4)),
    )


def test_mha_dropout_eval_and_errors() -> None:
    m = nn.MultiheadAttention(4, 2, dropout=0.5)
    x = cr.randn(3, 2, 4)
    m.eval()
    a, _ = m(x, x, x)
    b, _ = m(x, x, x)
    np.testing.assert_array_equal(_np(a), _np(b))
    m.train()
    out, w = m(x, x, x)
    assert out.shape == (3, 2, 4)
    assert w.shape == (2, 3, 3)
    with pytest.raises(ValueError, match="MultiheadAttention"):
        nn.MultiheadAttention(6, 4)
    with pytest.raises(ValueError, match="multi_head_attention_forward"):
        m(cr.randn(3, 2, 5), x, x)
    with pytest.raises(RuntimeError, match="multi_head_attention_forward"):
        m(x, x, x, is_causal=True)
    with pytest.raises(RuntimeError, match="multi_head_attention_forward"):
        m(x, x, x, attn_mask=cr.zeros(2, 3))
    with pytest.raises(RuntimeError, match="multi_head_attention_forward"):
        m(x, x, x, key_padding_mask=cr.zeros(3, 3, dtype=cr.bool))


def test_mha_gradcheck() -> None:
    m = nn.MultiheadAttention(4, 2, dtype=cr.float64)
    rng = np.random.default_rng(0)
    q = cr.tensor(rng.standard_normal((2, 1, 4)), requires_grad=True)
    k = cr.tensor(rng.standard_normal((3, 1, 4)), requires_grad=True)
    kpm = cr.tensor([[False, False, True]])
    assert cr.autograd.gradcheck(lambda a, b: m(a, b, b, key_padding_mask=kpm)[0], (q, k))


@pytest.mark.parametrize(("crd", "td", "tol"), DTYPES)
def test_mha_batch_first_fast_path_vs_torch(crd: Any, td: Any, tol: float) -> None:
    # batch_first without weights: the head split / merge are views around the fused op
    kw = {"embed_dim": 12, "num_heads": 3, "batch_first": True}
    fwd = {"need_weights": False}
    _mha_case(crd, td, tol, kw, fwd, ((2, 5, 12),), self_attn=True)
    _mha_case(crd, td, tol, {**kw, "kdim": 5, "vdim": 7}, fwd, ((2, 4, 12), (2, 6, 5), (2, 6, 7)))
    _mha_case(crd, td, tol, {**kw, "bias": False}, fwd, ((2, 4, 12), (2, 6, 12), (2, 6, 12)))
    causal = np.triu(np.ones((5, 5), dtype=bool), 1)
    _mha_case(
        crd,
        td,
        tol,
        kw,
        {**fwd, "is_causal": True},
        ((2, 5, 12),),
        self_attn=True,
        masks={"attn_mask": causal},
    )
    _mha_case(
        crd,
        td,
        tol,
        kw,
        fwd,
        ((2, 5, 12),),
        self_attn=True,
        masks={"attn_mask": np.where(causal, -np.inf, 0.0)},
    )


def test_mha_batch_first_dropout_and_gradcheck() -> None:
    m = nn.MultiheadAttention(4, 2, dropout=0.5, batch_first=True)
    x = cr.randn(2, 3, 4)
    out, w = m(x, x, x, need_weights=False)
    assert out.shape == (2, 3, 4)
    assert w is None
    m.eval()
    a, _ = m(x, x, x, need_weights=False)
    b, _ = m(x, x, x, need_weights=False)
    np.testing.assert_array_equal(_np(a), _np(b))
    m = nn.MultiheadAttention(4, 2, batch_first=True, dtype=cr.float64)
    rng = np.random.default_rng(0)
    q = cr.tensor(rng.standard_normal((2, 3, 4)), requires_grad=True)
    k = cr.tensor(rng.standard_normal((2, 5, 4)), requires_grad=True)
    kpm = cr.tensor([[False, False, True, False, False], [False] * 5])
    assert cr.autograd.gradcheck(
        lambda a, c: m(a, c, c, key_padding_mask=kpm, need_weights=False)[0], (q, k)
    )
    assert cr.autograd.gradcheck(lambda a: m(a, a, a, need_weights=False)[0], (q,))


def test_bad_padding_idx_is_a_value_error_and_an_assertion_error_as_in_torch() -> None:
    def functional() -> Any:
        return cr.nn.functional.embedding(cr.tensor([1]), cr.randn(5, 2), padding_idx=-6)

    for make in (lambda: nn.Embedding(5, 2, padding_idx=5), functional):
        with pytest.raises(ValueError, match="padding_idx"):
            make()
        with pytest.raises(AssertionError, match="padding_idx"):
            make()
