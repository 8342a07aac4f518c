"""cr.save / cr.load: a safe, documented checkpoint format (no pickle).

The byte layout is specified in ``docs/checkpoint-format.md``. This file is its reference
writer, with the atomic replacement of a checkpoint on disk; the validating reader is
``_checkpoint_reader.py``. Nothing executes code from a file: the header is JSON, tensors are
raw little-endian buffers, and every length, offset and checksum is checked before use.
"""

from __future__ import annotations

import collections
import json
import os
import struct
import sys
import zlib
from pathlib import Path
from typing import IO, Any

from chainrule import _C
from chainrule._atomic_write import write_atomic
from chainrule._checkpoint_format import (
    ALIGNMENT,
    ITEMSIZE,
    MAGIC,
    MAX_DEPTH,
    MAX_HEADER_BYTES,
    PREFIX,
    TRAILER,
    VERSION,
)
from chainrule._checkpoint_reader import open_for_read

__all__ = ["load", "save"]

Tensor = _C.Tensor

_CHUNK = 4 << 20  # checksum each chunk while it is still in cache


# ---- save ------------------------------------------------------------------------------


def _where(path: tuple[Any, ...]) -> str:
    return "at " + "".join(f"[{k!r}]" for k in path) if path else "at the top level"


def _nn_class(name: str) -> type | None:
    # nn.Parameter/nn.Buffer exist only if chainrule.nn.parameter was imported: never
    # import nn here just to find out.
    cls = getattr(sys.modules.get("chainrule.nn.parameter"), name, None)
    return cls if isinstance(cls, type) else None


class _Encoder:
    """Turns an object tree into the JSON header tree and a list of tensors to write."""

    def __init__(self) -> None:
        self.tensors: list[tuple[int, int, Tensor]] = []  # (offset, nbytes, tensor)
        self.data_nbytes = 0
        self._active: set[int] = set()  # ids of the containers on the current path

    def encode(self, obj: Any, path: tuple[Any, ...]) -> Any:
        t = type(obj)
        if obj is None or t is bool:
            return obj
        if t is str:
            return self._string(obj, path)
        if t is int:
            try:
                return {"type": "int", "value": str(obj)}
            except ValueError as e:  # more digits than int(str) may read back
                raise ValueError(f"save: int {_where(path)} is too large to save ({e})") from None
        if t is float:
            return {"type": "float", "value": repr(obj)}
        if isinstance(obj, Tensor):
            return self._tensor(obj, path)
        if t in (list, tuple, dict, collections.OrderedDict):
            if len(path) >= MAX_DEPTH:
                raise ValueError(
                    f"save: containers nested more than {MAX_DEPTH} deep {_where(path)}"
                )
            if id(obj) in self._active:
                raise ValueError(f"save: the object contains a reference cycle {_where(path)}")
            self._active.add(id(obj))
            try:
                return self._container(obj, path)
            finally:
                self._active.discard(id(obj))
        hint = (
            "; save its state_dict() instead"
            if callable(getattr(obj, "state_dict", None))
            else "; supported: tensors, dict, OrderedDict, list, tuple, str, int, float, bool, None"
        )
        raise TypeError(f"save: cannot save object of type {t.__qualname__} {_where(path)}" + hint)

    def _string(self, s: str, path: tuple[Any, ...]) -> str:
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(
                f"save: the string {_where(path)} is not valid Unicode "
                "(it contains a lone surrogate)"
            ) from None
        return s

    def _container(self, obj: Any, path: tuple[Any, ...]) -> dict[str, Any]:
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                items.append([self._key(k, path), self.encode(v, (*path, k))])
            node: dict[str, Any] = {
                "type": "dict" if type(obj) is dict else "ordered_dict",
                "items": items,
            }
            # torch's Module.state_dict() keeps per-module versions in `_metadata`.
            meta = getattr(obj, "_metadata", None)
            if type(obj) is collections.OrderedDict and meta is not None:
                node["metadata"] = self.encode(meta, (*path, "<_metadata>"))
            return node
        kind = "list" if type(obj) is list else "tuple"
        return {"type": kind, "items": [self.encode(v, (*path, i)) for i, v in enumerate(obj)]}

    def _key(self, k: Any, path: tuple[Any, ...]) -> Any:
        if type(k) is tuple:
            return {"type": "tuple", "items": [self._key(x, path) for x in k]}
        if k is None or type(k) in (bool, int, float, str):
            return self.encode(k, path)
        raise TypeError(
            f"save: cannot save a dict key of type {type(k).__qualname__} "
            f"{_where(path)}; keys must be str, int, float, bool, None or tuples "
            "of those"
        )

    def _tensor(self, t: Tensor, path: tuple[Any, ...]) -> dict[str, Any]:
        parameter = False
        if type(t) is not Tensor:
            parameter_cls, buffer_cls = _nn_class("Parameter"), _nn_class("Buffer")
            if parameter_cls is not None and isinstance(t, parameter_cls):
                parameter = True
            elif buffer_cls is None or not isinstance(t, buffer_cls):  # a Buffer: plain tensor
                raise TypeError(
                    f"save: cannot save object of type {type(t).__qualname__} "
                    f"{_where(path)}; only tensors, nn.Parameter and nn.Buffer"
                )
        dtype = t.dtype.name
        shape = list(t.shape)
        nbytes = ITEMSIZE[dtype]
        for d in shape:
            nbytes *= d
        offset = -(-self.data_nbytes // ALIGNMENT) * ALIGNMENT
        self.data_nbytes = offset + nbytes
        self.tensors.append((offset, nbytes, t))
        node = {
            "type": "tensor",
            "dtype": dtype,
            "shape": shape,
            "offset": offset,
            "nbytes": nbytes,
            "requires_grad": bool(t.requires_grad),
        }
        if parameter:
            node["parameter"] = True
        return node


def _tensor_bytes(t: Tensor) -> memoryview:
    """The tensor's elements as C-contiguous little-endian bytes (a copy only if needed)."""
    c = t.detach().contiguous()
    if sys.byteorder != "little":
        import numpy as np

        swapped: memoryview = np.asarray(c).byteswap().data
        return swapped.cast("B")
    return memoryview(c).cast("B")


def _write_all(f: IO[bytes], data: bytes | memoryview) -> None:
    view = memoryview(data)
    while view.nbytes:
        n = f.write(view)
        if n is None or n >= view.nbytes:  # buffered writers write everything
            return
        view = view[n:]


def _head(enc: _Encoder, root: Any) -> bytes:
    """The prefix and the header, or a ValueError if ``load`` would refuse the header."""
    header_obj = {
        "format": "chainrule-checkpoint",
        "alignment": ALIGNMENT,
        "data_nbytes": enc.data_nbytes,
        "checksum": "crc32",
        "root": root,
    }
    header = json.dumps(
        header_obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False
    ).encode("utf-8")
    # Pad with spaces (JSON whitespace) so the data section starts on an aligned offset.
    header += b" " * (-(PREFIX.size + len(header)) % ALIGNMENT)
    if len(header) > MAX_HEADER_BYTES:
        raise ValueError(
            f"save: the checkpoint's header would take {len(header)} bytes, over "
            f"the format's limit of {MAX_HEADER_BYTES}; store long runs of "
            "numbers as tensors rather than as lists of Python numbers"
        )
    head = PREFIX.pack(MAGIC, VERSION, 0, len(header), zlib.crc32(header), 0)
    return head[:-4] + struct.pack("<I", zlib.crc32(head[:-4])) + header


def _write(f: IO[bytes], head: bytes, enc: _Encoder) -> None:
    crc = zlib.crc32(head)
    _write_all(f, head)
    pos = 0
    for offset, nbytes, t in enc.tensors:
        if offset > pos:
            pad = bytes(offset - pos)
            crc = zlib.crc32(pad, crc)
            _write_all(f, pad)
        if nbytes:
            with _tensor_bytes(t) as view:
                for i in range(0, nbytes, _CHUNK):
                    chunk = view[i : i + _CHUNK]
                    crc = zlib.crc32(chunk, crc)
                    _write_all(f, chunk)
        pos = offset + nbytes
    _write_all(f, TRAILER.pack(crc))


def save(obj: Any, f: Any, pickle_module: Any = None, pickle_protocol: Any = None) -> None:
    """Saves tensors and nested containers of them to a checkpoint file (no pickle).

    Supported objects: tensors (float32, float64, int64, bool; any shape; ``requires_grad``
    and ``nn.Parameter`` are kept; an ``nn.Buffer`` becomes a plain tensor), dict and
    ``collections.OrderedDict`` (keys: str, int, float, bool, None or tuples of those, kept
    with their types and order), list, tuple, str, int, float (including nan and inf), bool
    and None. Each tensor is saved by value:
    views are saved as their own elements, and tensors sharing storage become independent
    tensors on load. The format is documented in ``docs/checkpoint-format.md``.

    When ``f`` is a path, the file is replaced atomically: the checkpoint is written to a
    hidden temporary file ``.<name>.<pid>-<host tag>-<8 hex digits>.tmp`` in the same
    directory, flushed, fsynced and renamed over ``f``, so a crash leaves either the old or
    the new file. If ``save`` raises, its temporary file is removed; a successful save also
    removes the temporary files of earlier saves of ``f`` whose process is dead (checked on
    this machine) or that nobody has touched for a day.

    Args:
        obj: the object to save, e.g. ``model.state_dict()`` or ``{"model": ..., "optim": ...}``.
        f: a path (str or os.PathLike) or a binary file object open for writing.
        pickle_module: accepted for PyTorch compatibility and ignored.
        pickle_protocol: accepted for PyTorch compatibility and ignored.

    Raises:
        TypeError: ``obj`` contains an unsupported object (the message names its type and
            where it is, e.g. ``['model']['x']``).
        ValueError: a reference cycle, nesting deeper than 100 containers, a string that
            is not valid Unicode, or a header over 256 MiB (millions of Python numbers).

    Example:
        >>> import io, chainrule as cr
        >>> buf = io.BytesIO()
        >>> cr.save({"w": cr.ones(2), "step": 3}, buf)
        >>> _ = buf.seek(0)
        >>> cr.load(buf)
        {'w': tensor([1., 1.]), 'step': 3}
    """
    del pickle_module, pickle_protocol
    enc = _Encoder()
    # Every TypeError and ValueError is raised here, before any file is touched.
    head = _head(enc, enc.encode(obj, ()))
    if isinstance(f, (str, bytes, os.PathLike)):
        write_atomic(Path(os.fsdecode(f)), lambda fh: _write(fh, head, enc))
    elif hasattr(f, "write"):
        _write(f, head, enc)
    else:
        raise TypeError(
            f"save: f must be a path or a binary file object; got {type(f).__qualname__}"
        )


# ---- load ------------------------------------------------------------------------------


def _check_map_location(map_location: Any) -> None:
    if map_location is None:
        return
    from chainrule._device import device

    if isinstance(map_location, (str, device)):
        try:
            device(map_location)
            return
        except (RuntimeError, TypeError):
            pass
    raise ValueError(
        f"load: map_location must be None, 'cpu' or cr.device('cpu') "
        f"(chainrule runs on the CPU only); got {map_location!r}"
    )


def load(
    f: Any,
    map_location: Any = None,
    pickle_module: Any = None,
    *,
    weights_only: bool = True,
    mmap: Any = None,
    **pickle_load_args: Any,
) -> Any:
    """Loads an object saved by :func:`save`, validating the whole file first.

    Returns fresh tensors that own their memory; dicts, OrderedDicts, lists, tuples and
    key types come back as they were saved. Nothing from the file is executed.

    Args:
        f: a path (str or os.PathLike) or a binary file object open for reading, positioned
            at the checkpoint (it is left just after it).
        map_location: ``None``, ``"cpu"`` or ``cr.device("cpu")`` (chainrule is CPU-only).
        pickle_module: accepted for PyTorch compatibility and ignored.
        weights_only: accepted for PyTorch compatibility; loading is always safe.
        mmap: accepted for PyTorch compatibility and ignored (data is always read).
        **pickle_load_args: accepted for PyTorch compatibility and ignored.

    Returns:
        The saved object.

    Raises:
        ValueError: the file is damaged or not a chainrule checkpoint (the message says
            ``corrupt`` or ``truncated``), or map_location is not the CPU.

    Example:
        >>> import io, chainrule as cr
        >>> buf = io.BytesIO()
        >>> cr.save([cr.arange(3), (1, 2.5)], buf)
        >>> _ = buf.seek(0)
        >>> cr.load(buf, map_location="cpu")
        [tensor([0, 1, 2]), (1, 2.5)]
    """
    del pickle_module, weights_only, mmap, pickle_load_args
    _check_map_location(map_location)
    with open_for_read(f) as reader:
        return reader.read()
