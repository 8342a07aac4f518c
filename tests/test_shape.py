"""View ops, joining/splitting copies, tril/triu, index_select and gather: values and
gradients against torch (float64), non-contiguous, 0-d and empty inputs, storage sharing
and every error path."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import chainrule as cr
from _shape_helpers import arr, compare, noncontig

# ---- views -------------------------------------------------------------------
VIEW_CASES: list[tuple[str, Any, list[Any]]] = [
    ("view_args", lambda m, x: x.view(4, 6), [arr(2, 3, 4)]),
    ("view_tuple", lambda m, x: x.view((6, -1)), [arr(2, 3, 4)]),
    ("view_0d", lambda m, x: x.view(1, 1), [arr()]),
    ("view_to_0d", lambda m, x: x.view(()), [arr(1, 1)]),
    ("view_empty", lambda m, x: x.view(-1, 2), [arr(0, 4)]),
    ("view_as", lambda m, x, y: x.view_as(y), [arr(2, 6), arr(3, 4)]),
    ("reshape_fn", lambda m, x: m.reshape(x, (4, -1)), [arr(2, 3, 4)]),
    ("reshape_method", lambda m, x: x.reshape(3, 8), [arr(2, 3, 4)]),
    ("reshape_noncontig", lambda m, x: x.reshape(-1), [noncontig(arr(3, 4))]),
    ("reshape_transposed", lambda m, x: x.T.reshape(12), [arr(3, 4)]),
    ("flatten", lambda m, x: m.flatten(x), [arr(2, 3, 4)]),
    ("flatten_range", lambda m, x: x.flatten(1, 2), [arr(2, 3, 4, 5)]),
    ("flatten_0d", lambda m, x: x.flatten(), [arr()]),
    ("unflatten", lambda m, x: m.unflatten(x, 1, (2, -1)), [arr(3, 8)]),
    ("unflatten_method", lambda m, x: x.unflatten(-1, (2, 2, 2)), [arr(3, 8)]),
    ("squeeze_all", lambda m, x: m.squeeze(x), [arr(1, 3, 1, 4)]),
    ("squeeze_dim", lambda m, x: x.squeeze(2), [arr(1, 3, 1, 4)]),
    ("squeeze_non1", lambda m, x: x.squeeze(1), [arr(1, 3, 1, 4)]),
    ("squeeze_tuple", lambda m, x: x.squeeze((0, -2)), [arr(1, 3, 1, 4)]),
    ("unsqueeze", lambda m, x: m.unsqueeze(x, 1), [arr(3, 4)]),
    ("unsqueeze_neg", lambda m, x: x.unsqueeze(-1), [arr(3, 4)]),
    ("unsqueeze_0d", lambda m, x: x.unsqueeze(0), [arr()]),
    ("transpose", lambda m, x: m.transpose(x, 0, 2), [arr(2, 3, 4)]),
    ("transpose_method", lambda m, x: x.transpose(-1, -2), [noncontig(arr(3, 4))]),
    ("swapaxes", lambda m, x: x.swapaxes(0, 1), [arr(3, 4)]),
    ("permute_fn", lambda m, x: m.permute(x, (2, 0, 1)), [arr(2, 3, 4)]),
    ("permute_method", lambda m, x: x.permute(1, 2, 0), [arr(2, 3, 4)]),
    ("expand", lambda m, x: x.expand(2, 3, 4), [arr(3, 1)]),
    ("expand_minus1", lambda m, x: x.expand(-1, 5), [arr(3, 1)]),
    ("expand_as", lambda m, x, y: x.expand_as(y), [arr(4), arr(3, 4)]),
    ("narrow", lambda m, x: m.narrow(x, 1, 1, 2), [arr(3, 4)]),
    ("narrow_method", lambda m, x: x.narrow(0, -2, 2), [arr(3, 4)]),
    ("select", lambda m, x: m.select(x, 1, -1), [arr(3, 4)]),
    ("T", lambda m, x: x.T, [arr(3, 4)]),
    ("mT", lambda m, x: x.mT, [arr(2, 3, 4)]),
    ("t", lambda m, x: x.t(), [arr(3, 4)]),
    ("t_1d", lambda m, x: m.t(x), [arr(3)]),
    ("chain", lambda m, x: x.T.reshape(2, 6)[1:].unsqueeze(0).expand(3, 1, 6), [arr(3, 4)]),
]

# chainrule's view nodes are ViewBackward0 where torch has op-specific names (see report).
_LOOSE_NAMES = {
    "view_0d",
    "view_to_0d",
    "reshape_noncontig",
    "reshape_transposed",
    "flatten_0d",
    "squeeze_all",
    "squeeze_dim",
    "squeeze_non1",
    "squeeze_tuple",
    "unsqueeze",
    "unsqueeze_neg",
    "unsqueeze_0d",
    "unflatten",
    "unflatten_method",
    "flatten",
    "flatten_range",
    "reshape_fn",
    "reshape_method",
    "chain",
    "view_empty",
    "t_1d",
    "T",
}


@pytest.mark.parametrize(("name", "fn", "inputs"), VIEW_CASES, ids=[c[0] for c in VIEW_CASES])
def test_views_match_torch(name: str, fn: Any, inputs: list[Any]) -> None:
    compare(fn, *inputs, names=name not in _LOOSE_NAMES)


@pytest.mark.parametrize(
    "fn",
    [
        lambda x: x.view(12),
        lambda x: x.reshape(4, 3),
        lambda x: x.T,
        lambda x: x.transpose(0, 1),
        lambda x: x.permute(1, 0),
        lambda x: x.unsqueeze(0),
        lambda x: x.squeeze(),
        lambda x: x.narrow(1, 1, 2),
        lambda x: x.select(0, 1),
        lambda x: x.expand(2, 3, 4),
        lambda x: x.flatten(),
        lambda x: x.unflatten(1, (2, 2)),
        lambda x: x.split(2)[1],
        lambda x: x.chunk(2, 1)[1],
        lambda x: x.mT,
    ],
)
def test_views_share_storage(fn: Any) -> None:
    x = cr.zeros(3, 4)
    v = fn(x)
    assert v.data_ptr() >= x.data_ptr()
    v.fill_(7.0)  # writes through the view
    assert float(x.numpy().max()) == 7.0
    assert x._version == v._version


def test_reshape_copies_when_it_must() -> None:
    x = cr.zeros(3, 4).T
    y = x.reshape(12)
    y.fill_(1.0)
    assert float(x.numpy().max()) == 0.0


def test_view_incompatible_strides_names_reshape() -> None:
    with pytest.raises(RuntimeError, match=r"view.*reshape"):
        cr.zeros(3, 4).T.view(12)


@pytest.mark.parametrize(
    ("fn", "exc", "match"),
    [
        (lambda x: x.view(5, -1), ValueError, "view"),
        (lambda x: x.view(-1, -1), ValueError, "view: only one dimension"),
        (lambda x: x.reshape(7), ValueError, "reshape"),
        (lambda x: x.flatten(1, 0), ValueError, "flatten"),
        (lambda x: x.unflatten(1, (3, 3)), ValueError, "unflatten"),
        (lambda x: x.squeeze(3), IndexError, "squeeze"),
        (lambda x: x.unsqueeze(4), IndexError, "unsqueeze"),
        (lambda x: x.transpose(0, 2), IndexError, "transpose"),
        (lambda x: x.permute(0), ValueError, "permute"),
        (lambda x: x.permute(0, 0), ValueError, "permute"),
        (lambda x: x.expand(3, 5), ValueError, "expand"),
        (lambda x: x.expand(4), ValueError, "expand"),
        (lambda x: x.narrow(1, 3, 2), IndexError, "narrow"),
        (lambda x: x.select(0, 3), IndexError, "select"),
        (lambda x: x.reshape(12).mT, ValueError, "mT"),
        (lambda x: x.reshape(1, 3, 4).t(), ValueError, "t"),
        # a 0-d tensor has dims -1 and 0 only (flatten(1) returned a (1,) tensor; op fuzz)
        (lambda x: x.sum().flatten(1), IndexError, "flatten: dim 1 is out of range"),
        (lambda x: x.sum().flatten(0, -2), IndexError, "flatten: dim -2 is out of range"),
    ],
)
def test_view_errors(fn: Any, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        fn(cr.zeros(3, 4))


# ---- repeat / cat / stack / split / chunk / tril / triu ----------------------
COPY_CASES: list[tuple[str, Any, list[Any]]] = [
    ("repeat", lambda m, x: x.repeat(2, 3), [arr(3, 4)]),
    ("repeat_new_dims", lambda m, x: x.repeat(2, 1, 3), [arr(3, 4)]),
    ("repeat_noncontig", lambda m, x: x.repeat(2, 2), [noncontig(arr(3, 4))]),
    ("repeat_0d", lambda m, x: x.repeat(3), [arr()]),
    ("repeat_zero", lambda m, x: x.repeat(0, 2), [arr(3, 4)]),
    ("repeat_ones", lambda m, x: x.repeat(1, 1), [arr(3, 4)]),
    ("cat0", lambda m, a, b: m.cat([a, b]), [arr(2, 3), arr(4, 3, seed=1)]),
    (
        "cat1",
        lambda m, a, b, c: m.cat((a, b, c), dim=1),
        [arr(2, 3), arr(2, 1, seed=1), arr(2, 2, seed=2)],
    ),
    ("cat_neg", lambda m, a, b: m.cat([a, b], -1), [noncontig(arr(2, 3)), arr(2, 3, seed=1)]),
    ("concat", lambda m, a, b: m.concat([a, b], dim=0), [arr(2, 3), arr(1, 3, seed=1)]),
    ("cat_empty_piece", lambda m, a, b: m.cat([a, b]), [arr(2, 3), arr(0, 3, seed=1)]),
    ("cat_legacy_empty", lambda m, a, b: m.cat([a, b], 1), [arr(2, 3), arr(0, seed=1)]),
    ("cat_all_legacy", lambda m, a, b: m.cat([a, b]), [arr(0), arr(0, seed=1)]),
    ("cat_single", lambda m, a: m.cat([a]), [arr(2, 3)]),
    ("cat_promote", lambda m, a, b: m.cat([a, b]), [arr(2, 3).astype(np.float32), arr(2, 3)]),
    ("cat_int_float", lambda m, a, b: m.cat([a, b]), [np.arange(6).reshape(2, 3), arr(2, 3)]),
    (
        "cat_int",
        lambda m, a, b: m.cat([a, b]),
        [np.arange(6).reshape(2, 3), np.arange(3).reshape(1, 3)],
    ),
    ("stack0", lambda m, a, b: m.stack([a, b]), [arr(2, 3), arr(2, 3, seed=1)]),
    (
        "stack_last",
        lambda m, a, b: m.stack([a, b], dim=-1),
        [noncontig(arr(2, 3)), arr(2, 3, seed=1)],
    ),
    (
        "stack_mid",
        lambda m, a, b, c: m.stack((a, b, c), 1),
        [arr(2, 3), arr(2, 3, seed=1), arr(2, 3, seed=2)],
    ),
    ("stack_0d", lambda m, a, b: m.stack([a, b]), [arr(), arr(seed=1)]),
    ("stack_empty", lambda m, a, b: m.stack([a, b], 1), [arr(0, 3), arr(0, 3, seed=1)]),
    ("split_int", lambda m, x: m.split(x, 2), [arr(5, 3)]),
    ("split_method", lambda m, x: x.split(2, dim=1), [arr(3, 5)]),
    ("split_sizes", lambda m, x: m.split(x, [1, 3, 1]), [arr(5, 3)]),
    ("split_sizes_method", lambda m, x: x.split([2, 0, 3], -1), [noncontig(arr(3, 5))]),
    ("split_big", lambda m, x: x.split(10), [arr(5, 3)]),
    ("split_empty_dim", lambda m, x: x.split(0), [arr(0, 3)]),
    ("chunk", lambda m, x: m.chunk(x, 3), [arr(7, 2)]),
    ("chunk_uneven", lambda m, x: x.chunk(4, dim=1), [arr(2, 6)]),
    ("chunk_more_than_size", lambda m, x: x.chunk(5), [arr(3, 2)]),
    ("tril", lambda m, x: m.tril(x), [arr(4, 5)]),
    ("tril_diag", lambda m, x: x.tril(diagonal=-1), [arr(2, 4, 5)]),
    ("tril_pos", lambda m, x: x.tril(2), [noncontig(arr(5, 4))]),
    ("triu", lambda m, x: m.triu(x), [arr(4, 5)]),
    ("triu_diag", lambda m, x: x.triu(diagonal=1), [arr(2, 4, 5)]),
    ("triu_neg", lambda m, x: m.triu(x, -2), [noncontig(arr(5, 4))]),
    ("triu_far", lambda m, x: m.triu(x, 10), [arr(3, 3)]),
    ("tril_empty", lambda m, x: m.tril(x), [arr(0, 3)]),
    ("tril_int", lambda m, x: m.tril(x), [np.arange(12).reshape(3, 4)]),
    (
        "repeat_of_cat",
        lambda m, a, b: m.cat([a, b], 1).repeat(2, 1),
        [arr(2, 3), arr(2, 2, seed=1)],
    ),
]


@pytest.mark.parametrize(("name", "fn", "inputs"), COPY_CASES, ids=[c[0] for c in COPY_CASES])
def test_copies_match_torch(name: str, fn: Any, inputs: list[Any]) -> None:
    compare(fn, *inputs, names=not name.startswith(("split_empty", "repeat_of")))


def test_split_pieces_are_views_with_one_node() -> None:
    x = cr.zeros(4, 3, requires_grad=True)
    a, b = x.split(2)
    assert a.grad_fn is b.grad_fn
    assert a.grad_fn.name() == "SplitBackward0"
    base = x.detach()
    _p, q = base.chunk(2)
    q.fill_(1.0)
    assert base.numpy()[2:].min() == 1.0
    assert base.numpy()[:2].max() == 0.0


def test_split_gradient_of_one_piece() -> None:
    x = cr.zeros(5, 2, requires_grad=True)
    _, b, _ = x.split([1, 3, 1])
    b.backward(cr.ones(3, 2))
    np.testing.assert_array_equal(x.grad.numpy()[:, 0], [0, 1, 1, 1, 0])


def test_cat_stack_results_are_fresh() -> None:
    a, b = cr.zeros(2, 2), cr.zeros(2, 2)
    for y in (cr.cat([a, b]), cr.stack([a, b])):
        y.fill_(1.0)
        assert a.numpy().max() == 0.0


@pytest.mark.parametrize(
    ("fn", "exc", "match"),
    [
        (lambda: cr.cat([]), ValueError, "cat: expected a non-empty list"),
        (
            lambda: cr.cat([cr.zeros(2, 3), cr.zeros(2, 4)]),
            ValueError,
            r"cat: sizes of tensors must match except in dimension 0.*\(2, 3\) and \(2, 4\)",
        ),
        (
            lambda: cr.cat([cr.zeros(2, 3), cr.zeros(2, 3, 1)]),
            ValueError,
            "cat: tensors must have same number of dimensions",
        ),
        (lambda: cr.cat([cr.zeros(())]), ValueError, "cat: zero-dimensional tensor"),
        (lambda: cr.cat([cr.zeros(2, 3)], dim=2), IndexError, "cat: dim 2 is out of range"),
        (lambda: cr.cat([cr.zeros(2), 3]), TypeError, "cat: expected a sequence of Tensors"),
        (lambda: cr.cat(cr.zeros(2)), TypeError, "cat: expected a sequence of Tensors"),
        (lambda: cr.stack([]), ValueError, "stack: expects a non-empty"),
        (
            lambda: cr.stack([cr.zeros(2, 3), cr.zeros(3, 2)]),
            ValueError,
            r"stack: expects each tensor to be equal size.*"
            r"\(2, 3\) at entry 0 and \(3, 2\) at entry 1",
        ),
        (lambda: cr.stack([cr.zeros(2)], dim=3), IndexError, "stack"),
        (lambda: cr.zeros(3, 4).repeat(2), ValueError, "repeat: number of dimensions"),
        (lambda: cr.zeros(3, 4).repeat(2, -1), ValueError, "repeat: .*negative"),
        (lambda: cr.split(cr.zeros(3), 0), ValueError, "split: split_size can only be 0"),
        (
            lambda: cr.split(cr.zeros(3), -1),
            ValueError,
            "split: expects split_size be non-negative",
        ),
        (lambda: cr.split(cr.zeros(3), [1, 1]), ValueError, "split_with_sizes: .*sum exactly to 3"),
        (lambda: cr.split(cr.zeros(3), [2, -1, 2]), ValueError, "split_with_sizes: .*non-negative"),
        (lambda: cr.split(cr.zeros(()), 1), ValueError, "split: expects at least a 1-dimensional"),
        (
            lambda: cr.chunk(cr.zeros(3), 0),
            ValueError,
            "chunk: expects `chunks` to be greater than 0",
        ),
        (lambda: cr.chunk(cr.zeros(()), 1), ValueError, "chunk: expects at least a 1-dimensional"),
        (lambda: cr.chunk(cr.zeros(3), 2, dim=1), IndexError, "chunk"),
        (lambda: cr.tril(cr.zeros(3)), ValueError, "tril: input tensor must have at least 2"),
        (lambda: cr.triu(cr.zeros(())), ValueError, "triu: input tensor must have at least 2"),
    ],
)
def test_copy_errors(fn: Any, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        fn()


# ---- index_select / gather ---------------------------------------------------
def _idx(*v: Any) -> np.ndarray:
    return np.array(v, dtype=np.int64)


INDEX_OP_CASES: list[tuple[str, Any, list[Any]]] = [
    ("index_select0", lambda m, x, i: m.index_select(x, 0, i), [arr(4, 3), _idx(3, 0, 3, 1)]),
    ("index_select1", lambda m, x, i: x.index_select(1, i), [noncontig(arr(4, 3)), _idx(2, 2, 0)]),
    ("index_select_neg_dim", lambda m, x, i: x.index_select(-1, i), [arr(2, 3, 4), _idx(1)]),
    ("index_select_0d_index", lambda m, x, i: x.index_select(0, i), [arr(4, 3), np.array(2)]),
    ("index_select_0d_input", lambda m, x, i: x.index_select(0, i), [arr(), np.array(0)]),
    ("index_select_empty", lambda m, x, i: x.index_select(0, i), [arr(4, 3), _idx()]),
    ("gather0", lambda m, x, i: m.gather(x, 0, i), [arr(3, 4), _idx([0, 2, 2, 1], [1, 1, 0, 0])]),
    ("gather1", lambda m, x, i: x.gather(1, i), [arr(3, 4), _idx([3, 3], [0, 1], [2, 0])]),
    ("gather_small", lambda m, x, i: x.gather(1, i), [noncontig(arr(3, 4)), _idx([1], [0])]),
    (
        "gather_3d",
        lambda m, x, i: x.gather(-1, i),
        [arr(2, 3, 4), np.random.default_rng(0).integers(0, 4, (2, 3, 5))],
    ),
    ("gather_0d", lambda m, x, i: x.gather(0, i), [arr(), np.array(0)]),
    ("gather_empty", lambda m, x, i: x.gather(0, i), [arr(3, 4), np.zeros((0, 4), np.int64)]),
]


@pytest.mark.parametrize(
    ("name", "fn", "inputs"), INDEX_OP_CASES, ids=[c[0] for c in INDEX_OP_CASES]
)
def test_index_ops_match_torch(name: str, fn: Any, inputs: list[Any]) -> None:
    compare(fn, *inputs)


def test_index_ops_noncontig_index() -> None:
    i = noncontig(_idx([0, 2], [1, 1], [2, 0]))
    compare(lambda m, x, i: x.gather(0, i), arr(3, 2), i)
    compare(lambda m, x, i: x.index_select(0, i[:, 0]), arr(3, 2), i)


@pytest.mark.parametrize(
    ("fn", "exc", "match"),
    [
        (
            lambda x: cr.index_select(x, 0, cr.tensor([3])),
            IndexError,
            "index_select: index 3 is out of bounds",
        ),
        (lambda x: cr.index_select(x, 0, cr.tensor([-1])), IndexError, "index_select: index -1"),
        (
            lambda x: cr.index_select(x, 0, cr.tensor([[1]])),
            IndexError,
            "index_select: index is supposed to be a vector",
        ),
        (
            lambda x: cr.index_select(x, 0, cr.tensor([1.0])),
            TypeError,
            "index_select: expected dtype int64",
        ),
        (lambda x: cr.index_select(x, 2, cr.tensor([1])), IndexError, "index_select: dim 2"),
        (
            lambda x: cr.gather(x, 0, cr.tensor([[3]])),
            RuntimeError,
            "gather: index 3 is out of bounds",
        ),
        (
            lambda x: cr.gather(x, 0, cr.tensor([1])),
            ValueError,
            "gather: index tensor must have the same",
        ),
        (
            lambda x: cr.gather(x, 0, cr.tensor([[1, 1, 1, 1, 1]])),
            ValueError,
            r"gather: size does not match at dimension 1",
        ),
        (lambda x: cr.gather(x, 0, cr.tensor([[1.0]])), TypeError, "gather: expected dtype int64"),
    ],
)
def test_index_op_errors(fn: Any, exc: type[Exception], match: str) -> None:
    with pytest.raises(exc, match=match):
        fn(cr.zeros(3, 4))


def test_gather_saved_index_is_version_checked() -> None:
    x = cr.zeros(3, 4, requires_grad=True)
    i = cr.tensor([[0, 1, 2, 0]])
    y = x.gather(0, i)
    i.fill_(1)
    with pytest.raises(RuntimeError, match="GatherBackward0"):
        y.backward(cr.ones(1, 4))


def test_len() -> None:
    assert len(cr.zeros(3, 4)) == 3
    assert len(cr.zeros(0)) == 0
    with pytest.raises(TypeError, match=r"len\(\) of a 0-d tensor"):
        len(cr.zeros(()))
