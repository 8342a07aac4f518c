"""Scans and sorting (cumsum, sort, argsort, topk): values and gradients against
PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from _torch_grad import grad_vs_torch

RNG = np.random.default_rng(42)
A34 = RNG.normal(size=(3, 4))
A234 = RNG.normal(size=(2, 3, 4))


def test_cumsum_vs_torch() -> None:
    grad_vs_torch(lambda x: x.cumsum(1), lambda x: x.cumsum(1), A34)
    grad_vs_torch(lambda x: cr.cumsum(x, dim=-3), lambda x: x.cumsum(-3), A234)
    grad_vs_torch(lambda x: x.cumsum(0), lambda x: x.cumsum(0), np.array(2.5))
    assert cr.tensor([1, 2, 3]).cumsum(0).tolist() == [1, 3, 6]
    assert cr.tensor([True, True]).cumsum(0).dtype == cr.int64
    assert cr.cumsum(cr.tensor([1, 2]), 0, dtype=cr.float64).dtype == cr.float64
    assert cr.autograd.gradcheck(lambda x: x.cumsum(1), (cr.tensor(A234, requires_grad=True),))
    with pytest.raises(IndexError, match="cumsum"):
        cr.ones(2, 3).cumsum(2)


def test_sort_argsort_topk_vs_torch() -> None:
    torch = pytest.importorskip("torch")
    grad_vs_torch(lambda x: tuple(x.sort()), lambda x: tuple(x.sort()), A34)
    grad_vs_torch(
        lambda x: tuple(cr.sort(x, 1, descending=True)),
        lambda x: tuple(torch.sort(x, 1, descending=True)),
        A234,
    )
    grad_vs_torch(lambda x: tuple(x.topk(2)), lambda x: tuple(x.topk(2)), A34)
    grad_vs_torch(
        lambda x: tuple(cr.topk(x, 2, dim=0, largest=False)),
        lambda x: tuple(torch.topk(x, 2, dim=0, largest=False)),
        A234,
    )
    r = cr.tensor([3.0, 1.0, 2.0]).sort(descending=True)
    assert type(r).__name__ == "sort"
    assert r.values.tolist() == [3.0, 2.0, 1.0]
    assert r.indices.tolist() == [0, 2, 1]
    nan = cr.tensor([3.0, float("nan"), 2.0])
    assert nan.sort().indices.tolist() == [2, 0, 1]
    assert nan.sort(descending=True).indices.tolist() == [1, 0, 2]
    assert cr.tensor([1.0, 1.0, 1.0]).sort().indices.tolist() == [0, 1, 2]  # stable
    assert cr.tensor([1.0, 1.0, 1.0]).sort(descending=True).indices.tolist() == [0, 1, 2]
    assert cr.argsort(cr.tensor([[3, 1, 2]]), dim=1).tolist() == [[1, 2, 0]]
    assert cr.tensor([5, 1, 4]).argsort(descending=True, stable=True).tolist() == [0, 2, 1]
    t = cr.tensor([1.0, 5.0, 3.0]).topk(2)
    assert type(t).__name__ == "topk"
    assert t.values.tolist() == [5.0, 3.0]
    assert cr.tensor([1.0, 2.0]).topk(0).values.shape == (0,)
    # a 0-d input's result has one element whatever k, the input's (it was left as allocated:
    # a stale value and a garbage index; found by the op fuzz)
    for k in (0, 1):
        z = cr.tensor(2.5).topk(k)
        assert (z.values.item(), z.indices.item()) == (2.5, 0)
    assert cr.autograd.gradcheck(lambda x: x.sort(0)[0], (cr.tensor(A34, requires_grad=True),))
    assert cr.autograd.gradcheck(lambda x: x.topk(3)[0], (cr.tensor(A34, requires_grad=True),))
    with pytest.raises(IndexError, match="topk"):
        cr.ones(3).topk(4)
    with pytest.raises(IndexError, match="sort"):
        cr.ones(3).sort(1)
