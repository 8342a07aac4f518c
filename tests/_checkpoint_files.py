"""Shared by the checkpoint tests (test_serialization.py, test_checkpoint_*.py): hand-built
files with valid checksums around any header, a sample object with every kind of node,
bit-for-bit comparison, and the kinds of file objects cr.load must read."""

from __future__ import annotations

import collections
import io
import json
import math
import os
import struct
import tempfile
import zlib
from pathlib import Path
from typing import Any

import chainrule as cr


def raw(t: cr.Tensor) -> bytes:
    """The tensor's elements as C-contiguous bytes."""
    if t.numel() == 0:
        return b""
    return bytes(memoryview(t.detach().contiguous()).cast("B"))


def assert_same(a: Any, b: Any, where: str = "") -> None:
    """Same types (key types and OrderedDict included), same values bit for bit."""
    assert type(a) is type(b), (where, type(a), type(b))
    if isinstance(a, cr.Tensor):
        assert (a.dtype, a.shape, a.requires_grad) == (b.dtype, b.shape, b.requires_grad), where
        assert raw(a) == raw(b), where
    elif isinstance(a, dict):
        assert [(type(k), k) for k in a] == [(type(k), k) for k in b], where
        for k in a:
            assert_same(a[k], b[k], f"{where}[{k!r}]")
        assert_same(getattr(a, "_metadata", None), getattr(b, "_metadata", None), where)
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same(x, y, f"{where}[{i}]")
    elif isinstance(a, float):
        assert struct.pack("<d", a) == struct.pack("<d", b) or (math.isnan(a) and math.isnan(b))
    else:
        assert a == b, where


def to_bytes(obj: Any) -> bytes:
    buf = io.BytesIO()
    cr.save(obj, buf)
    return buf.getvalue()


def roundtrip(obj: Any, tmp_path: Path) -> Any:
    """Round trip through a path and through a BytesIO; both must agree with `obj`."""
    path = tmp_path / "ckpt.pt"
    cr.save(obj, path)
    out = cr.load(path)
    assert_same(obj, out)
    assert path.read_bytes() == to_bytes(obj)  # deterministic, same bytes either way
    assert_same(obj, cr.load(io.BytesIO(path.read_bytes())))
    return out


def craft(
    header: Any,
    data: bytes = b"",
    *,
    version: int = 1,
    reserved: int = 0,
    data_nbytes: int | None = None,
) -> bytes:
    """A file with valid checksums around an arbitrary header (dict or raw bytes)."""
    if isinstance(header, dict):
        header = {
            "format": "chainrule-checkpoint",
            "alignment": 64,
            "checksum": "crc32",
            "data_nbytes": len(data) if data_nbytes is None else data_nbytes,
            **header,
        }
        header = json.dumps(header).encode()
    header += b" " * (-(32 + len(header)) % 64)
    head = struct.pack(
        "<8sIIQI", b"\x89CRCKPT\n", version, reserved, len(header), zlib.crc32(header)
    )
    body = head + struct.pack("<I", zlib.crc32(head)) + header + data
    return body + struct.pack("<I", zlib.crc32(body))


def tensor_node(
    dtype: str = "float32", shape: Any = (4,), offset: int = 0, **extra: Any
) -> dict[str, Any]:
    itemsize = {"float32": 4, "float64": 8, "int64": 8, "bool": 1}.get(dtype, 4)
    node = {
        "type": "tensor",
        "dtype": dtype,
        "shape": list(shape),
        "offset": offset,
        "nbytes": math.prod(shape) * itemsize,
        "requires_grad": False,
    }
    node.update(extra)
    return node


def load_bytes(blob: bytes) -> Any:
    return cr.load(io.BytesIO(blob))


def sample() -> dict[str, Any]:
    """A small checkpoint with every kind of node, gaps between tensors and an empty one."""
    return {
        "model": collections.OrderedDict(
            [("w", cr.randn(3, 5)), ("b", cr.arange(3)), ("mask", cr.tensor([True, False]))]
        ),
        "empty": cr.zeros(0, 4),
        "scalar": cr.tensor(2.5, dtype=cr.float64),
        "state": {0: {"step": 7, "lr": 1e-3}, 1: None},
        "groups": [{"betas": (0.9, 0.999), "params": [0, 1], "name": "héllo"}],
    }


class NonSeekable(io.RawIOBase):
    """A readable pipe-like stream that returns at most `step` bytes per read."""

    def __init__(self, data: bytes, step: int = 7) -> None:
        self._buf = io.BytesIO(data)
        self._step = step

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        view = memoryview(b)[: self._step]
        return self._buf.readinto(view)


class ReadOnly:
    """A file object with only read() (no readinto, no seek)."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._buf.read(min(n, 5))


class TrickleWriter(io.RawIOBase):
    """A raw writer that accepts at most 100 bytes per call."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        chunk = bytes(memoryview(b).cast("B")[:100])
        self.data += chunk
        return len(chunk)


class _PathSource(os.PathLike[str]):
    """A path to a temporary file holding `blob` (removed when garbage collected)."""

    def __init__(self, blob: bytes) -> None:
        fd, self._path = tempfile.mkstemp(suffix=".pt")
        with os.fdopen(fd, "wb") as f:
            f.write(blob)

    def __fspath__(self) -> str:
        return self._path

    def __del__(self) -> None:
        Path(self._path).unlink(missing_ok=True)


SOURCES: dict[str, Any] = {  # every way of handing cr.load a checkpoint's bytes
    "path": lambda blob: _PathSource(blob),
    "BytesIO": io.BytesIO,
    "pipe": NonSeekable,
    "read_only": ReadOnly,
}


def save_to(tmp_path: Path, obj: Any) -> Path:
    """Saves `obj` to tmp_path / "ckpt.pt"."""
    path = tmp_path / "ckpt.pt"
    cr.save(obj, path)
    return path
