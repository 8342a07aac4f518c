"""Helpers shared by test_shape.py and test_indexing.py: run one function on chainrule and
on torch with the same inputs and compare values and gradients (float64)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pytest

import chainrule as cr


def noncontig(a: np.ndarray) -> np.ndarray:
    """The same values as a non-contiguous array (every other element of a wider one)."""
    if a.ndim == 0:
        return a
    wide = np.zeros((*a.shape[:-1], a.shape[-1] * 2), dtype=a.dtype)
    wide[..., ::2] = a
    return wide[..., ::2]


def _fresh(v: np.ndarray) -> np.ndarray:
    return v.copy() if v.flags.c_contiguous else noncontig(np.ascontiguousarray(v))


def _outputs(r: Any) -> list[Any]:
    return list(r) if isinstance(r, (tuple, list)) else [r]


def _np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


def run(
    lib: Any, fn: Callable[..., Any], inputs: Sequence[Any], grad: bool
) -> tuple[list[Any], list[Any]]:
    """fn(lib, *tensors) with float arrays requiring grad; returns (outputs, leaf tensors)."""
    ts = []
    for v in inputs:
        if isinstance(v, np.ndarray):
            t = lib.from_numpy(_fresh(v))
            if grad and v.dtype.kind == "f":
                t.requires_grad_(True)
            ts.append(t)
        else:
            ts.append(v)
    return _outputs(fn(lib, *ts)), ts


def compare(
    fn: Callable[..., Any], *inputs: Any, grad: bool = True, names: bool = True
) -> list[Any]:
    """Checks fn's outputs (shape, dtype, values), input gradients and, when ``names``,
    the grad_fn names against torch."""
    torch = pytest.importorskip("torch")
    got, cr_in = run(cr, fn, inputs, grad)
    want, th_in = run(torch, fn, inputs, grad)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert tuple(g.shape) == tuple(w.shape)
        assert str(g.dtype).split(".")[-1] == str(w.dtype).split(".")[-1]
        np.testing.assert_allclose(_np(g), _np(w), rtol=1e-12, atol=1e-12)
    if grad and any(getattr(t, "requires_grad", False) for t in cr_in):
        rng = np.random.default_rng(1)
        for i, (g, w) in enumerate(zip(got, want)):
            if not w.requires_grad:
                continue
            up = rng.standard_normal(tuple(w.shape))
            g.backward(cr.from_numpy(up.copy()).to(g.dtype), retain_graph=True)
            w.backward(torch.from_numpy(up.copy()).to(w.dtype), retain_graph=True)
            if names:
                assert g.grad_fn.name() == type(w.grad_fn).__name__, f"output {i}"
        for c, t in zip(cr_in, th_in):
            if isinstance(c, cr.Tensor) and c.requires_grad:
                assert (c.grad is None) == (t.grad is None)
                if t.grad is not None:
                    np.testing.assert_allclose(_np(c.grad), _np(t.grad), rtol=1e-12, atol=1e-12)
    return got


def arr(*shape: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal(shape)
