"""Tensor factories that need Python-level argument handling (lists, NumPy, ranges)."""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from chainrule import _C

Tensor = _C.Tensor
_DTYPES = {
    np.dtype(np.float32): _C.dtype.float32,
    np.dtype(np.float64): _C.dtype.float64,
    np.dtype(np.int64): _C.dtype.int64,
    np.dtype(np.bool_): _C.dtype.bool,
}


def _numpy_of(data: Any) -> np.ndarray:
    """NumPy array for cr.tensor's data, with PyTorch's dtype inference for Python data."""
    if isinstance(data, Tensor):
        return data.detach().numpy()
    if isinstance(data, np.ndarray):
        arr = data
        infer_default_float = False
    else:
        if isinstance(data, (list, tuple)) and _contains_tensor(data):
            data = _tensors_to_lists(data)
        arr = np.asarray(data)
        # Python floats become the default dtype (float32), as in PyTorch.
        infer_default_float = arr.dtype == np.float64
    if arr.dtype == np.object_:
        raise TypeError(f"tensor: could not infer a dtype from data of type {type(data).__name__}")
    if infer_default_float:
        arr = arr.astype(np.float32)
    elif arr.dtype not in _DTYPES:
        kind = arr.dtype.kind
        if kind in "iu":
            arr = arr.astype(np.int64)
        elif kind == "f":
            arr = arr.astype(np.float32 if arr.dtype.itemsize <= 4 else np.float64)
        else:
            raise TypeError(f"tensor: can't convert data of dtype {arr.dtype} to a tensor")
    return arr


def _contains_tensor(seq: Any) -> builtins.bool:
    return any(
        isinstance(x, Tensor) or (isinstance(x, (list, tuple)) and _contains_tensor(x)) for x in seq
    )


def _tensors_to_lists(seq: Any) -> Any:
    return [
        x.tolist() if isinstance(x, Tensor) else _tensors_to_lists(x)
        if isinstance(x, (list, tuple)) else x
        for x in seq
    ]


def tensor(data: Any, dtype: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    """Creates a tensor by copying ``data`` (a scalar, nested lists, a NumPy array or a tensor).

    Args:
        data: the values; Python floats give float32, ints int64, bools bool.
        dtype: the element type (``cr.float32`` by default for floating data).
        requires_grad: whether autograd records operations on the result.

    Example:
        >>> import chainrule as cr
        >>> cr.tensor([[1.0, 2.0], [3.0, 4.0]]).shape
        (2, 2)
    """
    return _C._from_array(_numpy_of(data), dtype, requires_grad)


def arange(
    start: Any, end: Any = None, step: Any = 1, *, dtype: Any = None,
    requires_grad: builtins.bool = False,
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound is a float.

    Example:
        >>> import chainrule as cr
        >>> cr.arange(3).tolist()
        [0, 1, 2]
    """
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, builtins.float) for v in (start, end, step))
        dtype = _C.dtype.float32 if is_float else _C.dtype.int64
    return _C._arange(builtins.float(start), builtins.float(end), builtins.float(step), dtype,
                      requires_grad)


def randint(
    low: int, high: Any = None, size: Any = None, *, generator: Any = None, dtype: Any = None,
) -> Tensor:
    """Uniform integers in ``[low, high)`` (``randint(high, size)`` also works, as in PyTorch)."""
    if size is None:
        if high is None or not isinstance(high, (tuple, list)):
            raise TypeError("randint: missing the 'size' argument")
        low, high, size = 0, low, high
    elif high is None:
        raise TypeError("randint: missing the 'high' argument")
    return _C._randint(low, high, tuple(size), generator, dtype)


def zeros_like(input: Tensor, *, dtype: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    """Zeros with the shape (and by default the dtype) of ``input``."""
    return _C.zeros(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def ones_like(input: Tensor, *, dtype: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    """Ones with the shape (and by default the dtype) of ``input``."""
    return _C.ones(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def empty_like(input: Tensor, *, dtype: Any = None, requires_grad: builtins.bool = False) -> Tensor:
    """Uninitialised memory with the shape (and by default the dtype) of ``input``."""
    return _C.empty(input.shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def full(size: Any, fill_value: Any, *, dtype: Any = None,
         requires_grad: builtins.bool = False) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from the value)."""
    if isinstance(size, int):
        size = (size,)
    return _C.full(tuple(size), fill_value, dtype=dtype, requires_grad=requires_grad)


def full_like(input: Tensor, fill_value: Any, *, dtype: Any = None,
              requires_grad: builtins.bool = False) -> Tensor:
    """``full`` with the shape (and by default the dtype) of ``input``."""
    return _C.full(input.shape, fill_value, dtype=dtype or input.dtype,
                   requires_grad=requires_grad)


def randn_like(input: Tensor, *, dtype: Any = None, generator: Any = None,
               requires_grad: builtins.bool = False) -> Tensor:
    """Standard normal draws with the shape (and by default the dtype) of ``input``."""
    return _C.randn(input.shape, dtype=dtype or input.dtype, generator=generator,
                    requires_grad=requires_grad)


def rand_like(input: Tensor, *, dtype: Any = None, generator: Any = None,
              requires_grad: builtins.bool = False) -> Tensor:
    """Uniform [0, 1) draws with the shape (and by default the dtype) of ``input``."""
    return _C.rand(input.shape, dtype=dtype or input.dtype, generator=generator,
                   requires_grad=requires_grad)
