"""Tensor factories that need Python-level argument handling (lists, NumPy, ranges)."""

from __future__ import annotations

import builtins
import functools
from typing import TYPE_CHECKING, Any

from chainrule import _C
from chainrule._args import check_tensor

if TYPE_CHECKING:
    import numpy as np

Tensor = _C.Tensor


@functools.cache
def _dtypes() -> dict[Any, Any]:
    """NumPy dtypes that map onto chainrule's, built on first use (NumPy loads lazily)."""
    import numpy as np

    return {
        np.dtype(np.float32): _C.dtype.float32,
        np.dtype(np.float64): _C.dtype.float64,
        np.dtype(np.int64): _C.dtype.int64,
        np.dtype(np.bool_): _C.dtype.bool,
    }


def _numpy_of(data: Any, dtype: Any = None) -> np.ndarray:
    """NumPy array for cr.tensor's data, with PyTorch's dtype inference for Python data."""
    import numpy as np  # lazily: `import chainrule` does not load NumPy

    if isinstance(data, Tensor):
        return data.detach().numpy()
    if isinstance(data, np.ndarray):
        arr = data
        infer_default_float = False
    else:
        if isinstance(data, (list, tuple)) and _contains_tensor(data):
            data = _tensors_to_lists(data)
        arr = np.asarray(data)
        # Python floats become the default dtype (float32), as in PyTorch, unless a dtype
        # is asked for (then they must not be rounded through float32 first). NumPy float64
        # scalars and arrays inside the data keep float64, as in PyTorch.
        infer_default_float = (
            arr.dtype == np.float64 and dtype is None and not _has_numpy_float64(data)
        )
    if arr.dtype == np.object_:
        raise TypeError(f"tensor: could not infer a dtype from data of type {type(data).__name__}")
    if infer_default_float:
        # Values beyond float32's range become inf, as in PyTorch, without NumPy's warning.
        with np.errstate(over="ignore"):
            arr = arr.astype(np.float32)
    elif arr.dtype not in _dtypes():
        kind = arr.dtype.kind
        if kind in "iu":
            arr = arr.astype(np.int64)
        elif kind == "f":
            arr = arr.astype(np.float32 if arr.dtype.itemsize <= 4 else np.float64)
        else:
            raise TypeError(f"tensor: can't convert data of dtype {arr.dtype} to a tensor")
    if any(st < 0 for st in arr.strides):  # a copy is made anyway; NumPy fixes the layout
        arr = np.ascontiguousarray(arr)
    return arr


def _has_numpy_float64(data: Any) -> builtins.bool:
    """Whether nested Python data holds a NumPy float64 scalar or array (torch keeps float64)."""
    import numpy as np  # lazily: `import chainrule` does not load NumPy

    if isinstance(data, (np.floating, np.ndarray)):
        return data.dtype == np.float64
    if isinstance(data, (list, tuple)):
        return any(_has_numpy_float64(x) for x in data)
    return False


def _contains_tensor(seq: Any) -> builtins.bool:
    return any(
        isinstance(x, Tensor) or (isinstance(x, (list, tuple)) and _contains_tensor(x)) for x in seq
    )


def _tensors_to_lists(seq: Any) -> Any:
    return [
        x.tolist()
        if isinstance(x, Tensor)
        else _tensors_to_lists(x)
        if isinstance(x, (list, tuple))
        else x
        for x in seq
    ]


def tensor(
    data: Any, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False
) -> Tensor:
    """Creates a tensor by copying ``data`` (a scalar, nested lists, a NumPy array or a tensor).

    Args:
        data: the values; Python floats give float32, ints int64, bools bool.
        dtype: the element type (``cr.float32`` by default for floating data).
        device: ``None`` or ``"cpu"`` (chainrule runs on the CPU only).
        requires_grad: whether autograd records operations on the result.

    Example:
        >>> import chainrule as cr
        >>> cr.tensor([[1.0, 2.0], [3.0, 4.0]]).shape
        (2, 2)
    """
    _check_device(device, "tensor")
    # A plain Python number needs no NumPy (optimizers make their step counters this way;
    # loading NumPy would also start OpenBLAS's threads in a process that never uses them).
    kind = type(data)
    if (kind is float or kind is bool or (kind is int and -(2**63) <= data < 2**63)) and (
        dtype is None or (kind is not bool and dtype in (_C.dtype.float32, _C.dtype.float64))
    ):
        return _C.full((), data, dtype=dtype, requires_grad=requires_grad)
    import numpy as np  # lazily: `import chainrule` does not load NumPy

    # Python numbers must fit an int64 dtype (nan, inf, 1e30 raise, as in torch); the values of
    # an array or a tensor are cast as they are.
    checked = not isinstance(data, (np.ndarray, Tensor))
    return _C._from_array(_numpy_of(data, dtype), dtype, requires_grad, checked)


def arange(
    start: Any,
    end: Any = None,
    step: Any = 1,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: builtins.bool = False,
) -> Tensor:
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 unless a bound is a float.

    Example:
        >>> import chainrule as cr
        >>> cr.arange(3).tolist()
        [0, 1, 2]
    """
    _check_device(device, "arange")
    if end is None:
        start, end = 0, start
    if dtype is None:
        is_float = any(isinstance(v, builtins.float) for v in (start, end, step))
        dtype = _C.dtype.float32 if is_float else _C.dtype.int64
    return _C._arange(
        builtins.float(start), builtins.float(end), builtins.float(step), dtype, requires_grad
    )


def randint(
    low: Any = None,
    high: Any = None,
    size: Any = None,
    *,
    generator: Any = None,
    dtype: Any = None,
    device: Any = None,
    requires_grad: builtins.bool = False,
) -> Tensor:
    """Uniform integers in ``[low, high)``; ``low`` defaults to 0 as in PyTorch.

    Accepts ``randint(high, size)``, ``randint(low, high, size)``, ``randint(10, size=(3,))``
    and ``randint(high=10, size=(3,))``.

    Args:
        low: the smallest value (0 when only ``high`` is given).
        high: one above the largest value.
        size: the shape, a tuple or list.
        generator: a ``cr.Generator`` (the default generator otherwise).
        dtype: the element type (int64 by default).

    Example:
        >>> import chainrule as cr
        >>> cr.randint(10, (3,)).shape
        (3,)
    """
    if size is None and isinstance(high, (tuple, list)):
        low, high, size = 0, low, high  # randint(high, size)
    elif high is None:
        low, high = 0, low  # randint(high, size=...)
    elif low is None:
        low = 0  # randint(high=..., size=...)
    if size is None:
        raise TypeError("randint: missing the 'size' argument")
    if high is None:
        raise TypeError("randint: missing the 'high' argument")
    _check_device(device, "randint")
    out = _C._randint(int(low), int(high), tuple(size), generator, dtype)
    if requires_grad:
        out.requires_grad_(True)
    return out


def _check_device(dev: Any, op: str) -> None:
    if dev is not None:
        from chainrule._device import device

        device(dev)  # raises for anything but the CPU


def is_tensor(obj: Any) -> builtins.bool:
    """True when ``obj`` is a ``cr.Tensor`` (or a subclass such as ``nn.Parameter``)."""
    return isinstance(obj, Tensor)


def numel(input: Tensor) -> int:
    """The number of elements of ``input``."""
    try:
        return input.numel()
    except AttributeError:
        check_tensor("numel", "input", 1, input)
        raise


def is_floating_point(input: Tensor) -> builtins.bool:
    """True when ``input``'s dtype is float32 or float64."""
    try:
        return input.is_floating_point()
    except AttributeError:
        check_tensor("is_floating_point", "input", 1, input)
        raise


def get_default_dtype() -> Any:
    """The dtype Python floats become: always ``cr.float32`` in chainrule."""
    return _C.dtype.float32


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """Converts ``data`` to a tensor, sharing memory when it can, as ``torch.as_tensor``.

    A tensor of the asked dtype is returned as is; a NumPy array of a supported dtype
    (float32, float64, int64, bool) that needs no conversion shares its memory with the
    result; anything else is copied as by ``cr.tensor``.

    Args:
        data: a tensor, a NumPy array, a scalar or nested lists.
        dtype: the element type (inferred from ``data`` by default).
        device: ``None`` or ``"cpu"``.

    Example:
        >>> import numpy as np, chainrule as cr
        >>> a = np.zeros(3)
        >>> t = cr.as_tensor(a); a[0] = 1.0; t[0].item()
        1.0
    """
    import numpy as np  # lazily: `import chainrule` does not load NumPy

    _check_device(device, "as_tensor")
    if isinstance(data, Tensor):
        return data if dtype is None or data.dtype == dtype else data.to(dtype)
    if (
        isinstance(data, np.ndarray)
        and data.dtype in _dtypes()
        and (dtype is None or _dtypes()[data.dtype] == dtype)
    ):
        try:
            return _C.from_numpy(data)
        except ValueError:  # negative or unaligned strides: copy instead
            pass
    return tensor(data, dtype=dtype)


def zeros_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False
) -> Tensor:
    """Zeros with the shape (and by default the dtype) of ``input``."""
    _check_device(device, "zeros_like")
    try:
        shape = input.shape
    except AttributeError:
        check_tensor("zeros_like", "input", 1, input)
        raise
    return _C.zeros(shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def ones_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False
) -> Tensor:
    """Ones with the shape (and by default the dtype) of ``input``."""
    _check_device(device, "ones_like")
    try:
        shape = input.shape
    except AttributeError:
        check_tensor("ones_like", "input", 1, input)
        raise
    return _C.ones(shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def empty_like(
    input: Tensor, *, dtype: Any = None, device: Any = None, requires_grad: builtins.bool = False
) -> Tensor:
    """Uninitialised memory with the shape (and by default the dtype) of ``input``."""
    _check_device(device, "empty_like")
    try:
        shape = input.shape
    except AttributeError:
        check_tensor("empty_like", "input", 1, input)
        raise
    return _C.empty(shape, dtype=dtype or input.dtype, requires_grad=requires_grad)


def full(
    size: Any,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: builtins.bool = False,
) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from the value)."""
    _check_device(device, "full")
    if isinstance(size, int):
        size = (size,)
    return _C.full(tuple(size), fill_value, dtype=dtype, requires_grad=requires_grad)


def full_like(
    input: Tensor,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: builtins.bool = False,
) -> Tensor:
    """``full`` with the shape (and by default the dtype) of ``input``."""
    _check_device(device, "full_like")
    try:
        shape = input.shape
    except AttributeError:
        check_tensor("full_like", "input", 1, input)
        raise
    return _C.full(shape, fill_value, dtype=dtype or input.dtype, requires_grad=requires_grad)


def randn_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    generator: Any = None,
    requires_grad: builtins.bool = False,
) -> Tensor:
    """Standard normal draws with the shape (and by default the dtype) of ``input``."""
    _check_device(device, "randn_like")
    try:
        shape = input.shape
    except AttributeError:
        check_tensor("randn_like", "input", 1, input)
        raise
    return _C.randn(
        shape, dtype=dtype or input.dtype, generator=generator, requires_grad=requires_grad
    )


def rand_like(
    input: Tensor,
    *,
    dtype: Any = None,
    device: Any = None,
    generator: Any = None,
    requires_grad: builtins.bool = False,
) -> Tensor:
    """Uniform [0, 1) draws with the shape (and by default the dtype) of ``input``."""
    _check_device(device, "rand_like")
    try:
        shape = input.shape
    except AttributeError:
        check_tensor("rand_like", "input", 1, input)
        raise
    return _C.rand(
        shape, dtype=dtype or input.dtype, generator=generator, requires_grad=requires_grad
    )
