"""Regressions of issue #11 that span many ops, each decided as PyTorch decides (refused with
the same exception type, or accepted with its values): in-place writes into tensors whose
elements share memory (expanded views), and Python numbers written into int64 / bool tensors
(nan, inf, out of range), clamp of int tensors by such bounds and by NaN."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chainrule as cr

torch = pytest.importorskip("torch")


def _outcome(lib: Any, base_shape: tuple, shape: tuple, fn: Callable[[Any, Any], Any]) -> Any:
    """fn(lib, base.expand(shape)) -> ("ok", base's values) or ("raises", exception type)."""
    base = lib.zeros(base_shape)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch deprecates index_put_/masked_fill_ here
            fn(lib, base.expand(*shape))
    except Exception as e:  # any type: compared with torch's below
        return ("raises", type(e))
    return ("ok", np.asarray(base.tolist()))


def _mask(lib: Any, n: int) -> Any:
    return lib.tensor([i % 3 == 0 for i in range(n)])


# in-place ops on b.expand(4) (b of shape (1,)): name, fn(lib, expanded)
OVERLAP_CASES: list[tuple[str, Callable[[Any, Any], Any]]] = [
    ("add_", lambda m, e: e.add_(m.ones(4))),
    ("add_scalar", lambda m, e: e.add_(1)),
    ("iadd", lambda m, e: e.__iadd__(1)),
    ("sub_", lambda m, e: e.sub_(2)),
    ("mul_", lambda m, e: e.mul_(2)),
    ("imul_tensor", lambda m, e: e.__imul__(m.ones(4))),
    ("div_", lambda m, e: e.div_(2)),
    ("pow_", lambda m, e: e.pow_(2)),
    ("copy_", lambda m, e: e.copy_(m.ones(4))),
    ("copy_broadcast", lambda m, e: e.copy_(m.ones(1))),
    ("clamp_", lambda m, e: e.clamp_(0.5)),
    ("clamp_min_", lambda m, e: e.clamp_min_(0.5)),
    ("neg_", lambda m, e: e.neg_()),
    ("exp_", lambda m, e: e.exp_()),
    ("sigmoid_", lambda m, e: e.sigmoid_()),
    ("relu_", lambda m, e: e.relu_()),
    ("F.relu_inplace", lambda m, e: m.nn.functional.relu(e, inplace=True)),
    ("F.leaky_relu_", lambda m, e: m.nn.functional.leaky_relu_(e)),
    ("F.hardtanh_", lambda m, e: m.nn.functional.hardtanh_(e)),
    ("F.elu_", lambda m, e: m.nn.functional.elu_(e)),
    ("uniform_", lambda m, e: e.uniform_()),
    ("normal_", lambda m, e: e.normal_()),
    ("bernoulli_", lambda m, e: e.bernoulli_()),
    ("init.uniform_", lambda m, e: m.nn.init.uniform_(e)),
    ("scatter_", lambda m, e: e.scatter_(0, m.tensor([0]), m.tensor([1.0]))),
    ("scatter_value", lambda m, e: e.scatter_(0, m.tensor([0]), 1.0)),
    ("fill_tensor", lambda m, e: e.fill_(m.tensor(3.0))),
    ("setitem_slice", lambda m, e: e.__setitem__(slice(None), 5.0)),
    ("setitem_ellipsis", lambda m, e: e.__setitem__(Ellipsis, 5.0)),
    ("setitem_tensor", lambda m, e: e.__setitem__(slice(1, 3), m.ones(2))),
    # accepted by torch: one value for every element written
    ("fill_", lambda m, e: e.fill_(3)),
    ("zero_", lambda m, e: e.zero_()),
    ("init.constant_", lambda m, e: m.nn.init.constant_(e, 3.0)),
    ("init.ones_", lambda m, e: m.nn.init.ones_(e)),
    ("setitem_int", lambda m, e: e.__setitem__(2, 5.0)),
    ("setitem_index", lambda m, e: e.__setitem__(m.tensor([0, 2]), 3.0)),
    ("setitem_mask", lambda m, e: e.__setitem__(m.tensor([True, False, True, True]), 3.0)),
    ("index_put_", lambda m, e: e.index_put_((m.tensor([0, 1]),), m.tensor(2.0))),
    ("masked_fill_", lambda m, e: e.masked_fill_(_mask(m, 4), 2.0)),
    ("masked_fill_tensor", lambda m, e: e.masked_fill_(_mask(m, 4), m.tensor(2.0))),
]


@pytest.mark.parametrize(("name", "fn"), OVERLAP_CASES, ids=[c[0] for c in OVERLAP_CASES])
def test_inplace_on_expanded_matches_torch(name: str, fn: Callable[[Any, Any], Any]) -> None:
    threads = cr.get_num_threads()
    cr.set_num_threads(2)  # the writes raced between threads
    try:
        got = _outcome(cr, (1,), (4,), fn)
    finally:
        cr.set_num_threads(threads)
    ref = _outcome(torch, (1,), (4,), fn)
    assert got[0] == ref[0], f"{name}: chainrule {got}, torch {ref}"
    if ref[0] == "raises":
        assert got[1] is RuntimeError
    else:
        np.testing.assert_array_equal(got[1], ref[1])


def test_inplace_overlap_reproducer_and_message() -> None:
    b = cr.zeros(1)
    with pytest.raises(
        RuntimeError,
        match=r"add_: unsupported operation: more than one element "
        r"of the written-to tensor refers to a single memory location \(shape "
        r"\(4,\), strides \(0,\)\)\. Please clone\(\)",
    ):
        b.expand(4).add_(cr.ones(4))
    assert b.tolist() == [0.0]  # refused before anything was written
    c = cr.zeros(3, 1)
    with pytest.raises(RuntimeError, match=r"mul_: .*\(shape \(3, 5\), strides \(1, 0\)\)"):
        c.expand(3, 5).mul_(2)
    e = b.expand(4).clone()  # the advice works
    e.add_(cr.ones(4))
    assert e.tolist() == [1.0] * 4


# views that look expanded but write each address once: never refused
@pytest.mark.parametrize(
    ("base_shape", "shape", "fn"),
    [
        ((1, 3), (1, 3), lambda m, e: e.add_(1)),  # stride 0 only on a size-1 dim
        ((0, 1), (0, 4), lambda m, e: e.add_(1)),  # no elements
        ((1, 3), (4, 3), lambda m, e: e.__setitem__(1, 3.0)),  # one row of an expanded matrix
        ((1, 3), (4, 3), lambda m, e: e[2].mul_(2)),
        ((3, 1), (3, 5), lambda m, e: e[:, 2].add_(1)),  # one column
    ],
)
def test_inplace_on_views_without_overlap(base_shape: tuple, shape: tuple, fn: Any) -> None:
    got, ref = _outcome(cr, base_shape, shape, fn), _outcome(torch, base_shape, shape, fn)
    assert got[0] == ref[0] == "ok"
    np.testing.assert_array_equal(got[1], ref[1])


@pytest.mark.parametrize("threads", [1, 2])
def test_masked_fill_on_expanded_writes_only_masked_elements(threads: int) -> None:
    # an element outside the mask must not write its old value back over a fill of the same
    # address: rows of an expanded column, large enough to split between threads
    old = cr.get_num_threads()
    cr.set_num_threads(threads)
    try:
        for n in (5, 200_003):
            for lib in (cr, torch):
                base = lib.zeros(3, 1)
                mask = lib.zeros(3, n, dtype=lib.bool)
                mask[0, n // 2] = True
                mask[2] = True
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    base.expand(3, n).masked_fill_(mask, 4.0)
                assert base.flatten().tolist() == [4.0, 0.0, 4.0], lib.__name__
            b = cr.zeros(1)
            b.expand(n).masked_fill_(_mask(cr, n), 2.0)
            assert b.tolist() == [2.0]
    finally:
        cr.set_num_threads(old)


# ---- Python numbers written into int64 / bool tensors ------------------------------------------
# nan, +-inf and values beyond int64 became INT64_MIN; torch refuses them (RuntimeError "value
# cannot be converted to type int64_t without overflow") and converts the rest (truncating).
def _setitem(x: Any, key: Any, v: Any) -> Any:
    x[key] = v
    return x


SCALAR_INTO_INT_CASES: list[tuple[str, Callable[[Any, Any, Any], Any]]] = [
    ("fill_", lambda m, dt, v: m.zeros(3, dtype=dt).fill_(v)),
    ("full", lambda m, dt, v: m.full((2,), v, dtype=dt)),
    ("full_like", lambda m, dt, v: m.full_like(m.zeros(2, dtype=dt), v)),
    ("new_full", lambda m, dt, v: m.zeros(2, dtype=dt).new_full((2,), v)),
    ("setitem_int", lambda m, dt, v: _setitem(m.zeros(3, dtype=dt), 1, v)),
    ("setitem_slice", lambda m, dt, v: _setitem(m.zeros(3, dtype=dt), slice(None), v)),
    ("setitem_row", lambda m, dt, v: _setitem(m.zeros(2, 3, dtype=dt), 0, v)),
    ("setitem_mask", lambda m, dt, v: _setitem(m.zeros(3, dtype=dt), m.tensor([1, 0, 1]) > 0, v)),
    ("setitem_index", lambda m, dt, v: _setitem(m.zeros(3, dtype=dt), m.tensor([0, 2]), v)),
    ("masked_fill", lambda m, dt, v: m.zeros(3, dtype=dt).masked_fill(m.tensor([1, 0, 1]) > 0, v)),
    (
        "masked_fill_",
        lambda m, dt, v: m.zeros(3, dtype=dt).masked_fill_(m.tensor([1, 0, 1]) > 0, v),
    ),
    ("scatter_", lambda m, dt, v: m.zeros(3, dtype=dt).scatter_(0, m.tensor([1]), value=v)),
    ("scatter", lambda m, dt, v: m.zeros(3, dtype=dt).scatter(0, m.tensor([1]), value=v)),
    ("tensor_list", lambda m, dt, v: m.tensor([[1.0, v]], dtype=dt)),
    ("tensor_number", lambda m, dt, v: m.tensor(v, dtype=dt)),
]
NAN, INF = float("nan"), float("inf")
SCALAR_VALUES = [NAN, INF, -INF, 1e30, -1e30, 9.3e18, -9.3e18, 9.2e18, -(2.0**63), 1.5, -1.5, 7.0]


@pytest.mark.parametrize("value", SCALAR_VALUES, ids=repr)
@pytest.mark.parametrize(
    ("name", "fn"), SCALAR_INTO_INT_CASES, ids=[c[0] for c in SCALAR_INTO_INT_CASES]
)
@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_python_number_into_int_matches_torch(name: str, fn: Any, value: float, dtype: str) -> None:
    def run(lib: Any) -> Any:
        try:
            return ("ok", np.asarray(fn(lib, getattr(lib, dtype), value).tolist()))
        except Exception as e:  # any type: compared with torch's below
            return ("raises", type(e), str(e))

    got, ref = run(cr), run(torch)
    assert got[0] == ref[0], f"{name}({value!r}) into {dtype}: chainrule {got}, torch {ref}"
    if ref[0] == "raises":
        assert got[1] is RuntimeError
        assert "value cannot be converted to type int64 without overflow" in got[2]
    else:
        np.testing.assert_array_equal(got[1], ref[1])


def test_python_number_into_int_reproducers_and_messages() -> None:
    with pytest.raises(
        RuntimeError,
        match=r"fill_: value cannot be converted to type int64 "
        r"without overflow \(got nan\)",
    ):
        cr.zeros(3, dtype=cr.int64).fill_(NAN)
    t = cr.zeros(3, dtype=cr.int64)
    with pytest.raises(RuntimeError, match=r"__setitem__: .*\(got inf\)"):
        t[1] = INF
    assert t.tolist() == [0, 0, 0]  # refused before writing
    with pytest.raises(RuntimeError, match=r"fill_: .*\(got nan\)"):
        cr.full((2,), NAN, dtype=cr.int64)
    with pytest.raises(RuntimeError, match=r"masked_fill: .*\(got -inf\)"):
        t.masked_fill(cr.tensor([True, False, True]), -INF)
    with pytest.raises(RuntimeError, match=r"tensor: .*\(got 1e\+30\)"):
        cr.tensor([1.0, 1e30], dtype=cr.int64)
    # 2^63 itself has no int64 value either: torch's check lets it through to an undefined cast
    # (INT64_MIN on x86); chainrule refuses it with the rest
    with pytest.raises(RuntimeError, match="without overflow"):
        cr.zeros(1, dtype=cr.int64).fill_(2.0**63)
    # the largest double below 2^63 and -2^63 convert exactly
    assert cr.full((1,), 2.0**63 - 1024, dtype=cr.int64).item() == 2**63 - 1024
    assert cr.full((1,), -(2.0**63), dtype=cr.int64).item() == -(2**63)


def test_tensors_and_arrays_into_int_are_cast_unchecked_as_torch() -> None:
    # a float tensor or array value is converted, not checked, by torch as well: only finite
    # in-range values have a defined result to compare
    a = np.array([1.5, -2.7, 9.2e18, -9.2e18])
    for got, ref in (
        (cr.tensor(a, dtype=cr.int64), torch.tensor(a, dtype=torch.int64)),
        (cr.tensor(a).to(cr.int64), torch.tensor(a).to(torch.int64)),
        (
            cr.zeros(4, dtype=cr.int64).copy_(cr.tensor(a)),
            torch.zeros(4, dtype=torch.int64).copy_(torch.tensor(a)),
        ),
        (
            cr.zeros(4, dtype=cr.int64).fill_(cr.tensor(-2.7)),
            torch.zeros(4, dtype=torch.int64).fill_(torch.tensor(-2.7)),
        ),
    ):
        assert got.tolist() == ref.tolist()
    cr.tensor(np.array([NAN]), dtype=cr.int64)  # an array is not refused (torch neither)
    cr.zeros(2, dtype=cr.int64).fill_(cr.tensor(NAN))


@pytest.mark.parametrize("bound", [NAN, INF, -INF, 1e30, -1e30, 9.3e18, 2.5])
@pytest.mark.parametrize("side", ["min", "max"])
def test_clamp_int_tensor_by_non_int64_bound(bound: float, side: str) -> None:
    # a bound with no int64 value makes the result float, as torch (it clamped in int64 to
    # INT64_MIN before); the in-place forms refuse it
    values = [-3, 0, 5]
    got = cr.tensor(values).clamp(**{side: bound})
    ref = torch.tensor(values).clamp(**{side: bound})
    assert got.dtype == cr.float32
    np.testing.assert_array_equal(got.numpy(), ref.numpy())
    with pytest.raises(RuntimeError):
        torch.tensor(values).clamp_(**{side: bound})
    t = cr.tensor(values)
    # chainrule raises TypeError for a result dtype an in-place op cannot hold (as add_ does)
    with pytest.raises(TypeError, match="clamp_: result type float32 can't be cast"):
        t.clamp_(**{side: bound})
    assert t.tolist() == values


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clamp_nan_bound_gives_nan_as_torch(dtype: Any) -> None:
    x = np.array([-1.0, 0.5, NAN, 3.0], dtype=dtype)
    for kw in ({"min": NAN}, {"max": NAN}, {"min": 0.0, "max": NAN}, {"min": NAN, "max": 1.0}):
        cx = cr.tensor(x, requires_grad=True)
        tx = torch.tensor(x, requires_grad=True)
        cy, ty = cx.clamp(**kw), tx.clamp(**kw)
        np.testing.assert_array_equal(cy.detach().numpy(), ty.detach().numpy())
        cy.sum().backward()
        ty.sum().backward()
        np.testing.assert_array_equal(cx.grad.numpy(), tx.grad.numpy())
        c2, t2 = cr.tensor(x), torch.tensor(x)
        c2.clamp_(**kw)
        t2.clamp_(**kw)
        np.testing.assert_array_equal(c2.numpy(), t2.numpy())


def test_integer_pow_that_overflows_wraps_like_torch() -> None:
    # int64 ** int64 beyond 2**63 wraps (two's complement), as PyTorch's; the products were
    # signed overflow, undefined behaviour that UBSan reported.
    x = cr.pow(cr.tensor([-3, 2, 5]), cr.tensor([2**40, 70, 3]))
    assert x.tolist() == [-7860764868738023423, 0, 125]
    assert (cr.tensor([3]) ** 40).tolist() == [-6289078614652622815]
