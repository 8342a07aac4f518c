"""Elementwise extras: clamp_min/clamp_max, positive, predicates, rounding division and
bitwise ops against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def test_clamp_min_max() -> None:
    torch = pytest.importorskip("torch")
    v = np.array([-1.0, 0.25, 0.5, 2.0])
    for name in ("clamp_min", "clamp_max"):
        x, tx = cr.tensor(v, requires_grad=True), torch.tensor(v, requires_grad=True)
        y, ty = getattr(x, name)(0.25), getattr(tx, name)(0.25)
        assert y.grad_fn.name() == ty.grad_fn.name()
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
        (y * cr.tensor([1.0, 2.0, 3.0, 4.0], dtype=cr.float64)).sum().backward()
        (ty * torch.tensor([1.0, 2.0, 3.0, 4.0], dtype=torch.float64)).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
        z = cr.tensor(v)
        assert getattr(z, name + "_")(0.25) is z
        np.testing.assert_allclose(z.numpy(), ty.detach().numpy())
    assert cr.clamp_min(cr.tensor([1, 5]), 3).tolist() == [3, 5]
    with pytest.raises(TypeError, match="clamp_min"):
        cr.clamp_min(cr.ones(2), "a")
    with pytest.raises(TypeError, match="clamp_max_"):
        cr.tensor([1, 2]).clamp_max_(0.5)


# ---- predicates ---------------------------------------------------------------------------


def test_predicates_values() -> None:
    x = cr.tensor([1.0, float("nan"), float("inf"), -float("inf"), 0.0])
    assert cr.isnan(x).tolist() == [False, True, False, False, False]
    assert x.isinf().tolist() == [False, False, True, True, False]
    assert cr.isfinite(x).tolist() == [True, False, False, False, True]
    i = cr.tensor([1, 2])
    assert cr.isnan(i).tolist() == [False, False]
    assert cr.isfinite(i).tolist() == [True, True]
    assert x.any().item() is True
    assert x.all().item() is False
    m = cr.tensor([[0.0, 1.0], [0.0, 0.0]])
    assert m.any(dim=1).tolist() == [True, False]
    assert cr.all(m == 0, dim=0, keepdim=True).tolist() == [[True, False]]
    assert cr.any(m, dim=(0, 1)).item() is True
    assert cr.zeros(0).any().item() is False
    assert cr.zeros(0).all().item() is True
    assert cr.tensor([1, 2]).all().dtype == cr.bool
    with pytest.raises(IndexError, match="any"):
        m.any(dim=2)
    with pytest.raises(IndexError, match="all"):
        cr.all(m, dim=-3)


def test_isclose_allclose_equal() -> None:
    torch = pytest.importorskip("torch")
    a = [1.0, float("nan"), float("inf"), 1.0, 1e-9]
    b = [1.0 + 1e-9, float("nan"), float("inf"), 1.1, 0.0]
    for kw in ({}, {"equal_nan": True}, {"rtol": 0.2}, {"atol": 1e-8}):
        got = cr.isclose(cr.tensor(a, dtype=cr.float64), cr.tensor(b, dtype=cr.float64), **kw)
        want = torch.isclose(
            torch.tensor(a, dtype=torch.float64), torch.tensor(b, dtype=torch.float64), **kw
        )
        assert got.tolist() == want.tolist()
    x = cr.tensor([1.0, 2.0])
    assert cr.allclose(x, x + 1e-9) is True
    assert x.allclose(x + 1.0) is False
    assert cr.equal(x, x.clone()) is True
    assert x.equal(cr.tensor([1.0, 2.5])) is False
    assert cr.equal(x, cr.tensor([1.0, 2.0, 3.0])) is False
    assert cr.equal(cr.tensor([float("nan")]), cr.tensor([float("nan")])) is False
    with pytest.raises(TypeError, match="isclose"):
        cr.isclose(x, x.double())
    with pytest.raises(ValueError, match="isclose"):
        cr.isclose(x, x, rtol=-1.0)
    with pytest.raises(ValueError, match="isclose"):
        cr.isclose(x, cr.ones(3))


# ---- rounding division and bitwise ops -----------------------------------------------------


def test_floor_divide_remainder_vs_torch() -> None:
    torch = pytest.importorskip("torch")
    ai, bi = [5, -5, 7, -7, 0, 6], [3, 3, -2, -2, 4, -3]
    af = [5.5, -5.5, 7.0, -7.25, 0.0, -0.0, 1e308]
    bf = [2.0, 2.0, -2.0, -2.0, 3.0, 3.0, 1e-308]
    for a, b in ((ai, bi), (af, bf[: len(af)])):
        ca, cb, ta, tb = cr.tensor(a), cr.tensor(b), torch.tensor(a), torch.tensor(b)
        for cf, tf in (
            (lambda p, q: p // q, lambda p, q: p // q),
            (lambda p, q: p % q, lambda p, q: p % q),
            (
                lambda p, q: cr.div(p, q, rounding_mode="trunc"),
                lambda p, q: torch.div(p, q, rounding_mode="trunc"),
            ),
            (
                lambda p, q: p.div(q, rounding_mode="floor"),
                lambda p, q: p.div(q, rounding_mode="floor"),
            ),
        ):
            got, want = cf(ca, cb), tf(ta, tb)
            assert str(got.dtype).split(".")[-1] == str(want.dtype).split(".")[-1]
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert (cr.tensor([5.0]) % 0).isnan().all().item()
    assert (7 // cr.tensor([2, -2])).tolist() == [3, -4]
    assert (7 % cr.tensor([2, -2])).tolist() == [1, -1]
    assert cr.div(cr.tensor([3]), 2, rounding_mode=None).tolist() == [1.5]


def test_integer_division_by_minus_one_at_int64_min() -> None:
    """INT64_MIN / -1 overflows, and the x86 division traps (SIGFPE killed the process; found
    by the op fuzz): floor and trunc division wrap to INT64_MIN and remainder is 0, as torch's
    remainder and floor division give."""
    lo = -(2**63)
    x, d = cr.tensor([lo, 5, -7]), cr.tensor([-1, -1, -1])
    assert cr.remainder(x, d).tolist() == [0, 0, 0]
    assert (x % -1).tolist() == [0, 0, 0]
    for q in (
        cr.floor_divide(x, d),
        x // -1,
        cr.div(x, d, rounding_mode="floor"),
        cr.div(x, d, rounding_mode="trunc"),
    ):
        assert q.tolist() == [lo, -5, 7]


def test_div_gradient_with_tiny_or_huge_divisor() -> None:
    """d(a / b)/db = -dy * (a / b) / b, as torch: b * b overflows or vanishes in float32 for
    |b| beyond 1e+-19 where the quotients do not (the gradient of x / x was inf; op fuzz)."""
    torch = pytest.importorskip("torch")
    vals = np.array([1e-30, -3e-25, 2e25, 1.5], dtype=np.float32)
    grads = []
    for lib in (cr, torch):
        a = lib.tensor(vals, requires_grad=True)
        b = lib.tensor(vals * 3, requires_grad=True)
        (a / b + a / a).sum().backward()
        grads.append((a.grad.numpy(), b.grad.numpy()))
    for g, t in zip(grads[0], grads[1]):
        np.testing.assert_allclose(g, t, rtol=1e-6)


def test_rounding_gradients() -> None:
    torch = pytest.importorskip("torch")
    a, b = np.array([5.5, -3.25, 1.0]), np.array([2.0, 1.5, -0.75])
    x, y = cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True)
    tx, ty = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    r, tr = x % y, tx % ty
    assert r.grad_fn.name() == tr.grad_fn.name() == "RemainderBackward1"
    r.sum().backward()
    tr.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(y.grad.numpy(), ty.grad.numpy())
    assert (x % 2).grad_fn.name() == "RemainderBackward0"
    assert cr.autograd.gradcheck(
        lambda p, q: p % q, (cr.tensor(a, requires_grad=True), cr.tensor(b, requires_grad=True))
    )
    d = cr.div(x, y, rounding_mode="floor")
    assert d.grad_fn.name() == "DivBackward2"
    x.grad = None
    d.sum().backward()
    assert x.grad.tolist() == [0.0, 0.0, 0.0]
    f = x // y
    assert f.requires_grad
    assert f.grad_fn.name() == "NotImplemented"
    with pytest.raises(RuntimeError, match="floor_divide"):
        f.sum().backward()


def test_rounding_errors() -> None:
    with pytest.raises(RuntimeError, match="floor_divide"):
        cr.tensor([1, 2]) // 0
    with pytest.raises(RuntimeError, match="remainder"):
        cr.tensor([1, 2]) % cr.tensor([1, 0])
    with pytest.raises(RuntimeError, match="div"):
        cr.div(cr.tensor([1]), 0, rounding_mode="trunc")
    with pytest.raises(ValueError, match="div"):
        cr.div(cr.ones(2), 2, rounding_mode="round")
    with pytest.raises(TypeError, match="floor_divide"):
        cr.tensor([True]) // cr.tensor([True])
    with pytest.raises(ValueError, match="remainder"):
        cr.ones(2) % cr.ones(3)


def test_bitwise_ops() -> None:
    i, j = cr.tensor([1, 2, 12]), cr.tensor([3, 3, 10])
    assert (~i).tolist() == [-2, -3, -13]
    assert cr.bitwise_not(i).tolist() == [-2, -3, -13]
    assert (i & j).tolist() == [1, 2, 8]
    assert (i | j).tolist() == [3, 3, 14]
    assert (i ^ j).tolist() == [2, 1, 6]
    assert (i ^ 1).tolist() == [0, 3, 13]
    p, q = cr.tensor([True, False, True]), cr.tensor([True, True, False])
    assert (p ^ q).tolist() == [False, True, True]
    assert (p ^ q).dtype == cr.bool
    assert (~p).tolist() == [False, True, False]
    assert (p & q).tolist() == [True, False, False]
    assert (p | q).dtype == cr.bool
    assert cr.logical_xor(cr.tensor([0.0, 1.5]), cr.tensor([2.0, 0.5])).tolist() == [True, False]
    with pytest.raises(TypeError, match="bitwise_not"):
        ~cr.ones(2)
    with pytest.raises(TypeError, match="bitwise_xor"):
        cr.ones(2) ^ cr.ones(2)
    with pytest.raises(TypeError, match="bitwise_and"):
        i & 1.5
    assert (i.__and__("x")) is NotImplemented


def test_max_min_other_keyword() -> None:
    x = cr.tensor([[1.0, 5.0], [3.0, 9.0]])
    assert x.max(other=cr.tensor(4.0)).tolist() == [[4.0, 5.0], [4.0, 9.0]]
    assert cr.min(x, other=cr.tensor(4.0)).tolist() == [[1.0, 4.0], [3.0, 4.0]]
    assert cr.pow(x, exponent=2).tolist() == [[1.0, 25.0], [9.0, 81.0]]
