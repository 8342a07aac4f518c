"""Graph helpers: ``Tensor.register_hook`` and its ``RemovableHandle``, ``Node``.

Importing this module installs ``register_hook`` on ``cr.Tensor``.
"""

from __future__ import annotations

from collections.abc import Callable

from chainrule import _C

__all__ = ["Node", "RemovableHandle", "register_hook"]

Node = _C.Node
RemovableHandle = _C.RemovableHandle
Tensor = _C.Tensor


def register_hook(self: Tensor, hook: Callable[[Tensor], Tensor | None]) -> RemovableHandle:
    """Registers a backward hook, called with the gradient of this tensor.

    The hook runs each time a gradient with respect to this tensor is computed, before it is
    accumulated into ``.grad`` (leaves) or passed on (non-leaves). It must not modify its
    argument in place; it may return a new gradient (same shape and dtype) to use instead,
    or ``None``.

    Args:
        hook: ``hook(grad) -> Tensor or None``.

    Returns:
        A handle whose ``.remove()`` removes the hook.

    Example:
        >>> import chainrule as cr
        >>> x = cr.ones(2, requires_grad=True)
        >>> h = x.register_hook(lambda g: g * 2)
        >>> (x * 3).sum().backward()
        >>> x.grad.tolist()
        [6.0, 6.0]
        >>> h.remove()
    """
    if not self.requires_grad:
        raise RuntimeError(
            "register_hook: cannot register a hook on a tensor that doesn't require gradient"
        )
    if not callable(hook):
        raise TypeError(f"register_hook: expected a callable hook; got {type(hook).__name__}")
    name = getattr(hook, "__name__", type(hook).__name__)

    def checked_hook(grad: Tensor) -> Tensor | None:
        result = hook(grad)
        if result is None:
            return None
        if not isinstance(result, Tensor):
            raise TypeError(
                f"hook '{name}' returned a {type(result).__name__}; expected a Tensor or None"
            )
        if tuple(result.shape) != tuple(grad.shape):
            raise RuntimeError(
                f"hook '{name}' has changed the size of value: got shape "
                f"{tuple(result.shape)} for a gradient of shape {tuple(grad.shape)}"
            )
        if result.dtype != grad.dtype:
            raise RuntimeError(
                f"hook '{name}' has changed the type of value: got {result.dtype} for a "
                f"gradient of dtype {grad.dtype}"
            )
        return result

    return RemovableHandle(self, self._register_hook(checked_hook))


Tensor.register_hook = register_hook  # type: ignore[method-assign]  # declared in _C.pyi
