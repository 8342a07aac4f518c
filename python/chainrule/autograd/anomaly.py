"""Anomaly detection: make backward fail at the node whose gradient went NaN/Inf.

The flag lives in the C++ engine (process-wide, as in PyTorch); with it on, the engine
checks every gradient a node returns and raises a RuntimeError naming that node.
"""

from __future__ import annotations

from typing import Any

from chainrule import _C
from chainrule.autograd.grad_mode import _DecoratorContextManager

__all__ = ["detect_anomaly", "is_anomaly_enabled", "set_detect_anomaly"]

is_anomaly_enabled = _C.is_anomaly_enabled


class detect_anomaly(_DecoratorContextManager):
    """Context manager and decorator that turns on anomaly detection for backward.

    While it is active, backward checks the gradients every node returns and raises a
    ``RuntimeError`` like ``Function 'SqrtBackward0' returned nan or inf values in its 0th
    output.`` at the first non-finite one. This slows backward down; use it for debugging.
    Unlike PyTorch, entering it does not emit a warning.

    Args:
        check_nan: check for NaN/Inf (the only check); ``False`` disables detection.

    Example:
        >>> import chainrule as cr
        >>> x = cr.zeros(1, requires_grad=True)
        >>> with cr.autograd.detect_anomaly():
        ...     try:
        ...         x.sqrt().sum().backward()
        ...     except RuntimeError as e:
        ...         print("SqrtBackward0" in str(e))
        True
    """

    def __init__(self, check_nan: bool = True) -> None:
        self.check_nan = bool(check_nan)
        self.prev = False

    def __enter__(self) -> None:
        self.prev = is_anomaly_enabled()
        _C._set_anomaly_enabled(self.check_nan)

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        _C._set_anomaly_enabled(self.prev)

    def clone(self) -> detect_anomaly:
        return self.__class__(self.check_nan)


class set_detect_anomaly(_DecoratorContextManager):
    """Turns anomaly detection on or off; usable as a function or as a context manager.

    Called as a function the change stays; in a ``with`` statement the previous setting is
    restored on exit.

    Args:
        mode: ``True`` to enable anomaly detection.
        check_nan: check for NaN/Inf; ``False`` disables detection.

    Example:
        >>> import chainrule as cr
        >>> with cr.autograd.set_detect_anomaly(True):
        ...     cr.autograd.is_anomaly_enabled()
        True
        >>> cr.autograd.is_anomaly_enabled()
        False
    """

    def __init__(self, mode: bool, check_nan: bool = True) -> None:
        self.prev = is_anomaly_enabled()
        self.mode = bool(mode)
        self.check_nan = bool(check_nan)
        _C._set_anomaly_enabled(self.mode and self.check_nan)

    def __call__(self, func: Any) -> Any:
        _C._set_anomaly_enabled(self.prev)
        return super().__call__(func)

    def __enter__(self) -> None:
        _C._set_anomaly_enabled(self.mode and self.check_nan)

    def __exit__(self, exc_type: Any, exc_value: Any, traceback: Any) -> None:
        _C._set_anomaly_enabled(self.prev)

    def clone(self) -> set_detect_anomaly:
        return self.__class__(self.mode, self.check_nan)
