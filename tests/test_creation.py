"""Factories: Tensor.new_* methods, randint's call forms and the device= keyword of the
Python-level factories."""

from __future__ import annotations

import pytest

import chainrule as cr


def test_new_factories() -> None:
    x = cr.ones(2, 2, dtype=cr.float64)
    assert x.new_zeros(3).dtype == cr.float64
    assert x.new_zeros(3).tolist() == [0.0] * 3
    assert x.new_zeros((2, 3)).shape == (2, 3)
    assert x.new_ones(2, 3).shape == (2, 3)
    assert x.new_zeros(size=(4,)).shape == (4,)
    assert x.new_ones(2, dtype=cr.int64).dtype == cr.int64
    assert x.new_full((2,), 3).tolist() == [3.0, 3.0]
    assert x.new_full((2,), 3).dtype == cr.float64
    assert x.new_empty((2, 1)).shape == (2, 1)
    t = x.new_tensor([1, 2])
    assert t.dtype == cr.float64
    assert t.tolist() == [1.0, 2.0]
    assert x.new_tensor([1, 2], dtype=cr.int64).dtype == cr.int64
    assert x.new_zeros(2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="device"):
        x.new_zeros(2, device="cuda")
    with pytest.raises(TypeError, match="new_zeros"):
        x.new_zeros("a")


def test_randint_forms() -> None:
    cr.manual_seed(0)
    a = cr.randint(10, size=(50,))
    cr.manual_seed(0)
    b = cr.randint(high=10, size=(50,))
    cr.manual_seed(0)
    c = cr.randint(0, 10, (50,))
    assert a.tolist() == b.tolist() == c.tolist()
    assert min(a.tolist()) >= 0
    assert max(a.tolist()) < 10
    assert cr.randint(3, 5, (100,)).numpy().min() >= 3
    assert cr.randint(5, (2,), dtype=cr.float32).dtype == cr.float32
    with pytest.raises(TypeError, match="randint"):
        cr.randint(5)
    with pytest.raises(ValueError, match="randint"):
        cr.randint(5, 2, (3,))


def test_device_keywords_on_python_factories() -> None:
    x = cr.ones(2)
    for make in (
        lambda d: cr.tensor([1.0], device=d),
        lambda d: cr.arange(3, device=d),
        lambda d: cr.full((2,), 1.0, device=d),
        lambda d: cr.zeros_like(x, device=d),
        lambda d: cr.ones_like(x, device=d),
        lambda d: cr.rand_like(x, device=d),
        lambda d: cr.randint(3, (2,), device=d),
    ):
        assert make("cpu").device == cr.device("cpu")
        assert make(cr.device("cpu")).numel() >= 1
        with pytest.raises(RuntimeError, match="device"):
            make("cuda")
