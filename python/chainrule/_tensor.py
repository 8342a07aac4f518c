"""Python conveniences on cr.Tensor: repr, item, tolist, iteration and number protocols.

The hot methods (arithmetic, views, reductions, backward) are bound in C++; only methods
that are not on a training step's path are defined here.
"""

from __future__ import annotations

import builtins
from typing import TYPE_CHECKING, Any

from chainrule import _C
from chainrule._args import check_tensor

if TYPE_CHECKING:
    import numpy as np

Tensor = _C.Tensor


def _values(t: Tensor) -> np.ndarray:
    return t.detach().numpy()


def _shown(arr: np.ndarray, edgeitems: int = 3) -> np.ndarray:
    """The elements a summarised repr displays (PyTorch formats from these only)."""
    import numpy as np  # lazily: `import chainrule` does not load NumPy

    for axis in range(arr.ndim):
        if arr.shape[axis] > 2 * edgeitems:
            n = arr.shape[axis]
            keep = np.r_[0:edgeitems, n - edgeitems : n]
            arr = np.take(arr, keep, axis=axis)
    return arr


def _float_formatter(arr: np.ndarray) -> Any:
    """PyTorch's float element format (torch/_tensor_str.py, _Formatter): ``1.``, ``1.0000`` or
    ``1.0000e+00`` style, right-aligned to the widest nonzero finite value."""
    import numpy as np  # lazily: `import chainrule` does not load NumPy

    flat = arr.reshape(-1).astype(np.float64)
    vals = flat[np.isfinite(flat) & (flat != 0)]
    int_mode, sci_mode, width = True, False, 1
    if vals.size:
        lo, hi = np.abs(vals).min(), np.abs(vals).max()
        int_mode = bool(np.all(vals == np.ceil(vals)))
        if int_mode:
            sci_mode = hi / lo > 1000.0 or hi > 1e8
            width = max(len(f"{v:.4e}") if sci_mode else len(f"{v:.0f}") + 1 for v in vals)
        else:
            sci_mode = hi / lo > 1000.0 or hi > 1e8 or lo < 1e-4
            width = max(len(f"{v:.4e}" if sci_mode else f"{v:.4f}") for v in vals)

    def fmt(v: Any) -> str:
        v = builtins.float(v)
        if sci_mode:
            out = f"{v:.4e}"
        elif int_mode:
            out = f"{v:.0f}" + ("" if np.isinf(v) or np.isnan(v) else ".")
        else:
            out = f"{v:.4f}"
        return out.rjust(width)

    return fmt


def _repr(self: Tensor) -> str:
    import numpy as np  # lazily: `import chainrule` does not load NumPy

    arr = _values(self)
    summarize = arr.size > 1000
    if self.numel() == 0:
        body = "[]"
    else:
        body = np.array2string(
            arr,
            separator=", ",
            prefix="tensor(",
            formatter=(
                {"float_kind": _float_formatter(_shown(arr) if summarize else arr)}
                if self.dtype.is_floating_point
                else None
            ),
            threshold=1000,
            edgeitems=3,
            max_line_width=80,
        )
        if summarize:
            body = body.replace(", ..., ", ",  ..., ")  # torch's " ..." element
    extras = []
    if self.numel() == 0 and self.ndim > 1:
        extras.append(f"size={tuple(self.shape)}")
    # An empty tensor shows any dtype but the default; otherwise int64 and bool are implied
    # by the values.
    implied = (
        (_C.dtype.float32,)
        if self.numel() == 0
        else (_C.dtype.float32, _C.dtype.int64, _C.dtype.bool)
    )
    if self.dtype not in implied:
        extras.append(f"dtype={self.dtype}")
    if self.grad_fn is not None:
        extras.append(f"grad_fn=<{self.grad_fn.name()}>")
    elif self.requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + ", ".join([body, *extras]) + ")"


def _tolist(self: Tensor) -> Any:
    return _values(self).tolist()


def _len(self: Tensor) -> int:
    if self.ndim == 0:
        raise TypeError("len() of a 0-d tensor")
    return int(self.shape[0])


def _iter(self: Tensor) -> Any:
    if self.ndim == 0:
        raise TypeError("iteration over a 0-d tensor")
    return iter(self.unbind(0))  # views with UnbindBackward0, as PyTorch


def _bool(self: Tensor) -> builtins.bool:
    if self.numel() != 1:
        raise RuntimeError(
            f"bool: Boolean value of Tensor with {self.numel()} elements is ambiguous"
        )
    return builtins.bool(self.item())


def _float(self: Tensor) -> builtins.float:
    return builtins.float(self.item())


def _int(self: Tensor) -> int:
    return int(self.item())


def _index(self: Tensor) -> int:
    if self.dtype not in (_C.dtype.int64, _C.dtype.bool) or self.numel() != 1:
        raise TypeError("only integer tensors of a single element can be converted to an index")
    return int(self.item())


def _install(methods: dict[str, Any]) -> None:
    # setattr: _C.pyi already declares these members with their public signatures.
    for name, value in methods.items():
        setattr(Tensor, name, value)


def _install_tensor_methods() -> None:
    _install({"__repr__": _repr, "__str__": _repr, "tolist": _tolist})
    if not hasattr(Tensor, "__len__"):
        _install({"__len__": _len})
    _install(
        {
            "__iter__": _iter,
            "__bool__": _bool,
            "__float__": _float,
            "__int__": _int,
            "__index__": _index,
        }
    )
    # NumPy defers to our reflected operators (array + tensor -> Tensor.__radd__).
    Tensor.__array_priority__ = 1000
    _install_extras()


# ---- devices, conversions and new_* factories ------------------------------------------

_to_dtype = Tensor.to  # the C++ .to(dtype); .to(...) below accepts every torch form


def _device(self: Tensor) -> Any:
    from chainrule._device import CPU

    return CPU


def _is_dtype(obj: Any) -> builtins.bool:
    return isinstance(obj, _C.dtype)


def _to(self: Tensor, *args: Any, **kwargs: Any) -> Tensor:
    """Converts dtype (the device is always the CPU), as ``torch.Tensor.to``.

    Forms: ``to(dtype)``, ``to(device)``, ``to("cpu")``, ``to(other)``, ``to(device, dtype)``,
    with keywords ``device=``, ``dtype=``, ``non_blocking=`` (ignored) and ``copy=``.
    Returns ``self`` when nothing changes and ``copy`` is false.

    Example:
        >>> import chainrule as cr
        >>> cr.ones(2).to("cpu", cr.float64).dtype
        chainrule.float64
    """
    from chainrule._device import device

    dev = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = kwargs.pop("copy", False)
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"to: unexpected keyword argument '{next(iter(kwargs))}'")
    rest = list(args)
    if rest and isinstance(rest[0], Tensor):
        other = rest.pop(0)
        dtype = other.dtype
    elif rest and (isinstance(rest[0], (str, device)) or rest[0] is None):
        dev = rest.pop(0)
    if rest and _is_dtype(rest[0]):
        dtype = rest.pop(0)
    # trailing positional non_blocking / copy, as in torch's signatures
    if rest and isinstance(rest[0], builtins.bool):
        rest.pop(0)
        if rest and isinstance(rest[0], builtins.bool):
            copy = rest.pop(0)
    if rest:
        raise TypeError(f"to: received an invalid combination of arguments: {args!r}")
    if dev is not None:
        device(dev)  # raises for anything but the CPU
    if dtype is not None and not _is_dtype(dtype):
        raise TypeError(f"to: dtype must be a chainrule dtype; got {dtype!r}")
    out = self if dtype is None or dtype == self.dtype else _to_dtype(self, dtype)
    if copy and out is self:
        out = self.clone()
    return out


def _type_as(self: Tensor, other: Tensor) -> Tensor:
    """``self`` converted to ``other``'s dtype (``self`` itself when they match)."""
    try:
        return _to(self, other.dtype)
    except AttributeError:
        check_tensor("type_as", "other", 1, other)
        raise


def _cpu(self: Tensor) -> Tensor:
    """``self``: chainrule tensors always live on the CPU."""
    return self


def _size_of(size: tuple[Any, ...], op: str) -> tuple[int, ...]:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    if not all(isinstance(s, int) or hasattr(s, "__index__") for s in size):
        raise TypeError(f"{op}: size must be a sequence of ints; got {size!r}")
    return tuple(s.__index__() for s in size)


def _new_factory(name: str, fill: Any) -> Any:
    def method(
        self: Tensor,
        *size: Any,
        dtype: Any = None,
        device: Any = None,
        requires_grad: builtins.bool = False,
        **kwargs: Any,
    ) -> Tensor:
        if "size" in kwargs:
            size = (kwargs.pop("size"),)
        kwargs.pop("pin_memory", None)
        kwargs.pop("layout", None)
        if kwargs:
            raise TypeError(f"{name}: unexpected keyword argument '{next(iter(kwargs))}'")
        _check_dev(device)
        shape = _size_of(size, name)
        dt = self.dtype if dtype is None else dtype
        out = _C.empty(shape, dtype=dt) if fill is None else _C.full(shape, fill, dtype=dt)
        if requires_grad:
            out.requires_grad_(True)
        return out

    method.__name__ = name
    method.__doc__ = (
        f"A new tensor of ``size`` ({'uninitialised' if fill is None else fill}s"
        " in the name), with ``self``'s dtype unless ``dtype`` is given."
    )
    return method


def _check_dev(dev: Any) -> None:
    if dev is not None:
        from chainrule._device import device

        device(dev)


def _new_full(
    self: Tensor,
    size: Any,
    fill_value: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: builtins.bool = False,
) -> Tensor:
    """A tensor of ``size`` filled with ``fill_value``, with ``self``'s dtype by default."""
    _check_dev(device)
    out = _C.full(
        _size_of((size,), "new_full"), fill_value, dtype=self.dtype if dtype is None else dtype
    )
    if requires_grad:
        out.requires_grad_(True)
    return out


def _new_tensor(
    self: Tensor,
    data: Any,
    *,
    dtype: Any = None,
    device: Any = None,
    requires_grad: builtins.bool = False,
) -> Tensor:
    """A copy of ``data`` as a tensor with ``self``'s dtype (unless ``dtype`` is given)."""
    from chainrule._creation import tensor

    _check_dev(device)
    return tensor(data, dtype=self.dtype if dtype is None else dtype, requires_grad=requires_grad)


_numpy_c = Tensor.numpy


def _numpy(self: Tensor, *, force: builtins.bool = False) -> np.ndarray:
    """A NumPy array sharing memory (strided like the tensor).

    Args:
        force: detach first, so that a tensor that requires grad converts too (torch's
            ``numpy(force=True)``; the memory is still shared).
    """
    return _numpy_c(self.detach() if force else self)


def _format(self: Tensor, spec: str) -> str:
    # f"{loss:.4f}" works on 0-d tensors, as in PyTorch; other tensors use str().
    if self.ndim == 0:
        return format(self.item(), spec)
    return object.__format__(self, spec)


def _deepcopy(self: Tensor, memo: dict[int, Any]) -> Tensor:
    """A deep copy with its own storage; keeps the subclass (nn.Parameter), ``requires_grad``,
    ``.grad`` and Python attributes. Only leaves can be copied, as in PyTorch."""
    import copy

    if id(self) in memo:
        return memo[id(self)]  # type: ignore[no-any-return]
    if not self.is_leaf:
        raise RuntimeError(
            "deepcopy: only tensors created explicitly by the user (graph leaves) support the "
            "deepcopy protocol; use .detach() first"
        )
    from chainrule.autograd.grad_mode import no_grad

    with no_grad():
        data = self.clone()
    new = Tensor.__new__(type(self))
    Tensor.__init__(new, data, self.requires_grad)
    memo[id(self)] = new
    if self.grad is not None:
        new.grad = copy.deepcopy(self.grad, memo)
    state = getattr(self, "__dict__", None)
    if state:
        new.__dict__.update(copy.deepcopy(state, memo))
    return new


def _install_extras() -> None:
    _install(
        {
            "to": _to,
            "__deepcopy__": _deepcopy,
            "type_as": _type_as,
            "cpu": _cpu,
            "device": property(_device, doc="Always ``cr.device('cpu')``."),
            "is_cuda": property(lambda self: False, doc="Always False: chainrule runs on the CPU."),
            "is_cpu": property(lambda self: True, doc="Always True."),
            "new_zeros": _new_factory("new_zeros", 0),
            "new_ones": _new_factory("new_ones", 1),
            "new_empty": _new_factory("new_empty", None),
            "new_full": _new_full,
            "new_tensor": _new_tensor,
            "__format__": _format,
            "numpy": _numpy,
        }
    )
