"""Python conveniences on cr.Tensor: repr, item, tolist, iteration and number protocols.

The hot methods (arithmetic, views, reductions, backward) are bound in C++; only methods
that are not on a training step's path are defined here.
"""

from __future__ import annotations

import builtins
from typing import Any

import numpy as np

from chainrule import _C

Tensor = _C.Tensor


def _values(t: Tensor) -> np.ndarray:
    return t.detach().numpy()


def _format_float(arr: np.ndarray) -> dict[str, Any]:
    """PyTorch's choice between ``1.``, ``1.0000`` and ``1.0000e+00`` styles."""
    finite = np.abs(arr[np.isfinite(arr)]).astype(np.float64)
    nonzero = finite[finite != 0]
    if nonzero.size == 0:
        return {"float_kind": lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)}
    lo, hi = nonzero.min(), nonzero.max()
    integral = bool(np.all(finite == np.round(finite)))
    wide = hi / lo > 1000.0 or hi > 1e8
    if integral and not wide:
        return {"float_kind": lambda v: f"{v:.0f}." if np.isfinite(v) else str(v)}
    if wide or (not integral and lo < 1e-4):
        return {"float_kind": lambda v: f"{v:.4e}"}
    return {"float_kind": lambda v: f"{v:.4f}"}


def _repr(self: Tensor) -> str:
    arr = _values(self)
    formatter = _format_float(arr) if self.dtype.is_floating_point else None
    if self.numel() == 0:
        body = "[]" if self.ndim <= 1 else "[]"
    else:
        body = np.array2string(arr, separator=", ", prefix="tensor(", formatter=formatter,
                               threshold=1000, edgeitems=3)
        if arr.dtype == np.bool_:
            body = body.replace("True", "True").replace("False", "False")
    extras = []
    if self.numel() == 0 and self.ndim > 1:
        extras.append(f"size={tuple(self.shape)}")
    if self.dtype not in (_C.dtype.float32, _C.dtype.int64, _C.dtype.bool):
        extras.append(f"dtype={self.dtype}")
    if self.grad_fn is not None:
        extras.append(f"grad_fn=<{self.grad_fn.name()}>")
    elif self.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + ", ".join([body, *extras]) + ")"


def _item(self: Tensor) -> builtins.float | int | builtins.bool:
    if self.numel() != 1:
        raise RuntimeError(
            f"item: a Tensor with {self.numel()} elements cannot be converted to Scalar"
        )
    return _values(self).reshape(()).item()  # type: ignore[no-any-return]


def _tolist(self: Tensor) -> Any:
    return _values(self).tolist()


def _len(self: Tensor) -> int:
    if self.ndim == 0:
        raise TypeError("len() of a 0-d tensor")
    return int(self.shape[0])


def _iter(self: Tensor) -> Any:
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return (self[i] for i in range(self.shape[0]))


def _bool(self: Tensor) -> builtins.bool:
    if self.numel() != 1:
        raise RuntimeError(
            f"bool: Boolean value of Tensor with {self.numel()} elements is ambiguous"
        )
    return builtins.bool(_item(self))


def _float(self: Tensor) -> builtins.float:
    return builtins.float(_item(self))


def _int(self: Tensor) -> int:
    return int(_item(self))


def _index(self: Tensor) -> int:
    if self.dtype not in (_C.dtype.int64, _C.dtype.bool) or self.numel() != 1:
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return int(_item(self))


def _install_tensor_methods() -> None:
    Tensor.__repr__ = _repr
    Tensor.__str__ = _repr
    Tensor.item = _item
    Tensor.tolist = _tolist
    if not hasattr(Tensor, "__len__"):
        Tensor.__len__ = _len
    Tensor.__iter__ = _iter
    Tensor.__bool__ = _bool
    Tensor.__float__ = _float
    Tensor.__int__ = _int
    Tensor.__index__ = _index
    # NumPy defers to our reflected operators (array + tensor -> Tensor.__radd__).
    Tensor.__array_priority__ = 1000
