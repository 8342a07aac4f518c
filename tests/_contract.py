"""The harness of the contract tests: run a snippet with torch and with chainrule, compare.

A snippet binds ``t`` to the library and leaves its result in ``r``; results must match in
values, dtype, shape, requires_grad and Python types. Where torch raises, chainrule must
raise one of the accepted exception types.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np
import pytest

import chainrule as cr

ACCEPTED = (ValueError, TypeError, IndexError, RuntimeError, NotImplementedError)


def _run(code: str, lib: Any) -> Any:
    ns: dict[str, Any] = {"t": lib, "np": np}
    exec(code, ns)
    return ns.get("r")


def _dtype_name(d: Any) -> str:
    return str(d).split(".")[-1]


def _same(got: Any, want: Any, where: str = "r") -> None:
    torch = pytest.importorskip("torch")
    if isinstance(want, torch.Tensor):
        assert isinstance(got, cr.Tensor), f"{where}: expected a Tensor, got {type(got)}"
        assert _dtype_name(got.dtype) == _dtype_name(want.dtype), f"{where}: dtype"
        assert tuple(got.shape) == tuple(want.shape), f"{where}: shape"
        assert got.requires_grad == want.requires_grad, f"{where}: requires_grad"
        g, w = got.detach().numpy(), want.detach().numpy()
        if w.dtype.kind == "f":
            np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, equal_nan=True, err_msg=where)
        else:
            np.testing.assert_array_equal(g, w, err_msg=where)
    elif isinstance(want, torch.dtype):
        assert isinstance(got, cr.dtype), f"{where}: expected a dtype, got {type(got)}"
        assert _dtype_name(got) == _dtype_name(want), where
    elif isinstance(want, np.ndarray):
        assert isinstance(got, np.ndarray), f"{where}: expected an ndarray, got {type(got)}"
        assert got.dtype == want.dtype, where
        np.testing.assert_array_equal(got, want, err_msg=where)
    elif isinstance(want, (tuple, list)):
        assert isinstance(got, tuple if isinstance(want, tuple) else list), (
            f"{where}: expected {type(want).__name__}, got {type(got).__name__}"
        )
        assert len(got) == len(want), f"{where}: length"
        for i, (a, b) in enumerate(zip(got, want)):
            _same(a, b, f"{where}[{i}]")
        for field in ("values", "indices"):
            if hasattr(want, field) and not isinstance(want, torch.Tensor):
                _same(getattr(got, field), getattr(want, field), f"{where}.{field}")
    elif isinstance(want, float):
        assert type(got) is float, f"{where}: expected float, got {type(got).__name__}"
        assert got == pytest.approx(want, rel=1e-5, abs=1e-6, nan_ok=True) or (
            math.isnan(got) and math.isnan(want)
        ), where
    else:
        assert type(got) is type(want), f"{where}: {type(got).__name__} vs {type(want).__name__}"
        assert got == want, f"{where}: {got!r} != {want!r}"


def check(code: str) -> None:
    """Runs ``code`` with torch and chainrule and compares ``r`` (or the exception)."""
    torch = pytest.importorskip("torch")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = _run(code, torch)
    except Exception:
        with pytest.raises(ACCEPTED):
            _run(code, cr)
        return
    _same(_run(code, cr), want)


def xf(code: str, reason: str) -> Any:
    return pytest.param(code, marks=pytest.mark.xfail(strict=True, reason=reason), id=code[:70])
