"""Generic op tests driven by op_db: forward and backward against torch (when installed),
finite-difference gradients in float64 (always), non-contiguous inputs, 0-d and empty."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import chainrule as cr
from op_db import B, F, I, OpInfo, Sample, collect_ops

OPS = collect_ops()  # every tests/op_db_<family>.py, by glob

CASES = [
    pytest.param(
        op,
        sample,
        noncontig,
        id=f"{op.name}-{sample.name or i}{'-noncontig' if noncontig else ''}",
    )
    for op in OPS
    for i, sample in enumerate(op.samples)
    for noncontig in ((False, True) if op.noncontiguous else (False,))
    if not noncontig or any(isinstance(a, (F, I, B)) and len(a.shape) >= 1 for a in sample.args)
]
GRAD_CASES = [c for c in CASES if c.values[0].differentiable]


# ---- input generation -----------------------------------------------------------
def _draw(spec: Any, rng: np.random.Generator, dtype: np.dtype) -> Any:
    if isinstance(spec, F):
        v = rng.uniform(spec.low, spec.high, size=spec.shape)
        for kink in spec.away:
            near = np.abs(v - kink) < 0.1
            v = np.where(near, kink + np.where(v >= kink, 0.1, -0.1) + (v - kink), v)
        return np.asarray(v, dtype=dtype)
    if isinstance(spec, I):
        return rng.integers(spec.low, spec.high, size=spec.shape).astype(np.int64)
    if isinstance(spec, B):
        return np.asarray(rng.random(size=spec.shape) < 0.5)
    return spec


def _strided(a: np.ndarray) -> np.ndarray:
    """The same values as a non-contiguous view (every other element of a wider array)."""
    if a.ndim == 0:
        return a
    wide = np.zeros((*a.shape[:-1], a.shape[-1] * 2), dtype=a.dtype)
    wide[..., ::2] = a
    return wide[..., ::2]


def _arrays(sample: Sample, dtype: np.dtype, noncontig: bool, seed: int = 0) -> list[Any]:
    rng = np.random.default_rng(seed)
    out = []
    for spec in sample.args:
        v = _draw(spec, rng, dtype)
        if noncontig and isinstance(v, np.ndarray):
            v = _strided(v)
        out.append(v)
    return out


def _fresh(v: np.ndarray) -> np.ndarray:
    """A private copy with the same (non-)contiguity, so libraries never share buffers."""
    return v.copy() if v.flags.c_contiguous else _strided(np.ascontiguousarray(v))


def _to_lib(lib: Any, values: list[Any], sample: Sample, requires_grad: bool) -> list[Any]:
    out = []
    for spec, v in zip(sample.args, values):
        if isinstance(v, np.ndarray):
            t = lib.from_numpy(_fresh(v))
            if requires_grad and isinstance(spec, F) and spec.grad:
                t.requires_grad_(True)
            out.append(t)
        else:
            out.append(v)
    return out


def _outputs(result: Any) -> list[Any]:
    return list(result) if isinstance(result, (tuple, list)) else [result]


def _np(t: Any) -> np.ndarray:
    return np.asarray(t.detach().numpy())


# ---- tests ------------------------------------------------------------------------
@pytest.mark.parametrize(("op", "sample", "noncontig"), CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
def test_forward_matches_torch(op: OpInfo, sample: Sample, noncontig: bool, dtype: Any) -> None:
    torch = pytest.importorskip("torch")
    values = _arrays(sample, np.dtype(dtype), noncontig)
    got = _outputs(op.fn(cr, *_to_lib(cr, values, sample, False), **sample.kwargs))
    want = _outputs(op.fn(torch, *_to_lib(torch, values, sample, False), **sample.kwargs))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert tuple(g.shape) == tuple(w.shape)
        assert str(g.dtype).split(".")[-1] == str(w.dtype).split(".")[-1]
        tol = (
            {"atol": op.atol, "rtol": op.rtol}
            if dtype == np.float32
            else {"atol": 1e-10, "rtol": 1e-9}
        )
        np.testing.assert_allclose(_np(g), _np(w), **tol)


@pytest.mark.parametrize(("op", "sample", "noncontig"), GRAD_CASES)
def test_backward_matches_torch(op: OpInfo, sample: Sample, noncontig: bool) -> None:
    torch = pytest.importorskip("torch")
    values = _arrays(sample, np.dtype(np.float32), noncontig)
    grads = {}
    for lib in (cr, torch):
        inputs = _to_lib(lib, values, sample, True)
        out = _outputs(op.fn(lib, *inputs, **sample.kwargs))[0]
        upstream = np.random.default_rng(1).standard_normal(tuple(out.shape)).astype(np.float32)
        out.backward(lib.from_numpy(upstream).to(out.dtype))
        grads[lib] = [
            t.grad for t in inputs if isinstance(t, (cr.Tensor, torch.Tensor)) and t.requires_grad
        ]
    for g, w in zip(grads[cr], grads[torch]):
        assert (g is None) == (w is None)
        if g is not None:
            np.testing.assert_allclose(_np(g), _np(w), atol=op.atol * 10, rtol=op.rtol * 10)


@pytest.mark.parametrize(("op", "sample", "noncontig"), GRAD_CASES)
def test_gradcheck(op: OpInfo, sample: Sample, noncontig: bool) -> None:
    if not op.gradcheck:
        pytest.skip("gradcheck disabled for this op")
    values = _arrays(sample, np.dtype(np.float64), noncontig)
    inputs = _to_lib(cr, values, sample, True)
    if not any(isinstance(t, cr.Tensor) and t.requires_grad for t in inputs):
        pytest.skip("no differentiable input")

    def fn(*xs: Any) -> Any:
        return _outputs(op.fn(cr, *xs, **sample.kwargs))[0]

    assert cr.autograd.gradcheck(fn, tuple(inputs), eps=1e-6, atol=1e-5, rtol=1e-3)
