"""cr.save / cr.load: a safe, documented checkpoint format (no pickle).

The byte layout is specified in ``docs/checkpoint-format.md``; this file is its reference
writer and reader. Nothing here executes code from a file: the header is JSON, tensors are
raw little-endian buffers, and every length, offset and checksum is checked before use.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import secrets
import struct
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from chainrule import _C

__all__ = ["load", "save"]

Tensor = _C.Tensor

MAGIC = b"\x89CRCKPT\n"
VERSION = 1
ALIGNMENT = 64
# magic, version, reserved, header length, header CRC-32, CRC-32 of the 28 bytes before it
_PREFIX = struct.Struct("<8sIIQII")
_TRAILER = struct.Struct("<I")
MAX_HEADER_BYTES = 256 << 20
MAX_DEPTH = 100  # containers nested inside each other; state dicts use 2-4
# Keeps element counts and byte sizes far from int64 overflow in the core's allocator.
MAX_TENSOR_BYTES = 1 << 60
_CHUNK = 4 << 20  # checksum each chunk while it is still in cache
_ITEMSIZE = {"float32": 4, "float64": 8, "int64": 8, "bool": 1}
_FLOATING = frozenset({"float32", "float64"})
_TMP_SUFFIX = ".tmp"

_INT_RE = re.compile(r"-?(?:0|[1-9][0-9]{0,4299})")
_FLOAT_RE = re.compile(r"-?(?:nan|inf|[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)")


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
                raise ValueError(f"save: containers nested more than {MAX_DEPTH} deep "
                                 f"{_where(path)}")
            if id(obj) in self._active:
                raise ValueError(f"save: the object contains a reference cycle {_where(path)}")
            self._active.add(id(obj))
            try:
                return self._container(obj, path)
            finally:
                self._active.discard(id(obj))
        hint = ("; save its state_dict() instead" if callable(getattr(obj, "state_dict", None))
                else "; supported: tensors, dict, OrderedDict, list, tuple, str, int, float, "
                     "bool, None")
        raise TypeError(f"save: cannot save object of type {t.__qualname__} {_where(path)}"
                        + hint)

    def _string(self, s: str, path: tuple[Any, ...]) -> str:
        try:
            s.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"save: the string {_where(path)} is not valid Unicode "
                             "(it contains a lone surrogate)") from None
        return s

    def _container(self, obj: Any, path: tuple[Any, ...]) -> dict[str, Any]:
        if isinstance(obj, dict):
            items = []
            for k, v in obj.items():
                items.append([self._key(k, path), self.encode(v, (*path, k))])
            node: dict[str, Any] = {
                "type": "dict" if type(obj) is dict else "ordered_dict", "items": items}
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
        raise TypeError(f"save: cannot save a dict key of type {type(k).__qualname__} "
                        f"{_where(path)}; keys must be str, int, float, bool, None or tuples "
                        "of those")

    def _tensor(self, t: Tensor, path: tuple[Any, ...]) -> dict[str, Any]:
        parameter = False
        if type(t) is not Tensor:
            parameter_cls, buffer_cls = _nn_class("Parameter"), _nn_class("Buffer")
            if parameter_cls is not None and isinstance(t, parameter_cls):
                parameter = True
            elif buffer_cls is None or not isinstance(t, buffer_cls):  # a Buffer: plain tensor
                raise TypeError(f"save: cannot save object of type {type(t).__qualname__} "
                                f"{_where(path)}; only tensors, nn.Parameter and nn.Buffer")
        dtype = t.dtype.name
        shape = list(t.shape)
        nbytes = _ITEMSIZE[dtype]
        for d in shape:
            nbytes *= d
        offset = -(-self.data_nbytes // ALIGNMENT) * ALIGNMENT
        self.data_nbytes = offset + nbytes
        self.tensors.append((offset, nbytes, t))
        node = {"type": "tensor", "dtype": dtype, "shape": shape, "offset": offset,
                "nbytes": nbytes, "requires_grad": bool(t.requires_grad)}
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


def _write(f: IO[bytes], enc: _Encoder, root: Any) -> None:
    header_obj = {"format": "chainrule-checkpoint", "alignment": ALIGNMENT,
                  "data_nbytes": enc.data_nbytes, "checksum": "crc32", "root": root}
    header = json.dumps(header_obj, ensure_ascii=False, separators=(",", ":"),
                        allow_nan=False).encode("utf-8")
    # Pad with spaces (JSON whitespace) so the data section starts on an aligned offset.
    header += b" " * (-(_PREFIX.size + len(header)) % ALIGNMENT)
    head = _PREFIX.pack(MAGIC, VERSION, 0, len(header), zlib.crc32(header), 0)
    head = head[:-4] + struct.pack("<I", zlib.crc32(head[:-4])) + header
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
                    chunk = view[i:i + _CHUNK]
                    crc = zlib.crc32(chunk, crc)
                    _write_all(f, chunk)
        pos = offset + nbytes
    _write_all(f, _TRAILER.pack(crc))


def _fsync_dir(directory: Path) -> None:
    """Makes the rename durable; best effort (Windows and some file systems cannot)."""
    if os.name == "nt":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _save_atomic(path: Path, enc: _Encoder, root: Any) -> None:
    if path.is_symlink():  # replace the file the link points to, keep the link
        path = path.resolve()
    path = path.absolute()
    # Hidden, unique, and never equal to the target's name: a crash leaves at most
    # `.<name>.<16 hex digits>.tmp` next to an intact target.
    tmp = path.with_name(f".{path.name[:200]}.{secrets.token_hex(8)}{_TMP_SUFFIX}")
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    fd = os.open(tmp, flags, 0o666)
    try:
        with os.fdopen(fd, "wb") as f:
            _write(f, enc, root)
            f.flush()
            os.fsync(f.fileno())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_dir(path.parent)


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
    hidden temporary file ``.<name>.<16 hex digits>.tmp`` in the same directory, flushed,
    fsynced and renamed over ``f``, so a crash leaves either the old or the new file.

    Args:
        obj: the object to save, e.g. ``model.state_dict()`` or ``{"model": ..., "optim": ...}``.
        f: a path (str or os.PathLike) or a binary file object open for writing.
        pickle_module: accepted for PyTorch compatibility and ignored.
        pickle_protocol: accepted for PyTorch compatibility and ignored.

    Raises:
        TypeError: ``obj`` contains an unsupported object (the message names its type and
            where it is, e.g. ``['model']['x']``).
        ValueError: a reference cycle, nesting deeper than 100 containers, or a string that
            is not valid Unicode.

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
    root = enc.encode(obj, ())  # every TypeError is raised here, before any file is touched
    if isinstance(f, (str, bytes, os.PathLike)):
        _save_atomic(Path(os.fsdecode(f)), enc, root)
    elif hasattr(f, "write"):
        _write(f, enc, root)
    else:
        raise TypeError(f"save: f must be a path or a binary file object; got "
                        f"{type(f).__qualname__}")


# ---- load ------------------------------------------------------------------------------


class _Reader:
    """Reads one checkpoint from a binary stream, checking every byte it relies on."""

    def __init__(self, f: Any, size: int | None, name: str, whole_file: bool) -> None:
        self.f = f
        self.size = size  # bytes left in the stream, when known
        self.name = name
        self.whole_file = whole_file  # a path: the checkpoint must end exactly at EOF
        self.readinto = getattr(f, "readinto", None)

    def corrupt(self, why: str) -> ValueError:
        return ValueError(f"load: corrupt checkpoint{self.name}: {why}")

    def truncated(self, why: str) -> ValueError:
        return ValueError(f"load: truncated checkpoint{self.name}: {why}")

    def read_into(self, view: memoryview) -> int:
        """Fills ``view``; returns the count read (short only at the end of the stream)."""
        got = 0
        n = view.nbytes
        while got < n:
            if self.readinto is not None:
                k = self.readinto(view[got:])
            else:
                data = self.f.read(n - got)
                k = len(data)
                view[got:got + k] = data
            if not k:
                break
            got += k
        return got

    def read_exact(self, n: int, what: str) -> bytes:
        buf = bytearray(n)
        got = self.read_into(memoryview(buf))
        if got < n:
            raise self.truncated(f"the file ends inside the {what}")
        return bytes(buf)

    def read(self) -> Any:
        buf = bytearray(_PREFIX.size)
        got = self.read_into(memoryview(buf))
        head = bytes(buf[:got])
        if head[:len(MAGIC)] != MAGIC[:got]:
            raise self.corrupt("not a chainrule checkpoint (bad magic bytes" + _foreign(head)
                               + ")")
        if got < _PREFIX.size:
            raise self.truncated(f"the file ends inside the {_PREFIX.size}-byte prefix "
                                 f"({got} bytes)")
        _, version, reserved, header_len, header_crc, prefix_crc = _PREFIX.unpack(head)
        if zlib.crc32(head[:-4]) != prefix_crc:
            raise self.corrupt("prefix checksum mismatch")
        if version != VERSION:
            raise ValueError(f"load: unsupported checkpoint format version {version}{self.name}; "
                             f"this chainrule reads version {VERSION}")
        if reserved != 0:
            raise self.corrupt(f"reserved prefix field is {reserved}, expected 0")
        if header_len > MAX_HEADER_BYTES or (_PREFIX.size + header_len) % ALIGNMENT:
            raise self.corrupt(f"bad header length {header_len}")
        if self.size is not None and self.size < _PREFIX.size + header_len + _TRAILER.size:
            raise self.truncated(f"the header says {header_len} header bytes but the file "
                                 f"has {self.size} bytes in all")
        header = self.read_exact(header_len, "header")
        if zlib.crc32(header) != header_crc:
            raise self.corrupt("header checksum mismatch")
        data_nbytes, root = self.parse_header(header)
        expected = _PREFIX.size + header_len + data_nbytes + _TRAILER.size
        if self.size is not None:
            if self.size < expected:
                raise self.truncated(f"expected {expected} bytes, the file has {self.size}")
            if self.whole_file and self.size > expected:
                raise self.corrupt(f"{self.size - expected} unexpected bytes after the "
                                   "checkpoint's end")
        decoder = _Decoder(self, data_nbytes)
        obj = decoder.decode(root, 0)
        crc = zlib.crc32(header, zlib.crc32(head))
        crc = self.read_data(decoder.tensors, data_nbytes, crc)
        (stored,) = _TRAILER.unpack(self.read_exact(_TRAILER.size, "checksum"))
        if crc != stored:
            raise self.corrupt("data checksum mismatch")
        return decoder.finish(obj)

    def parse_header(self, header: bytes) -> tuple[int, Any]:
        try:
            doc = json.loads(header.decode("utf-8"), parse_constant=_reject_json,
                             parse_float=_reject_json, object_pairs_hook=_unique_keys)
        except (ValueError, RecursionError) as e:  # JSONDecodeError, UnicodeDecodeError
            raise self.corrupt(f"the header is not valid JSON ({e})") from None
        if not isinstance(doc, dict) or doc.get("format") != "chainrule-checkpoint":
            raise self.corrupt("the header does not describe a chainrule checkpoint")
        if (doc.get("alignment") != ALIGNMENT or doc.get("checksum") != "crc32"
                or "root" not in doc):
            raise self.corrupt("the header's alignment, checksum or root is missing or unknown")
        data_nbytes = doc.get("data_nbytes")
        if type(data_nbytes) is not int or data_nbytes < 0:
            raise self.corrupt(f"bad data_nbytes {data_nbytes!r}")
        return data_nbytes, doc["root"]

    def read_data(self, tensors: list[tuple[int, int, Tensor, str]], data_nbytes: int,
                  crc: int) -> int:
        pos = 0
        for offset, nbytes, t, dtype in sorted(tensors, key=lambda e: e[0]):
            if offset < pos:
                raise self.corrupt(f"tensor data at offset {offset} overlaps the previous one")
            crc = self.skip(offset - pos, crc)
            if nbytes:
                with memoryview(t).cast("B") as view:
                    for i in range(0, nbytes, _CHUNK):
                        chunk = view[i:i + _CHUNK]
                        if self.read_into(chunk) < chunk.nbytes:
                            raise self.truncated("the file ends inside the tensor data")
                        crc = zlib.crc32(chunk, crc)
                    if dtype == "bool" and bytes(view).translate(None, b"\x00\x01"):
                        raise self.corrupt("a bool tensor holds bytes other than 0 and 1")
            pos = offset + nbytes
        return self.skip(data_nbytes - pos, crc)

    def skip(self, n: int, crc: int) -> int:
        """Reads ``n`` padding bytes into the checksum."""
        while n > 0:
            data = self.read_exact(min(n, _CHUNK), "data")
            crc = zlib.crc32(data, crc)
            n -= len(data)
        return crc


class _Decoder:
    """Builds the object tree from the header, allocating (empty) tensors to read into."""

    def __init__(self, reader: _Reader, data_nbytes: int) -> None:
        self.reader = reader
        self.data_nbytes = data_nbytes
        self.tensors: list[tuple[int, int, Tensor, str]] = []  # offset, nbytes, tensor, dtype
        self.finishers: list[tuple[Tensor, bool, bool]] = []  # tensor, requires_grad, param

    def bad(self, why: str) -> ValueError:
        return self.reader.corrupt(why)

    def decode(self, node: Any, depth: int) -> Any:
        if node is None or type(node) in (bool, str):
            return node
        if type(node) is not dict:
            raise self.bad(f"unexpected header value {_short(node)}")
        kind = node.get("type")
        if kind == "int":
            self.fields(node, {"type", "value"})
            return _parse(self, node["value"], _INT_RE, int)
        if kind == "float":
            self.fields(node, {"type", "value"})
            return _parse(self, node["value"], _FLOAT_RE, float)
        if kind == "tensor":
            return self.tensor(node)
        if kind in ("list", "tuple", "dict", "ordered_dict"):
            if depth >= MAX_DEPTH:
                raise self.bad(f"containers nested more than {MAX_DEPTH} deep")
            return self.container(kind, node, depth + 1)
        raise self.bad(f"unknown node type {_short(kind)}")

    def fields(self, node: dict[str, Any], allowed: set[str], optional: tuple[str, ...] = ()
               ) -> None:
        keys = set(node)
        if not allowed <= keys or not keys <= allowed | set(optional):
            raise self.bad(f"a {node.get('type')} node has fields {sorted(keys)}")

    def container(self, kind: str, node: dict[str, Any], depth: int) -> Any:
        self.fields(node, {"type", "items"}, ("metadata",) if kind == "ordered_dict" else ())
        items = node["items"]
        if type(items) is not list:
            raise self.bad(f"a {kind} node's items are not a list")
        if kind == "list":
            return [self.decode(v, depth) for v in items]
        if kind == "tuple":
            return tuple(self.decode(v, depth) for v in items)
        out: dict[Any, Any] = {} if kind == "dict" else collections.OrderedDict()
        for item in items:
            if type(item) is not list or len(item) != 2:
                raise self.bad(f"a {kind} item is not a [key, value] pair")
            key = self.decode(item[0], depth)
            if not _is_key(key):
                raise self.bad(f"a {kind} key of type {type(key).__name__}")
            if key in out:
                raise self.bad(f"duplicate {kind} key {_short(key)}")
            out[key] = self.decode(item[1], depth)
        if "metadata" in node:
            out._metadata = self.decode(node["metadata"], depth)  # type: ignore[attr-defined]
        return out

    def tensor(self, node: dict[str, Any]) -> Tensor:
        self.fields(node, {"type", "dtype", "shape", "offset", "nbytes", "requires_grad"},
                    ("parameter",))
        dtype, shape = node["dtype"], node["shape"]
        offset, nbytes = node["offset"], node["nbytes"]
        requires_grad, parameter = node["requires_grad"], node.get("parameter", False)
        if type(dtype) is not str or dtype not in _ITEMSIZE:
            raise self.bad(f"unknown tensor dtype {_short(dtype)}")
        if type(shape) is not list or not all(type(d) is int and d >= 0 for d in shape):
            raise self.bad(f"bad tensor shape {_short(shape)}")
        if len(shape) > 64:
            raise self.bad(f"a tensor with {len(shape)} dims")
        numel = 1
        for d in shape:
            numel *= d
        if max([numel * _ITEMSIZE[dtype], *shape]) > MAX_TENSOR_BYTES:
            raise self.bad(f"a tensor of shape {_short(shape)} is too large")
        if type(nbytes) is not int or nbytes != numel * _ITEMSIZE[dtype]:
            raise self.bad(f"tensor nbytes {_short(nbytes)} does not match shape {shape} "
                           f"and dtype {dtype}")
        if type(offset) is not int or offset < 0 or offset % ALIGNMENT:
            raise self.bad(f"bad tensor offset {_short(offset)}")
        if offset + nbytes > self.data_nbytes:
            raise self.bad(f"tensor data [{offset}, {offset + nbytes}) lies outside the "
                           f"{self.data_nbytes}-byte data section")
        if type(requires_grad) is not bool or type(parameter) is not bool:
            raise self.bad("tensor requires_grad/parameter flags are not booleans")
        if (requires_grad or parameter) and dtype not in _FLOATING:
            raise self.bad(f"a {dtype} tensor marked requires_grad/parameter")
        t = _C.empty(tuple(shape), dtype=getattr(_C.dtype, dtype))
        self.tensors.append((offset, nbytes, t, dtype))
        if requires_grad or parameter:
            self.finishers.append((t, requires_grad, parameter))
        return t

    def finish(self, obj: Any) -> Any:
        """Sets requires_grad and wraps parameters, once the tensors hold their data."""
        if sys.byteorder != "little":
            import numpy as np

            for _, _, t, _ in self.tensors:
                np.asarray(t).byteswap(inplace=True)
        swap: dict[int, Any] = {}
        for t, requires_grad, parameter in self.finishers:
            if parameter:
                from chainrule.nn.parameter import Parameter

                swap[id(t)] = Parameter(t, requires_grad=requires_grad)
            else:
                t.requires_grad_(True)
        return _replace(obj, swap) if swap else obj


def _replace(obj: Any, swap: dict[int, Any]) -> Any:
    if isinstance(obj, Tensor):
        return swap.get(id(obj), obj)
    if isinstance(obj, dict):
        for k, v in obj.items():
            obj[k] = _replace(v, swap)
    elif isinstance(obj, list):
        obj[:] = [_replace(v, swap) for v in obj]
    elif isinstance(obj, tuple):
        return tuple(_replace(v, swap) for v in obj)
    return obj


def _is_key(k: Any) -> bool:
    if type(k) is tuple:
        return all(_is_key(x) for x in k)
    return k is None or type(k) in (bool, int, float, str)


def _parse(dec: _Decoder, text: Any, pattern: re.Pattern[str], convert: Any) -> Any:
    if type(text) is not str or not pattern.fullmatch(text):
        raise dec.bad(f"bad number {_short(text)}")
    return convert(text)


def _reject_json(token: str) -> Any:
    raise ValueError(f"unexpected JSON number {token[:40]}")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate keys in a JSON object")
    return out


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _foreign(head: bytes) -> str:
    """A hint at what a foreign file is."""
    if head.startswith(b"PK\x03\x04"):
        return "; it is a zip archive, e.g. a torch.save file: load it with torch.load"
    if head[:1] == b"\x80":
        return "; it looks like a pickle file, which chainrule never loads"
    if head.startswith(b"\x93NUMPY"):
        return "; it is a NumPy .npy file"
    return ""


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
    raise ValueError(f"load: map_location must be None, 'cpu' or cr.device('cpu') "
                     f"(chainrule runs on the CPU only); got {map_location!r}")


@contextlib.contextmanager
def _open_for_read(f: Any) -> Iterator[_Reader]:
    if isinstance(f, (str, bytes, os.PathLike)):
        path = Path(os.fsdecode(f))
        with path.open("rb", buffering=0) as fh:
            size: int | None = os.fstat(fh.fileno()).st_size
            yield _Reader(fh, size, f" {str(path)!r}", whole_file=True)
        return
    if not hasattr(f, "read"):
        raise TypeError(f"load: f must be a path or a binary file object; got "
                        f"{type(f).__qualname__}")
    size = None
    with contextlib.suppress(AttributeError, OSError, ValueError):
        if f.seekable():
            pos = f.tell()
            size = f.seek(0, os.SEEK_END) - pos
            f.seek(pos)
    yield _Reader(f, size, "", whole_file=False)


def load(f: Any, map_location: Any = None, pickle_module: Any = None, *,
         weights_only: bool = True, mmap: Any = None, **pickle_load_args: Any) -> Any:
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
    with _open_for_read(f) as reader:
        return reader.read()
