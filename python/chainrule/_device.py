"""cr.device: chainrule runs on the CPU only; the class exists so torch-style code ports."""

from __future__ import annotations

from typing import Any


class device:
    """A device description; only ``"cpu"`` (optionally ``"cpu:0"``) is supported.

    Args:
        type: ``"cpu"``, ``"cpu:0"`` or another ``cr.device``.
        index: an optional device index (0 only).

    Example:
        >>> import chainrule as cr
        >>> str(cr.device("cpu"))
        'cpu'
    """

    __slots__ = ("_index",)

    def __init__(self, type: Any, index: int | None = None) -> None:
        if isinstance(type, device):
            index = type.index if index is None else index
            type = type.type
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string or a device; got {type!r}")
        name, _, idx = type.partition(":")
        if idx:
            if index is not None:
                raise RuntimeError(
                    f"device: type (string) must not include an index because "
                    f"index was passed explicitly: {type}"
                )
            if not idx.isdigit():
                raise RuntimeError(f"device: invalid device string: '{type}'")
            index = int(idx)
        if name != "cpu":
            raise RuntimeError(
                f"device: chainrule runs on the CPU only; got device '{type}' "
                "(use 'cpu', or torch for GPUs)"
            )
        if index is not None and index != 0:
            raise RuntimeError(f"device: chainrule has one CPU device (index 0); got {index}")
        self._index = index

    @property
    def type(self) -> str:
        return "cpu"

    @property
    def index(self) -> int | None:
        return self._index

    def __str__(self) -> str:
        return "cpu" if self._index is None else f"cpu:{self._index}"

    def __repr__(self) -> str:
        if self._index is None:
            return "device(type='cpu')"
        return f"device(type='cpu', index={self._index})"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except RuntimeError:
                return False
        return isinstance(other, device) and self._index == other._index

    def __hash__(self) -> int:
        return hash(("cpu", self._index))

    def __reduce__(self) -> Any:
        return (device, (str(self),))


CPU = device("cpu")
