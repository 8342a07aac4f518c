"""Regressions of issue #11 that span many ops: in-place writes into tensors whose elements
share memory (expanded views) are refused or accepted as PyTorch decides, with its values."""

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
    with pytest.raises(RuntimeError, match=r"add_: unsupported operation: more than one element "
                       r"of the written-to tensor refers to a single memory location \(shape "
                       r"\(4,\), strides \(0,\)\)\. Please clone\(\)"):
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
