"""Parameter and Buffer: tensors a Module registers when they are assigned to it."""

from __future__ import annotations

from typing import Any

from chainrule import _C

Tensor = _C.Tensor


class Parameter(Tensor):
    """A tensor that is a module's learnable parameter.

    Assigning a Parameter to a Module attribute registers it: it then appears in
    ``parameters()`` and ``state_dict()``. It shares ``data``'s storage but not its history,
    and requires grad unless told otherwise.

    Args:
        data: the initial values (shared, not copied). ``None`` gives an empty tensor.
        requires_grad: whether the parameter is trained. Default: True.

    Example:
        >>> import chainrule as cr
        >>> w = cr.nn.Parameter(cr.zeros(2))
        >>> w.requires_grad, w.is_leaf
        (True, True)
    """

    def __init__(self, data: Tensor | None = None, requires_grad: bool = True) -> None:
        if data is None:
            data = _C.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter: data must be a Tensor or None; got {type(data).__name__}")
        super().__init__(data, requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    __str__ = __repr__

    def __reduce_ex__(self, protocol: Any) -> Any:
        raise TypeError("Parameter: pickling is not supported; use cr.save(module.state_dict())")


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute.

    Once assigned, the module holds a plain tensor sharing ``data``'s storage, as
    ``register_buffer(name, data, persistent)`` would.

    Args:
        data: the buffer's values. ``None`` gives an empty tensor.
        persistent: whether the buffer is part of ``state_dict()``. Default: True.
    """

    def __init__(self, data: Tensor | None = None, *, persistent: bool = True) -> None:
        if data is None:
            data = _C.empty(0)
        super().__init__(data, False)
        self.persistent = persistent
