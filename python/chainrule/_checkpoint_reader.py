"""The validating reader behind ``cr.load`` (the writer is in ``serialization.py``).

Every length, offset, shape and checksum is checked before it is used, and no tensor is
allocated until the whole header has been checked against the file's size, so a damaged or
hostile file costs at most a small multiple of its own size in memory. The checks and their
order are listed in ``docs/checkpoint-format.md`` ("What cr.load checks").
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import re
import sys
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from chainrule import _C
from chainrule._checkpoint_format import (
    ALIGNMENT,
    FLOATING,
    ITEMSIZE,
    MAGIC,
    MAX_DEPTH,
    MAX_DIMS,
    MAX_HEADER_BYTES,
    MAX_TENSOR_BYTES,
    PREFIX,
    TRAILER,
    VERSION,
    short,
)

Tensor = _C.Tensor

_CHUNK = 4 << 20  # checksum each chunk while it is still in cache
_INT_RE = re.compile(r"-?(?:0|[1-9][0-9]{0,4299})")
_FLOAT_RE = re.compile(r"-?(?:nan|inf|[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)")
_CONTAINERS = ("list", "tuple", "dict", "ordered_dict")


def _empty(shape: tuple[int, ...], dtype: str) -> Tensor:
    """The only place ``load`` allocates tensor memory (the tests count the bytes it asks for)."""
    return _C.empty(shape, dtype=getattr(_C.dtype, dtype))


def _where(path: tuple[Any, ...]) -> str:
    return "at " + "".join(f"[{short(k)}]" for k in path) if path else "at the top level"


class _Spec:
    """A tensor the header describes: checked, but allocated only once the whole header is."""

    __slots__ = (
        "dtype",
        "nbytes",
        "offset",
        "parameter",
        "path",
        "requires_grad",
        "shape",
        "tensor",
    )

    def __init__(self, node: dict[str, Any], path: tuple[Any, ...]) -> None:
        self.dtype: str = node["dtype"]
        self.shape: tuple[int, ...] = tuple(node["shape"])
        self.offset: int = node["offset"]
        self.nbytes: int = node["nbytes"]
        self.requires_grad: bool = node["requires_grad"]
        self.parameter: bool = node.get("parameter", False)
        self.path = path  # spelled out only in error messages
        self.tensor: Tensor | None = None

    @property
    def where(self) -> str:
        return _where(self.path)

    def span(self) -> str:
        return f"[{self.offset}, {self.offset + self.nbytes})"

    def value(self) -> Tensor:
        """The loaded tensor, as the saved object had it (requires_grad, nn.Parameter)."""
        t = self.tensor
        assert t is not None
        if self.parameter:
            from chainrule.nn.parameter import Parameter

            return Parameter(t, requires_grad=self.requires_grad)
        if self.requires_grad:
            t.requires_grad_(True)
        return t


class Reader:
    """Reads one checkpoint from a binary stream, checking every byte it relies on."""

    def __init__(self, f: Any, size: int | None, name: str, whole_file: bool) -> None:
        self.f = f
        self.size = size  # bytes left in the stream, when known
        self.name = name
        self.whole_file = whole_file  # a path: the checkpoint must end exactly at EOF
        self.readinto = getattr(f, "readinto", None)
        self.received = 0  # bytes read so far: what a stream of unknown size has proven to hold

    def corrupt(self, why: str) -> ValueError:
        return ValueError(f"load: corrupt checkpoint{self.name}: {why}")

    def truncated(self, why: str) -> ValueError:
        return ValueError(f"load: truncated checkpoint{self.name}: {why}")

    # ---- reading bytes ---------------------------------------------------------------------

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
                view[got : got + k] = data
            if not k:
                break
            got += k
        self.received += got
        return got

    def read_exact(self, n: int, what: str) -> bytearray:
        if self.size is None and n > _CHUNK:
            # The stream's size is unknown, so ``n`` is unproven: take the bytes as they
            # arrive, and a bogus length costs memory only for bytes that exist.
            buf = bytearray()
            while len(buf) < n:
                buf += self.read_exact(min(_CHUNK, n - len(buf)), what)
            return buf
        buf = bytearray(n)
        if self.read_into(memoryview(buf)) < n:
            raise self.truncated(f"the file ends inside the {what}")
        return buf

    def skip(self, n: int, crc: int, what: str) -> int:
        """Reads ``n`` padding bytes into the checksum."""
        while n > 0:
            data = self.read_exact(min(n, _CHUNK), what)
            crc = zlib.crc32(data, crc)
            n -= len(data)
        return crc

    # ---- the file, in order ----------------------------------------------------------------

    def read(self) -> Any:
        buf = bytearray(PREFIX.size)
        got = self.read_into(memoryview(buf))
        head = bytes(buf[:got])
        if head[: len(MAGIC)] != MAGIC[:got]:
            raise self.corrupt("not a chainrule checkpoint (bad magic bytes" + _foreign(head) + ")")
        if got < PREFIX.size:
            raise self.truncated(
                f"the file ends inside the {PREFIX.size}-byte prefix ({got} bytes)"
            )
        _, version, reserved, header_len, header_crc, prefix_crc = PREFIX.unpack(head)
        if zlib.crc32(head[:-4]) != prefix_crc:
            raise self.corrupt("prefix checksum mismatch (bytes 28-31)")
        if version != VERSION:
            raise ValueError(
                f"load: unsupported checkpoint format version {version}{self.name}; "
                f"this chainrule reads version {VERSION}"
            )
        if reserved != 0:
            raise self.corrupt(f"reserved prefix field (bytes 12-15) is {reserved}, expected 0")
        if header_len > MAX_HEADER_BYTES or (PREFIX.size + header_len) % ALIGNMENT:
            raise self.corrupt(
                f"bad header length {header_len} (bytes 16-23): more than "
                f"{MAX_HEADER_BYTES} or not ending the header on a multiple "
                f"of {ALIGNMENT}"
            )
        if self.size is not None and self.size < PREFIX.size + header_len + TRAILER.size:
            raise self.truncated(
                f"the header says {header_len} header bytes but the file "
                f"has {self.size} bytes in all"
            )
        header = self.read_exact(header_len, "header")
        if zlib.crc32(header) != header_crc:
            raise self.corrupt("header checksum mismatch (bytes 24-27)")
        data_nbytes, root = self.parse_header(header)
        expected = PREFIX.size + header_len + data_nbytes + TRAILER.size
        if self.size is not None:
            if self.size < expected:
                raise self.truncated(
                    f"expected {expected} bytes ({header_len} header and "
                    f"{data_nbytes} data bytes), the file has {self.size}"
                )
            if self.whole_file and self.size > expected:
                raise self.corrupt(
                    f"{self.size - expected} unexpected bytes after the checkpoint's end"
                )
        decoder = _Decoder(self, data_nbytes)
        try:
            obj = decoder.decode(root, 0, ())
        except RecursionError:  # containers nest at most 100 deep, but the caller's stack may
            raise _too_deep() from None  # leave too few frames under the recursion limit
        specs = self.check_layout(decoder.specs)
        # Only now, with every tensor's bytes proven to lie inside the file (when its size is
        # known) and apart from every other tensor's, is memory allocated for them.
        crc = zlib.crc32(header, zlib.crc32(head))
        crc = self.read_data(specs, data_nbytes, crc)
        (stored,) = TRAILER.unpack(self.read_exact(TRAILER.size, "final checksum"))
        if crc != stored:
            raise self.corrupt("data checksum mismatch (the last 4 bytes)")
        try:
            return decoder.finish(obj)
        except RecursionError:
            raise _too_deep() from None

    def parse_header(self, header: bytearray) -> tuple[int, Any]:
        try:
            doc = json.loads(
                header.decode("utf-8"),
                parse_constant=_reject_json,
                parse_float=_reject_json,
                object_pairs_hook=_unique_keys,
            )
        except ValueError as e:  # JSONDecodeError, UnicodeDecodeError
            raise self.corrupt(f"the header is not valid JSON ({short(str(e))})") from None
        except RecursionError:
            raise self.corrupt(
                f"the header's JSON nests deeper than Python's recursion limit "
                f"({sys.getrecursionlimit()}) allows from this call (a valid "
                "header nests at most about 300 levels)"
            ) from None
        if not isinstance(doc, dict) or doc.get("format") != "chainrule-checkpoint":
            raise self.corrupt(
                "the header does not describe a chainrule checkpoint "
                '(its "format" is not "chainrule-checkpoint")'
            )
        for key, want in (("alignment", ALIGNMENT), ("checksum", "crc32")):
            value = doc.get(key)
            if type(value) is not type(want) or value != want:
                raise self.corrupt(f"the header's {key} is {short(value)}, expected {want!r}")
        if "root" not in doc:
            raise self.corrupt("the header has no root")
        data_nbytes = doc.get("data_nbytes")
        if type(data_nbytes) is not int or data_nbytes < 0:
            raise self.corrupt(f"bad data_nbytes {short(data_nbytes)} in the header")
        return data_nbytes, doc["root"]

    def check_layout(self, specs: list[_Spec]) -> list[_Spec]:
        """The tensors in data order, once no two share a byte (the format forbids it)."""
        specs = sorted(specs, key=lambda s: s.offset)
        prev: _Spec | None = None
        for s in specs:
            if not s.nbytes:
                continue
            if prev is not None and s.offset < prev.offset + prev.nbytes:
                raise self.corrupt(
                    f"the data of the tensor {s.where} {s.span()} overlaps "
                    f"that of the tensor {prev.where} {prev.span()}; tensors "
                    "never share bytes"
                )
            prev = s
        return specs

    def read_data(self, specs: list[_Spec], data_nbytes: int, crc: int) -> int:
        pos = 0
        for s in specs:
            if not s.nbytes:
                s.tensor = _empty(s.shape, s.dtype)
                continue
            crc = self.skip(s.offset - pos, crc, "data")
            crc = self.read_tensor(s, crc)
            pos = s.offset + s.nbytes
        return self.skip(data_nbytes - pos, crc, "data")

    def read_tensor(self, s: _Spec, crc: int) -> int:
        if self.size is None and s.nbytes > max(_CHUNK, self.received):
            return self.read_tensor_staged(s, crc)
        # The file's size is known and the header checks proved the tensor lies inside it,
        # or the tensor is no larger than what the stream has delivered so far.
        t = _empty(s.shape, s.dtype)
        with memoryview(t).cast("B") as view:
            for i in range(0, s.nbytes, _CHUNK):
                crc = self.read_chunk(s, view[i : i + _CHUNK], crc)
        s.tensor = t
        return crc

    def read_tensor_staged(self, s: _Spec, crc: int) -> int:
        """Reads a tensor from a stream of unknown size that has not yet delivered as many
        bytes as the tensor takes: the stream may end long before the tensor would, so its
        bytes are gathered first and copied into it after (one more copy, for pipes only),
        and memory is spent only on bytes that arrive."""
        parts = []
        for i in range(0, s.nbytes, _CHUNK):
            part = bytearray(min(_CHUNK, s.nbytes - i))
            crc = self.read_chunk(s, memoryview(part), crc)
            parts.append(part)
        t = _empty(s.shape, s.dtype)
        with memoryview(t).cast("B") as view:
            for k, part in enumerate(parts):
                view[k * _CHUNK : k * _CHUNK + len(part)] = part
                parts[k] = bytearray()  # free as we go: one tensor at most is held twice
        s.tensor = t
        return crc

    def read_chunk(self, s: _Spec, chunk: memoryview, crc: int) -> int:
        if self.read_into(chunk) < chunk.nbytes:
            raise self.truncated(
                f"the file ends inside the data of the tensor {s.where} {s.span()}"
            )
        if s.dtype == "bool" and chunk.tobytes().translate(None, b"\x00\x01"):
            raise self.corrupt(f"the bool tensor {s.where} holds bytes other than 0 and 1")
        return zlib.crc32(chunk, crc)


class _Decoder:
    """Builds the object tree from the header, with a :class:`_Spec` for each tensor."""

    def __init__(self, reader: Reader, data_nbytes: int) -> None:
        self.reader = reader
        self.data_nbytes = data_nbytes
        self.specs: list[_Spec] = []

    def bad(self, why: str, path: tuple[Any, ...]) -> ValueError:
        return self.reader.corrupt(f"{why} {_where(path)}")

    def decode(self, node: Any, depth: int, path: tuple[Any, ...]) -> Any:
        if node is None or type(node) in (bool, str):
            return node
        if type(node) is not dict:
            raise self.bad(f"unexpected header value {short(node)}", path)
        kind = node.get("type")
        if kind == "int":
            self.fields(node, {"type", "value"}, (), path)
            return self.number(node["value"], _INT_RE, int, path)
        if kind == "float":
            self.fields(node, {"type", "value"}, (), path)
            return self.number(node["value"], _FLOAT_RE, float, path)
        if kind == "tensor":
            return self.tensor(node, path)
        if kind in _CONTAINERS:
            if depth >= MAX_DEPTH:
                raise self.bad(f"containers nested more than {MAX_DEPTH} deep", path)
            return self.container(kind, node, depth + 1, path)
        raise self.bad(f"unknown node type {short(kind)}", path)

    def fields(
        self,
        node: dict[str, Any],
        allowed: set[str],
        optional: tuple[str, ...],
        path: tuple[Any, ...],
    ) -> None:
        keys = set(node)
        if not allowed <= keys or not keys <= allowed | set(optional):
            raise self.bad(
                f"a {node['type']} node has fields {short(sorted(keys))}, expected "
                f"{sorted(allowed)}" + (f" and optionally {list(optional)}" if optional else ""),
                path,
            )

    def number(
        self, text: Any, pattern: re.Pattern[str], convert: Any, path: tuple[Any, ...]
    ) -> Any:
        if type(text) is not str or not pattern.fullmatch(text):
            raise self.bad(f"bad number {short(text)}", path)
        return convert(text)

    def container(self, kind: str, node: dict[str, Any], depth: int, path: tuple[Any, ...]) -> Any:
        self.fields(node, {"type", "items"}, ("metadata",) if kind == "ordered_dict" else (), path)
        items = node["items"]
        if type(items) is not list:
            raise self.bad(f"a {kind} node's items are not a list", path)
        if kind == "list":
            return [self.decode(v, depth, (*path, i)) for i, v in enumerate(items)]
        if kind == "tuple":
            return tuple(self.decode(v, depth, (*path, i)) for i, v in enumerate(items))
        out: dict[Any, Any] = {} if kind == "dict" else collections.OrderedDict()
        for i, item in enumerate(items):
            if type(item) is not list or len(item) != 2:
                raise self.bad(f"{kind} item {i} is not a [key, value] pair", path)
            key = self.decode(item[0], depth, (*path, f"<key {i}>"))
            if not _is_key(key):
                raise self.bad(
                    f"{kind} key {i} is a {type(key).__name__}, which cannot be a key", path
                )
            if key in out:
                raise self.bad(f"duplicate {kind} key {short(key)}", path)
            out[key] = self.decode(item[1], depth, (*path, key))
        if "metadata" in node:
            meta = self.decode(node["metadata"], depth, (*path, "<metadata>"))
            out._metadata = meta  # type: ignore[attr-defined]
        return out

    def tensor(self, node: dict[str, Any], path: tuple[Any, ...]) -> _Spec:
        self.fields(
            node,
            {"type", "dtype", "shape", "offset", "nbytes", "requires_grad"},
            ("parameter",),
            path,
        )
        dtype, shape = node["dtype"], node["shape"]
        offset, nbytes = node["offset"], node["nbytes"]
        requires_grad, parameter = node["requires_grad"], node.get("parameter", False)
        if type(dtype) is not str or dtype not in ITEMSIZE:
            raise self.bad(
                f"unknown tensor dtype {short(dtype)} (expected one of {', '.join(ITEMSIZE)})", path
            )
        if type(shape) is not list or len(shape) > MAX_DIMS:
            raise self.bad(
                f"bad tensor shape {short(shape)}: not a list of at most {MAX_DIMS} dims", path
            )
        if not all(type(d) is int and d >= 0 for d in shape):
            raise self.bad(
                f"bad tensor shape {short(shape)}: dims must be non-negative integers", path
            )
        # Bound the bytes the elements would take and, for empty tensors, the strides of
        # the other dims (the product of the non-zero dims), before multiplying further.
        span = ITEMSIZE[dtype]
        for d in shape:
            span *= max(d, 1)
            if span > MAX_TENSOR_BYTES:
                raise self.bad(
                    f"a {dtype} tensor of shape {short(shape)} is too large "
                    "(over 2^60 bytes, counting zero dims as 1)",
                    path,
                )
        numel = 1
        for d in shape:
            numel *= d
        if type(nbytes) is not int or nbytes != numel * ITEMSIZE[dtype]:
            raise self.bad(
                f"tensor nbytes {short(nbytes)} does not match shape {shape} "
                f"and dtype {dtype} ({numel * ITEMSIZE[dtype]} bytes)",
                path,
            )
        if type(offset) is not int or offset < 0 or offset % ALIGNMENT:
            raise self.bad(
                f"bad tensor offset {short(offset)}: not a non-negative multiple of {ALIGNMENT}",
                path,
            )
        if offset + nbytes > self.data_nbytes:
            raise self.bad(
                f"tensor data [{offset}, {offset + nbytes}) lies outside the "
                f"{self.data_nbytes}-byte data section",
                path,
            )
        if type(requires_grad) is not bool or type(parameter) is not bool:
            raise self.bad("tensor requires_grad/parameter flags are not booleans", path)
        if (requires_grad or parameter) and dtype not in FLOATING:
            raise self.bad(f"a {dtype} tensor marked requires_grad/parameter", path)
        spec = _Spec(node, path)
        self.specs.append(spec)
        return spec

    def finish(self, obj: Any) -> Any:
        """Puts the tensors, holding their data now, where their specs are in ``obj``."""
        if sys.byteorder != "little":
            import numpy as np

            for s in self.specs:
                np.asarray(s.tensor).byteswap(inplace=True)
        return _place(obj) if self.specs else obj


def _place(obj: Any) -> Any:
    t = type(obj)
    if t is _Spec:
        return obj.value()
    if t is list:
        for i, v in enumerate(obj):
            obj[i] = _place(v)
    elif t is tuple:
        return tuple(_place(v) for v in obj)
    elif t is dict or t is collections.OrderedDict:
        for k, v in obj.items():
            obj[k] = _place(v)
        if hasattr(obj, "_metadata"):
            obj._metadata = _place(obj._metadata)
    return obj


def _too_deep() -> ValueError:
    return ValueError(
        f"load: the checkpoint's containers nest deeper than the stack left "
        f"under Python's recursion limit ({sys.getrecursionlimit()}) allows; "
        "call load from a shallower stack or raise sys.setrecursionlimit"
    )


def _is_key(k: Any) -> bool:
    if type(k) is tuple:
        return all(_is_key(x) for x in k)
    return k is None or type(k) in (bool, int, float, str)


def _reject_json(token: str) -> Any:
    raise ValueError(f"unexpected JSON number {token[:40]}")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate keys in a JSON object")
    return out


def _foreign(head: bytes) -> str:
    """A hint at what a foreign file is."""
    if head.startswith(b"PK\x03\x04"):
        return "; it is a zip archive, e.g. a torch.save file: load it with torch.load"
    if head[:1] == b"\x80":
        return "; it looks like a pickle file, which chainrule never loads"
    if head.startswith(b"\x93NUMPY"):
        return "; it is a NumPy .npy file"
    return ""


@contextlib.contextmanager
def open_for_read(f: Any) -> Iterator[Reader]:
    if isinstance(f, (str, bytes, os.PathLike)):
        path = Path(os.fsdecode(f))
        with path.open("rb", buffering=0) as fh:
            size: int | None = os.fstat(fh.fileno()).st_size
            yield Reader(fh, size, f" {str(path)!r}", whole_file=True)
        return
    if not hasattr(f, "read"):
        raise TypeError(
            f"load: f must be a path or a binary file object; got {type(f).__qualname__}"
        )
    size = None
    with contextlib.suppress(AttributeError, OSError, ValueError):
        if f.seekable():
            pos = f.tell()
            size = f.seek(0, os.SEEK_END) - pos
            f.seek(pos)
    yield Reader(f, size, "", whole_file=False)
