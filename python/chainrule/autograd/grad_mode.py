"""Grad mode: ``no_grad``, ``enable_grad``, ``set_grad_enabled`` and ``is_grad_enabled``.

The flag itself lives in C++ (thread-local, as in PyTorch); this module only wraps it in
context managers that also work as function decorators.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Generator
from typing import Any, TypeVar, cast

from chainrule import _C

__all__ = ["enable_grad", "is_grad_enabled", "no_grad", "set_grad_enabled"]

F = TypeVar("F", bound=Callable[..., Any])

is_grad_enabled: Callable[[], bool] = _C.is_grad_enabled
_set_grad_enabled: Callable[[bool], None] = _C._set_grad_enabled


def _wrap_generator(
    make_ctx: Callable[[], Any], func: Callable[..., Generator[Any, Any, Any]]
) -> Any:
    """Runs every step of the generator ``func`` under a fresh ``make_ctx()``.

    Code between ``yield`` points runs under the context; the caller's code between
    ``next()`` calls does not (the mode is restored at each ``yield``).
    """

    @functools.wraps(func)
    def generator_context(*args: Any, **kwargs: Any) -> Any:
        gen = func(*args, **kwargs)
        try:
            with make_ctx():
                response = gen.send(None)
            while True:
                try:
                    request = yield response
                except GeneratorExit:
                    with make_ctx():
                        gen.close()
                    raise
                except BaseException as exc:
                    with make_ctx():
                        response = gen.throw(exc)
                else:
                    with make_ctx():
                        response = gen.send(request)
        except StopIteration as e:
            return e.value

    return generator_context


class _DecoratorContextManager:
    """A context manager that can also decorate a function (a new instance per call)."""

    def __call__(self, func: F) -> F:
        if inspect.isclass(func):
            raise RuntimeError(
                f"{type(self).__name__}: cannot decorate a class; decorate its methods instead"
            )
        if inspect.isgeneratorfunction(func):
            return cast(F, _wrap_generator(self.clone, func))

        @functools.wraps(func)
        def decorate_context(*args: Any, **kwargs: Any) -> Any:
            with self.clone():
                return func(*args, **kwargs)

        return cast(F, decorate_context)

    def __enter__(self) -> None:
        raise NotImplementedError

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        raise NotImplementedError

    def clone(self) -> _DecoratorContextManager:
        return self.__class__()


class _BareDecoratable(_DecoratorContextManager):
    """Also usable without parentheses: ``@cr.no_grad`` as well as ``@cr.no_grad()``."""

    def __new__(cls, orig_func: Callable[..., Any] | None = None) -> Any:
        if orig_func is None:
            return super().__new__(cls)
        return cls()(orig_func)


class no_grad(_BareDecoratable):
    """Context manager and decorator that disables gradient tracking.

    Inside it, results of operations have ``requires_grad=False`` and no ``grad_fn``, even
    when their inputs require grad. The mode is thread-local: other threads are not
    affected, and a new thread starts with grad enabled.

    Example:
        >>> import chainrule as cr
        >>> x = cr.ones(2, requires_grad=True)
        >>> with cr.no_grad():
        ...     y = x * 2
        >>> y.requires_grad
        False
        >>> @cr.no_grad()
        ... def double(t):
        ...     return t * 2
        >>> double(x).requires_grad
        False
    """

    __slots__ = ("prev",)

    def __init__(self) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = is_grad_enabled()
        _set_grad_enabled(False)

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        _set_grad_enabled(self.prev)


class enable_grad(_BareDecoratable):
    """Context manager and decorator that enables gradient tracking (e.g. inside ``no_grad``).

    Example:
        >>> import chainrule as cr
        >>> x = cr.ones(2, requires_grad=True)
        >>> with cr.no_grad():
        ...     with cr.enable_grad():
        ...         y = x * 2
        >>> y.requires_grad
        True
    """

    __slots__ = ("prev",)

    def __init__(self) -> None:
        self.prev = False

    def __enter__(self) -> None:
        self.prev = is_grad_enabled()
        _set_grad_enabled(True)

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        _set_grad_enabled(self.prev)


class set_grad_enabled(_DecoratorContextManager):
    """Sets gradient tracking on or off; usable as a function or as a context manager.

    Called as a function, the mode changes immediately and stays. Used in a ``with``
    statement (or as a decorator), the previous mode is restored on exit.

    Args:
        mode: ``True`` to enable gradient tracking, ``False`` to disable it.

    Example:
        >>> import chainrule as cr
        >>> x = cr.ones(2, requires_grad=True)
        >>> with cr.set_grad_enabled(False):
        ...     y = x * 2
        >>> y.requires_grad
        False
        >>> _ = cr.set_grad_enabled(False)
        >>> cr.is_grad_enabled()
        False
        >>> _ = cr.set_grad_enabled(True)
    """

    __slots__ = ("mode", "prev")

    def __init__(self, mode: bool) -> None:
        self.prev = is_grad_enabled()
        self.mode = bool(mode)
        _set_grad_enabled(self.mode)

    def __call__(self, func: F) -> F:
        _set_grad_enabled(self.prev)  # as a decorator, construction must not change the mode
        return super().__call__(func)

    def __enter__(self) -> None:
        _set_grad_enabled(self.mode)

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        _set_grad_enabled(self.prev)

    def clone(self) -> set_grad_enabled:
        return self.__class__(self.mode)

    def __repr__(self) -> str:
        return f"chainrule.set_grad_enabled(mode={self.mode})"
