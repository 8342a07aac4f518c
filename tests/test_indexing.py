"""t[key] and t[key] = value: every key form (ints, slices with steps, None, ..., bools,
bool masks, int64 index tensors, lists, NumPy arrays and combinations, adjacent and separated
advanced indices) against torch, views sharing storage, and the error paths; then the
selection ops (unbind, masked_select, nonzero, where(cond), repeat_interleave) and scatter."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import chainrule as cr
from _shape_helpers import arr, compare, noncontig
from _torch_grad import grad_vs_torch


def T(*v: Any) -> Any:
    """An int64 index tensor for the library m: T(0, 2)(m)."""
    return lambda m: m.tensor(v[0] if len(v) == 1 and isinstance(v[0], list) else list(v))


def _key(m: Any, key: Any) -> Any:
    if callable(key):
        return key(m)
    if isinstance(key, tuple):
        return tuple(_key(m, k) for k in key)
    return key


def MASK(shape: tuple[int, ...], seed: int = 0) -> Any:
    values = np.random.default_rng(seed).random(shape) < 0.5
    return lambda m: m.from_numpy(values.copy())


# (name, x shape, key); keys that need a tensor are callables of the library.
GETITEM_CASES: list[tuple[str, tuple[int, ...], Any]] = [
    ("int", (4, 5, 6), 1),
    ("neg_int", (4, 5, 6), -1),
    ("ints", (4, 5, 6), (1, 2)),
    ("all_ints", (4, 5, 6), (-1, -2, -3)),
    ("slice", (4, 5, 6), slice(1, 3)),
    ("slice_step", (4, 5, 6), slice(None, None, 2)),
    ("slices_steps", (4, 5, 6), (slice(1, None, 2), slice(None, None, 3))),
    ("slice_neg_start", (4, 5, 6), slice(-3, None)),
    ("slice_second", (4, 5, 6), (slice(None), slice(-2, None))),
    ("slice_empty", (4, 5, 6), slice(3, 1)),
    ("slice_beyond", (4, 5, 6), slice(100, None)),
    ("slice_big_stop", (4, 5, 6), slice(-100, 100, 3)),
    ("none", (4, 5, 6), None),
    ("none_mid", (4, 5, 6), (slice(None), None)),
    ("none_both_ends", (4, 5, 6), (None, Ellipsis, None)),
    ("int_none_int", (4, 5, 6), (1, None, 2)),
    ("ellipsis", (4, 5, 6), Ellipsis),
    ("ellipsis_int", (4, 5, 6), (Ellipsis, 0)),
    ("int_ellipsis", (4, 5, 6), (0, Ellipsis)),
    ("ellipsis_int_slice", (4, 5, 6), (Ellipsis, 1, slice(None, None, 2))),
    ("two_ellipses", (4, 5, 6), (Ellipsis, 1, Ellipsis)),
    ("empty_tuple", (4, 5, 6), ()),
    ("true", (4, 5, 6), True),
    ("false", (4, 5, 6), False),
    ("int_true", (4, 5, 6), (1, True)),
    ("mask_full", (4, 5, 6), MASK((4, 5, 6))),
    ("mask_first_dim", (4, 5, 6), MASK((4,))),
    ("mask_two_dims", (4, 5, 6), MASK((4, 5))),
    ("slice_mask", (4, 5, 6), (slice(None), MASK((5,)))),
    ("mask_none", (4, 5, 6), lambda m: m.zeros(4, dtype=m.bool)),
    ("tensor_bool_0d", (4, 5, 6), lambda m: m.tensor(True)),
    ("index_1d", (4, 5, 6), T(0, 2, 2)),
    ("index_2d", (4, 5, 6), T([[0, 1], [3, 3]])),
    ("index_neg", (4, 5, 6), T(-1, 0, -4)),
    ("index_0d", (4, 5, 6), lambda m: m.tensor(1)),
    ("index_empty", (4, 5, 6), lambda m: m.zeros(0, dtype=m.int64)),
    ("list", (4, 5, 6), [0, 2]),
    ("list_neg", (4, 5, 6), [-1, 1, -1]),
    ("bool_list", (4, 5, 6), [True, False, True, False]),
    ("tuple_of_lists", (4, 5, 6), ([0, 1], [1, 2])),
    ("numpy_index", (4, 5, 6), (slice(None), np.array([4, 0]))),
    ("numpy_int", (4, 5, 6), np.int64(2)),
    ("adjacent_first", (4, 5, 6), (T(0, 3), T(1, 4))),
    ("adjacent_mid", (4, 5, 6), (slice(None), T(0, 3), T(1, 5))),
    ("adjacent_broadcast", (4, 5, 6), (slice(None), T([[0], [3]]), T(1, 5, 2))),
    ("separated", (4, 5, 6), (T(0, 3), slice(None), T(1, 5))),
    ("separated_2d", (4, 5, 6), (T([[0], [3]]), slice(1, 3), T(1, 5))),
    ("int_and_index", (4, 5, 6), (T(0, 3), 1)),
    ("int_then_index", (4, 5, 6), (0, slice(None), T(1, 5))),
    ("slice_then_index", (4, 5, 6), (slice(1, 3), T(2, 0))),
    ("none_then_index", (4, 5, 6), (None, T(2, 0))),
    ("index_none_index", (4, 5, 6), (T(2, 0), None, T(1, 1))),
    ("ellipsis_index", (4, 5, 6), (Ellipsis, T(5, 0))),
    ("mask_and_index", (4, 5, 6), (MASK((4,), seed=3), T(1))),
    ("list_with_slice", (4, 5, 6), (slice(None), [0, 4], slice(None, None, 2))),
    ("1d_all", (7,), slice(None)),
    ("1d_step", (7,), slice(1, None, 3)),
    ("0d_empty_tuple", (), ()),
    ("0d_ellipsis", (), Ellipsis),
    ("0d_none", (), None),
    ("0d_true", (), True),
    ("0d_mask", (), lambda m: m.tensor(False)),
    ("empty_int", (0, 3), (slice(None), 1)),
    ("empty_index", (0, 3), lambda m: m.zeros(0, dtype=m.int64)),
    ("empty_mask", (0, 3), lambda m: m.zeros(0, dtype=m.bool)),
]

# chainrule's basic-view nodes differ in name from torch's in a few cases (see report).
_STRICT = {"int", "slice", "slice_step", "index_1d", "index_2d", "separated", "mask_full"}


@pytest.mark.parametrize("contig", [True, False], ids=["contig", "noncontig"])
@pytest.mark.parametrize(("name", "shape", "key"), GETITEM_CASES, ids=[c[0] for c in GETITEM_CASES])
def test_getitem_matches_torch(name: str, shape: tuple[int, ...], key: Any, contig: bool) -> None:
    x = arr(*shape)
    if not contig:
        if x.ndim == 0:
            pytest.skip("0-d is always contiguous")
        x = noncontig(x)
    compare(lambda m, t: t[_key(m, key)], x, names=name in _STRICT)


def test_getitem_legacy_list_of_sequences_is_a_tuple() -> None:
    # PyTorch 2.13 reads x[[[0, 1], [2, 3]]] as x[[0, 1], [2, 3]] and warns.
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        compare(lambda m, t: t[[[0, 1], [2, 3]]], arr(4, 5, 6))
    with pytest.warns(UserWarning, match="non-tuple sequence"):
        compare(lambda m, t: t[[0, slice(None), None]], arr(4, 5, 6), names=False)


def test_getitem_int_tensor_input() -> None:
    compare(lambda m, t: t[_key(m, (T(1, 0), slice(None, None, 2)))], np.arange(12).reshape(3, 4))
    compare(lambda m, t: t[t > 5], np.arange(12).reshape(3, 4))


@pytest.mark.parametrize(
    "key",
    [
        1,
        -1,
        (0, 1),
        slice(1, 3),
        slice(None, None, 2),
        None,
        Ellipsis,
        (Ellipsis, 1),
        (None, 1, None),
    ],
)
def test_basic_indexing_returns_views(key: Any) -> None:
    x = cr.zeros(3, 4)
    v = x[key]
    v.fill_(5.0)
    assert x.numpy().max() == 5.0
    assert x._version == v._version


def test_getitem_results_are_new_objects() -> None:
    x = cr.zeros(3, 4)
    assert x[...] is not x
    assert x[()] is not x


def test_advanced_indexing_returns_a_copy() -> None:
    x = cr.zeros(3, 4)
    for key in ([0, 1], cr.tensor([1]), x > -1, True):
        y = x[key]
        y.fill_(1.0)
        assert x.numpy().max() == 0.0


def test_view_of_view_writes_through() -> None:
    x = cr.zeros(4, 6)
    v = x[1:, ::2][1]
    v[2] = 3.0
    assert x.numpy()[2, 4] == 3.0
    assert float(x.numpy().sum()) == 3.0


def test_index_gradient_accumulates_repeats() -> None:
    x = cr.zeros(3, requires_grad=True)
    y = x[[0, 0, 2, 0]]
    y.backward(cr.ones(4))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])
    assert y.grad_fn.name() == "IndexBackward0"


def test_index_backward_twice_needs_retain_graph() -> None:
    x = cr.zeros(3, requires_grad=True)
    y = x[[0, 1]]
    y.backward(cr.ones(2))
    with pytest.raises(RuntimeError, match="retain_graph"):
        y.backward(cr.ones(2))


@pytest.mark.parametrize(
    ("key", "exc", "match"),
    [
        (4, IndexError, "select: index 4 is out of bounds for dimension 0 with size 4"),
        (-5, IndexError, "index -5 is out of bounds"),
        ((0, 5), IndexError, "index 5 is out of bounds for dimension 0 with size 5"),
        ((0, 0, 0, 0), IndexError, "too many indices for tensor of dimension 3"),
        ((Ellipsis, 0, 0, 0, 0), IndexError, "too many indices"),
        (slice(None, None, -1), ValueError, "step must be greater than zero"),
        ((0, slice(None, None, -2)), ValueError, "step must be greater than zero"),
        (slice(None, None, 0), ValueError, "slice step cannot be zero"),
        (1.5, IndexError, r"only integers, slices .* \(got float\)"),
        ("a", IndexError, r"only integers, slices .* \(got str\)"),
        (
            lambda m: m.tensor([4]),
            IndexError,
            "index 4 is out of bounds for dimension 0 with size 4",
        ),
        (lambda m: m.tensor([-5]), IndexError, "index -5 is out of bounds"),
        (
            (slice(None), lambda m: m.tensor([0, 7])),
            IndexError,
            "index 7 is out of bounds for dimension 1 with size 5",
        ),
        (lambda m: m.tensor([1.0]), IndexError, "tensors used as indices must be long or bool"),
        ([0.5], IndexError, "tensors used as indices must be long or bool"),
        (lambda m: m.zeros(5, dtype=m.bool), IndexError, r"the shape of the mask \[5\] at index 0"),
        (
            (lambda m: m.tensor([0, 1]), lambda m: m.tensor([0, 1, 2])),
            IndexError,
            r"shape mismatch: indexing tensors could not be broadcast together with shapes "
            r"\[2\], \[3\]",
        ),
    ],
)
def test_getitem_errors(key: Any, exc: type[Exception], match: str) -> None:
    x = cr.zeros(4, 5, 6)
    with pytest.raises(exc, match=match):
        x[_key(cr, key)]


def test_getitem_0d_errors() -> None:
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        cr.zeros(())[0]
    with pytest.raises(IndexError, match="invalid index of a 0-dim tensor"):
        cr.zeros(())[:]


# ---- __setitem__ ---------------------------------------------------------------
def _set(key: Any, value: Any) -> Any:
    def fn(m: Any, t: Any, *values: Any) -> Any:
        v = values[0] if values else (value(m) if callable(value) else value)
        t[_key(m, key)] = v
        return t

    return fn


SETITEM_CASES: list[tuple[str, Any, Any, Any]] = [
    ("int_number", 1, 5.0, None),
    ("int_tensor", 1, None, arr(5, 6, seed=1)),
    ("int_broadcast_row", 1, None, arr(6, seed=1)),
    ("int_leading_ones", 1, None, arr(1, 1, 5, 6, seed=1)),
    ("slice_zero", (slice(None), slice(1, 3)), 0, None),
    ("step_row", (Ellipsis, slice(None, None, 2)), None, arr(3, seed=1)),
    ("none_int", (None, 0), None, arr(5, 6, seed=1)),
    ("ints", (0, 1, 2), -1.5, None),
    ("ellipsis_all", Ellipsis, 2.0, None),
    ("list_rows", [0, 2], 1.0, None),
    ("index_tensor_values", (T(0, 3), slice(None), T(1, 1)), None, arr(2, 5, seed=1)),
    ("separated_broadcast", (T(0, 3), slice(None), T(1, 1)), None, arr(5, seed=1)),
    ("adjacent", (slice(None), T(0, 4), T(5, 0)), None, arr(4, 2, seed=1)),
    ("mask_number", MASK((4, 5, 6)), 0.0, None),
    ("mask_rows", MASK((4,)), None, arr(5, 6, seed=1)),
    ("true", True, 3.0, None),
    ("tensor_bool_value", (0, 0), lambda m: m.tensor(True), None),
]


@pytest.mark.parametrize("contig", [True, False], ids=["contig", "noncontig"])
@pytest.mark.parametrize(
    ("name", "key", "value", "tensor_value"), SETITEM_CASES, ids=[c[0] for c in SETITEM_CASES]
)
def test_setitem_matches_torch(
    name: str, key: Any, value: Any, tensor_value: Any, contig: bool
) -> None:
    x = arr(4, 5, 6)
    if not contig:
        x = noncontig(x)
    inputs = [x] if tensor_value is None else [x, tensor_value]
    compare(_set(key, value), *inputs, grad=False)


def test_setitem_python_list_value() -> None:
    x = cr.zeros(2, 3)
    x[0] = [1.0, 2.0, 3.0]
    x[1, 1:] = [[5, 6]]
    assert x.tolist() == [[1.0, 2.0, 3.0], [0.0, 5.0, 6.0]]


def test_setitem_casts_to_target_dtype() -> None:
    compare(_set(1, 2.7), np.arange(12).reshape(3, 4), grad=False)
    compare(_set(slice(None), None), np.arange(12).reshape(3, 4), arr(4), grad=False)
    x = cr.zeros(3, dtype=cr.bool)
    x[1] = 1
    assert x.tolist() == [False, True, False]


def test_setitem_bumps_version_and_writes_through_views() -> None:
    x = cr.zeros(3, 4)
    v = x[1]
    before = x._version
    v[1:3] = 7.0
    assert x._version > before
    assert x.numpy()[1].tolist() == [0.0, 7.0, 7.0, 0.0]
    v[[0, 3]] = 2.0
    assert x.numpy()[1].tolist() == [2.0, 7.0, 7.0, 2.0]


def test_setitem_overlapping_source() -> None:
    x = cr.tensor([0.0, 1.0, 2.0, 3.0])
    x[1:] = x[:-1]
    assert x.tolist() == [0.0, 0.0, 1.0, 2.0]
    y = cr.tensor([0.0, 1.0, 2.0, 3.0])
    y[[1, 2, 3]] = y[:3]
    assert y.tolist() == [0.0, 0.0, 1.0, 2.0]


def test_setitem_through_numpy_view() -> None:
    a = np.zeros((2, 3))
    t = cr.from_numpy(a)
    t[0, ::2] = 1.0
    assert a.tolist() == [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]]


@pytest.mark.parametrize(
    ("fn", "exc", "match"),
    [
        (lambda x: x.__setitem__(0, cr.ones(5)), ValueError, "copy_"),
        (
            lambda x: x.__setitem__([0, 1], cr.ones(3)),
            ValueError,
            r"index_put_: shape mismatch: value tensor of shape \[3\] cannot be broadcast to "
            r"indexing result of shape \[2, 4\]",
        ),
        (lambda x: x.__setitem__(5, 1.0), IndexError, "index 5 is out of bounds"),
        (lambda x: x.__setitem__([5], 1.0), IndexError, "index 5 is out of bounds"),
        (lambda x: x.__setitem__(slice(None, None, -1), 1.0), ValueError, "step must be greater"),
        (lambda x: x.__setitem__(0, object()), TypeError, "__setitem__"),
    ],
)
def test_setitem_errors(fn: Any, exc: type[Exception], match: str) -> None:
    x = cr.zeros(3, 4)
    with pytest.raises(exc, match=match):
        fn(x)
    assert x.numpy().max() == 0.0  # nothing was written


@pytest.mark.parametrize("key", [0, slice(1, 2), [0, 1], Ellipsis])
def test_setitem_on_tensor_requiring_grad_raises(key: Any) -> None:
    w = cr.zeros(3, 4, requires_grad=True)
    with pytest.raises(RuntimeError, match="__setitem__"):
        w[key] = 1.0
    h = w * 2.0
    with pytest.raises(RuntimeError, match="__setitem__"):
        h[key] = 1.0


def test_setitem_value_requiring_grad_raises() -> None:
    x = cr.zeros(3, 4)
    with pytest.raises(RuntimeError, match="__setitem__: assigning a value that requires grad"):
        x[0] = cr.ones(4, requires_grad=True)


def test_setitem_read_only_numpy() -> None:
    a = np.zeros(3)
    a.setflags(write=False)
    t = cr.from_numpy(a)
    with pytest.raises(RuntimeError, match="read-only"):
        t[0] = 1.0
    with pytest.raises(RuntimeError, match="read-only"):
        t[[0]] = 1.0


def test_setitem_under_no_grad_on_leaf() -> None:
    w = cr.zeros(3, requires_grad=True)
    cr._C._set_grad_enabled(False)
    try:
        w[1] = 2.0
        w[[0]] = 1.0
    finally:
        cr._C._set_grad_enabled(True)
    assert w.detach().tolist() == [1.0, 2.0, 0.0]
    assert w.requires_grad
    assert w.is_leaf


def test_index_put_method() -> None:
    x = cr.zeros(3, 4)
    x.index_put_((cr.tensor([0, 2]), None), cr.tensor(1.0))
    np.testing.assert_array_equal(x.numpy().sum(axis=1), [4.0, 0.0, 4.0])


# ---- selection and scatter ----

RNG = np.random.default_rng(42)
A34 = RNG.normal(size=(3, 4))
A234 = RNG.normal(size=(2, 3, 4))


def test_unbind_and_iteration() -> None:
    torch = pytest.importorskip("torch")
    grad_vs_torch(lambda x: x.unbind(1), lambda x: x.unbind(1), A34)
    grad_vs_torch(lambda x: cr.unbind(x)[:1], lambda x: torch.unbind(x)[:1], A234)  # some unused
    x = cr.arange(6.0).reshape(2, 3)
    parts = x.unbind(1)
    assert isinstance(parts, tuple)
    assert len(parts) == 3
    assert parts[1].tolist() == [1.0, 4.0]
    parts[0][0] = 10.0  # views share storage
    assert x[0, 0].item() == 10.0
    y = cr.arange(3.0).requires_grad_()
    assert [v.grad_fn.name() for v in y] == ["UnbindBackward0"] * 3
    with pytest.raises(IndexError, match="unbind"):
        cr.tensor(1.0).unbind()
    with pytest.raises(IndexError, match="unbind"):
        x.unbind(2)


def test_masked_select_nonzero_where() -> None:
    torch = pytest.importorskip("torch")
    mask = A34 > 0
    grad_vs_torch(
        lambda x: x.masked_select(cr.tensor(mask)),
        lambda x: x.masked_select(torch.tensor(mask)),
        A34,
    )
    grad_vs_torch(
        lambda x: cr.masked_select(x, cr.tensor(mask)),
        lambda x: torch.masked_select(x, torch.tensor(mask)),
        A34[0],
    )  # x broadcast
    x = cr.arange(12.0).reshape(3, 4)
    assert cr.nonzero(x > 9).tolist() == [[2, 2], [2, 3]]
    assert cr.nonzero(cr.tensor(3.0)).shape == (1, 0)
    rows, cols = (x > 9).nonzero(as_tuple=True)
    assert rows.tolist() == [2, 2]
    assert cols.tolist() == [2, 3]
    assert [t.tolist() for t in cr.where(x > 9)] == [[2, 2], [2, 3]]
    assert [t.tolist() for t in cr.nonzero(cr.tensor(3.0), as_tuple=True)] == [[0]]
    assert cr.nonzero(cr.tensor([0.0, float("nan")])).tolist() == [[1]]
    assert cr.argwhere(cr.tensor([0, 2])).tolist() == [[1]]
    with pytest.raises(TypeError, match="masked_select"):
        x.masked_select(cr.ones(3, 4))
    with pytest.raises(ValueError, match="masked_select"):
        x.masked_select(cr.ones(2, dtype=cr.bool))


def test_repeat_interleave() -> None:
    torch = pytest.importorskip("torch")
    grad_vs_torch(lambda x: x.repeat_interleave(2), lambda x: x.repeat_interleave(2), A34)
    grad_vs_torch(
        lambda x: x.repeat_interleave(3, dim=1), lambda x: x.repeat_interleave(3, dim=1), A234
    )
    grad_vs_torch(
        lambda x: x.repeat_interleave(cr.tensor([2, 0, 1]), dim=0),
        lambda x: x.repeat_interleave(torch.tensor([2, 0, 1]), dim=0),
        A34,
    )
    assert cr.repeat_interleave(cr.tensor([1, 2]), 2).tolist() == [1, 1, 2, 2]
    assert cr.tensor(3).repeat_interleave(2).tolist() == [3, 3]
    assert cr.ones(2, 3).repeat_interleave(0, dim=1).shape == (2, 0)
    with pytest.raises(ValueError, match="repeat_interleave"):
        cr.ones(2).repeat_interleave(-1)
    with pytest.raises(ValueError, match="repeat_interleave"):
        cr.ones(2).repeat_interleave(cr.tensor([1, 2, 3]))
    with pytest.raises(TypeError, match="repeat_interleave"):
        cr.ones(2).repeat_interleave(cr.tensor([1.0, 2.0]))


def test_scatter() -> None:
    torch = pytest.importorskip("torch")
    idx = [[0, 2], [1, 3], [3, 0]]
    src = RNG.normal(size=(3, 2))
    grad_vs_torch(
        lambda x, s: x.scatter(1, cr.tensor(idx), s),
        lambda x, s: x.scatter(1, torch.tensor(idx), s),
        A34,
        src,
    )
    grad_vs_torch(
        lambda x: cr.scatter(x, 1, cr.tensor(idx), value=2.5),
        lambda x: torch.scatter(x, 1, torch.tensor(idx), value=2.5),
        A34,
    )
    grad_vs_torch(
        lambda x, s: (x * 1.0).scatter_(0, cr.tensor([[2, 0, 1, 0]]), s),
        lambda x, s: (x * 1.0).scatter_(0, torch.tensor([[2, 0, 1, 0]]), s),
        A34,
        RNG.normal(size=(1, 4)),
    )
    # src larger than index: only its leading block is read (and gets gradient)
    big = RNG.normal(size=(4, 5))
    assert cr.autograd.gradcheck(
        lambda x, s: x.scatter(1, cr.tensor(idx), s),
        (cr.tensor(A34, requires_grad=True), cr.tensor(big, requires_grad=True)),
    )
    want = torch.tensor(A34).scatter(1, torch.tensor(idx), torch.tensor(big))
    np.testing.assert_array_equal(
        cr.tensor(A34).scatter(1, cr.tensor(idx), cr.tensor(big)).numpy(), want.numpy()
    )
    z = cr.zeros(3, 4)
    assert z.scatter_(1, cr.tensor([[0], [1], [2]]), 1.0) is z
    assert z.sum().item() == 3.0
    with pytest.raises(IndexError, match="scatter"):
        cr.zeros(3, 4).scatter(1, cr.tensor([[4]]), 1.0)
    with pytest.raises(TypeError, match="scatter"):
        cr.zeros(3, 4).scatter(1, cr.tensor([[1.0]]), 1.0)
    with pytest.raises(TypeError, match="scatter"):
        cr.zeros(3, 4).scatter(1, cr.tensor([[1]]), cr.ones(1, 1, dtype=cr.float64))
    with pytest.raises(ValueError, match="scatter"):
        cr.zeros(3, 4).scatter(1, cr.tensor([1]), 1.0)
    with pytest.raises(ValueError, match="scatter"):
        cr.zeros(3, 4).scatter(1, cr.tensor([[1, 2]]), cr.ones(1, 1))
    with pytest.raises(TypeError, match="scatter"):
        cr.zeros(3, 4).scatter(1, cr.tensor([[1]]))
    x = cr.zeros(2, 2)
    with pytest.raises(IndexError, match="scatter_"):
        x.scatter_(0, cr.tensor([[5, 0]]), 1.0)
    assert x.sum().item() == 0.0  # nothing written
