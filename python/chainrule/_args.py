"""Type errors for the arguments of Python-level functions, worded as the C++ ops' (and
torch's): ``zeros_like(): argument 'input' (position 1) must be Tensor, not NoneType``.

Each check is one isinstance. Light functions (the ``*_like`` factories, small activations)
call them only on their error path, from an ``except AttributeError`` around the first use
of the argument, so a correct call pays nothing; constructors and heavy functions check up
front.
"""

from __future__ import annotations

from typing import Any, NoReturn

from chainrule._C import Tensor


def _raise(fn: str, name: str, position: int | None, expected: str, value: Any) -> NoReturn:
    where = f" (position {position})" if position else ""
    raise TypeError(
        f"{fn}(): argument '{name}'{where} must be {expected}, not {type(value).__name__}"
    ) from None


def check_tensor(fn: str, name: str, position: int | None, value: Any) -> None:
    """TypeError unless ``value`` is a Tensor; ``position`` counts from 1 (None: keyword)."""
    if not isinstance(value, Tensor):
        _raise(fn, name, position, "Tensor", value)


def check_optional_tensor(fn: str, name: str, position: int | None, value: Any) -> None:
    """TypeError unless ``value`` is a Tensor or None."""
    if value is not None and not isinstance(value, Tensor):
        _raise(fn, name, position, "Tensor or None", value)


def check_tensors(fn: str, name: str, position: int | None, values: list[Any]) -> None:
    """TypeError unless every element of ``values`` (an argument's items) is a Tensor."""
    for v in values:
        if not isinstance(v, Tensor):
            where = f" (position {position})" if position else ""
            raise TypeError(
                f"{fn}(): argument '{name}'{where} must be a Tensor or an iterable of Tensors; "
                f"got an element of type {type(v).__name__}"
            )
