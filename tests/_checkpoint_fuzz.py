"""The checkpoint fuzzer that test_checkpoint_fuzz.py runs in a child process, one group of
cases per run, so that a crash fails the test with the case that caused it:

    python _checkpoint_fuzz.py <group> <case file> [long]

Every case is a damaged or hand-built file, loaded from a BytesIO, a pipe-like stream with
no seek/tell, an object with only read(), and (for some cases) a path. Each load must return
a value or raise ValueError ("load: ..."), never another exception and never crash; a
damaged file must not load at all, and what loads must survive save/load unchanged. The
tensor bytes each load allocates must fit in the file. The label of the case being loaded is
kept in <case file>, which the parent reads when the child dies. The last line printed is a
JSON summary: outcomes per kind, and the growth of the process's peak memory.
"""

from __future__ import annotations

import collections
import faulthandler
import io
import json
import math
import os
import random
import re
import struct
import sys
import tempfile
import traceback
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import chainrule as cr
from _checkpoint_files import NonSeekable, craft, sample, tensor_node, to_bytes
from _sanitized import UNDER_ASAN
from chainrule import _checkpoint_reader as reader

Case = tuple[str, bytes, str]  # label, file bytes, expectation: same | error | truncated | any
LONG = False
SCALE = 1  # case counts are multiplied by this in the long mode


# ---- valid checkpoints the cases start from -------------------------------------------------


def seeds() -> dict[str, Any]:
    cr.manual_seed(0)
    base = cr.randn(6, 8)
    every_dtype: dict[str, Any] = {}
    for dtype in (cr.float32, cr.float64, cr.int64, cr.bool):
        name = str(dtype).rsplit(".", 1)[-1]
        full = (cr.randn(4, 5) > 0) if dtype == cr.bool else cr.randn(4, 5).to(dtype)
        every_dtype[name] = [
            full,
            full[0, 0].clone().reshape(()),
            full[:0],
            full.t(),
            full[::2, 1::2],
            full[:1].expand(3, 5),
            cr.zeros(2, 0, 3).to(dtype),
        ]
    every_dtype["int64_extremes"] = cr.tensor([-(2**63), 2**63 - 1, 0, -1], dtype=cr.int64)
    every_dtype["specials"] = cr.tensor(
        [math.nan, math.inf, -math.inf, -0.0, 5e-324], dtype=cr.float64
    )
    every_dtype["big"] = cr.randn(4096)  # 16 KiB: over the 4 KiB chunks the child uses
    every_dtype["grad"] = cr.randn(3, requires_grad=True)
    import chainrule.nn as nn
    import chainrule.optim as optim

    every_dtype["param"] = nn.Parameter(base[1:3, 2:5].clone())
    model = nn.Sequential(nn.Linear(8, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3))
    opt = optim.Adam(model.parameters(), lr=1e-3)
    model(cr.randn(5, 8)).sum().backward()
    opt.step()
    deep: Any = {"leaf": cr.ones(2)}
    for i in range(98):  # with `values` and the innermost dict: the 100 containers allowed
        deep = [deep] if i % 2 else {"d": deep}
    values = {
        None: [None, True, False, 0, -1, 2**64, -(3**200), 10**300],
        (1, "x", (None, 2.5)): [0.0, -0.0, 1e-5, -1.5e300, math.nan, math.inf],
        "strings": ["", "héllo ☃ 😀", 'quotes " \\ \n\t\x00', "a" * 300],
        "nested": ((), [], {}, collections.OrderedDict(), [[(1, [2, (3,)])]]),
        "deep": deep,
    }
    return {
        "sample": sample(),
        "every_dtype": every_dtype,
        "model": {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 3},
        "values": values,
    }


def header_len(blob: bytes) -> int:
    return int(struct.unpack_from("<Q", blob, 16)[0])


def tensor_ranges(blob: bytes) -> list[tuple[int, int]]:
    """(start, end) in the file of each tensor's bytes."""
    hlen = header_len(blob)
    out = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("type") == "tensor":
                out.append(
                    (32 + hlen + node["offset"], 32 + hlen + node["offset"] + node["nbytes"])
                )
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(blob[32 : 32 + hlen]))
    return out


def reseal(blob: bytes | bytearray) -> bytes:
    """Recomputes the three checksums, so that a mutation reaches the parser."""
    b = bytearray(blob)
    if len(b) < 36:
        return bytes(b)
    hlen = header_len(b)
    if 32 + hlen <= len(b) - 4:
        b[24:28] = struct.pack("<I", zlib.crc32(b[32 : 32 + hlen]))
    b[28:32] = struct.pack("<I", zlib.crc32(b[:28]))
    b[-4:] = struct.pack("<I", zlib.crc32(b[:-4]))
    return bytes(b)


def with_header(blob: bytes, header: bytes) -> bytes:
    """`blob` with its header replaced (re-padded to the alignment) and checksums resealed."""
    hlen = header_len(blob)
    header += b" " * (-(32 + len(header)) % 64)
    b = bytearray(blob[:32] + header + blob[32 + hlen :])
    b[16:24] = struct.pack("<Q", len(header))
    return reseal(b)


# ---- groups of cases ------------------------------------------------------------------------


def truncations(blobs: dict[str, bytes], rng: random.Random) -> Iterator[Case]:
    """Every cut through the prefix and header and a little past them, and cuts at and
    around each tensor's ends and at random points of the data."""
    for name, blob in blobs.items():
        data = 32 + header_len(blob)
        cuts = set(range(min(len(blob), data + 80)))
        for start, end in tensor_ranges(blob):
            cuts |= {start - 1, start, start + 1, end - 1, end, end + 1}
        cuts |= {rng.randrange(len(blob)) for _ in range(40 * SCALE)}
        cuts |= {len(blob) - k for k in range(1, 6)}
        for cut in sorted(c for c in cuts if 0 <= c < len(blob)):
            yield f"{name}: cut at {cut} of {len(blob)}", blob[:cut], "truncated"


def _flip(blob: bytes, rng: random.Random, spots: list[int]) -> tuple[bytearray, list[int]]:
    b = bytearray(blob)
    bits = []
    for pos in spots:
        bit = rng.randrange(8)
        b[pos] ^= 1 << bit
        bits.append(pos * 8 + bit)
    return b, bits


def flips(blobs: dict[str, bytes], rng: random.Random) -> Iterator[Case]:
    """Single and multiple bit flips and short bursts, checksums left alone (each must be
    caught) and resealed (the parser sees the damage; a load may succeed)."""
    for name, blob in blobs.items():
        data = 32 + header_len(blob)
        regions = {
            "prefix": (0, 32),
            "header": (32, data),
            "data": (data, len(blob) - 4),
            "anywhere": (0, len(blob)),
        }
        for i in range(150 * SCALE):
            region = ("header", "header", "data", "prefix", "anywhere")[i % 5]
            lo, hi = regions[region]
            if hi <= lo:
                continue
            n = (1, 1, 2, 3, 8)[i % 5 if i % 7 else 4]
            if i % 11 == 0:  # a burst of adjacent bytes
                start = rng.randrange(lo, hi)
                spots = list(range(start, min(start + n, hi)))
            else:
                spots = [rng.randrange(lo, hi) for _ in range(n)]
            damaged, bits = _flip(blob, rng, spots)
            if bytes(damaged) == blob:  # two flips of one bit
                continue
            label = f"{name}: {region} bits {bits}"
            yield label + " (checksums kept)", bytes(damaged), "error"
            resealed = reseal(damaged)
            yield label + " (resealed)", resealed, "same" if resealed == blob else "any"


_JSON_BYTES = b'0123456789-+.eE"\\[]{},: \x00\xff\x7fnultrfsaNI'
_NUMBER = re.compile(rb"-?\d+")


def _numbers(blob: bytes) -> list[bytes]:
    """Interesting values for a header's integers, given the file."""
    d = len(blob) - 36 - header_len(blob)
    small = [
        0,
        1,
        -1,
        3,
        63,
        64,
        65,
        4095,
        2**31,
        2**32 + 64,
        2**60,
        2**60 + 64,
        2**62,
        2**63,
        2**64,
        -(2**63),
        10**20,
        d - 64,
        d - 1,
        d,
        d + 1,
        d + 64,
        len(blob),
    ]
    return [str(v).encode() for v in small] + [b"1" + b"0" * 4300]  # over int()'s limit


def header_mutations(blobs: dict[str, bytes], rng: random.Random) -> Iterator[Case]:
    """The header's JSON edited (bytes replaced, inserted, deleted, spans duplicated, numbers
    swapped for boundary values), re-padded and resealed: the parser and every node check
    see it."""
    for name, blob in blobs.items():
        hlen = header_len(blob)
        text = blob[32 : 32 + hlen].rstrip(b" ")
        numbers = list(_NUMBER.finditer(text))
        values = _numbers(blob)
        for i in range(250 * SCALE):
            op = i % 5
            h = bytearray(text)
            if op == 0:  # replace a byte
                pos = rng.randrange(len(h))
                h[pos] = _JSON_BYTES[rng.randrange(len(_JSON_BYTES))]
                what = f"byte {pos} = {bytes(h[pos : pos + 1])!r}"
            elif op == 1:  # insert a byte
                pos = rng.randrange(len(h) + 1)
                h[pos:pos] = _JSON_BYTES[rng.randrange(len(_JSON_BYTES))].to_bytes(1, "little")
                what = f"insert {bytes(h[pos : pos + 1])!r} at {pos}"
            elif op == 2:  # delete a span
                pos = rng.randrange(len(h))
                n = rng.choice((1, 1, 2, 5, 20))
                del h[pos : pos + n]
                what = f"delete {n} at {pos}"
            elif op == 3:  # duplicate a span (a repeated key, item or node)
                pos = rng.randrange(len(h))
                n = rng.choice((2, 10, 40, 200))
                h[pos:pos] = h[pos : pos + n]
                what = f"duplicate {n} at {pos}"
            else:  # a number set to a boundary value
                m = numbers[rng.randrange(len(numbers))]
                value = rng.choice(values)
                h[m.start() : m.end()] = value
                what = f"number at {m.start()} = {value[:20].decode()}"
            yield f"{name}: header {what}", with_header(blob, bytes(h)), "any"


def hostile(blobs: dict[str, bytes], rng: random.Random) -> Iterator[Case]:
    """Headers built by hand to break one rule each (plus a few odd but valid files)."""
    del rng
    t = tensor_node

    def lst(*items: Any) -> dict[str, Any]:
        return {"type": "list", "items": list(items)}

    def nest(kind: str, depth: int) -> bytes:
        """A header whose root nests `depth` containers (JSON text: json.dumps would hit
        the recursion limit)."""
        open_, close = {
            "dict": (b'{"type":"dict","items":[["k",', b"]]}"),
            "key": (b'{"type":"tuple","items":[', b"]}"),
            "metadata": (b'{"type":"ordered_dict","items":[],"metadata":', b"}"),
        }.get(kind, (b'{"type":"' + kind.encode() + b'","items":[', b"]}"))
        root = open_ * depth + b"null" + close * depth
        if kind == "key":
            root = b'{"type":"dict","items":[[' + root + b",null]]}"
        return (
            b'{"format":"chainrule-checkpoint","alignment":64,"checksum":"crc32",'
            b'"data_nbytes":0,"root":' + root + b"}"
        )

    big = 4 << 20
    cases: list[tuple[str, Any, bytes, dict[str, Any], str]] = [
        (
            "huge size, nothing behind it",
            {"root": t(shape=(10**15,))},
            b"",
            {"data_nbytes": 4 * 10**15},
            "truncated",
        ),
        (
            "2^60-byte tensor",
            {"root": t("bool", (2**60,))},
            b"",
            {"data_nbytes": 2**60},
            "truncated",
        ),
        ("over 2^60 bytes", {"root": t(shape=(2**59,))}, b"", {"data_nbytes": 2**61}, "error"),
        ("dims of 2^62", {"root": t(shape=(2**62,))}, b"", {"data_nbytes": 2**64}, "error"),
        ("2^31 x 2^31", {"root": t(shape=(2**31, 2**31))}, b"", {}, "error"),
        ("data just over the file", {"root": t()}, bytes(16), {"data_nbytes": 17}, "truncated"),
        (
            "tensor 1 byte past the data",
            {"root": {**t(shape=(5,)), "nbytes": 20}},
            bytes(16),
            {},
            "error",
        ),
        ("offset past EOF", {"root": t(offset=1 << 40)}, bytes(16), {}, "error"),
        (
            "offset 2^62",
            {"root": t(offset=2**62)},
            bytes(16),
            {"data_nbytes": 2**62 + 16},
            "truncated",
        ),
        ("data_nbytes 2^62", {"root": None}, b"", {"data_nbytes": 2**62}, "truncated"),
        ("data_nbytes 2^64", {"root": None}, b"", {"data_nbytes": 2**64}, "truncated"),
        (
            "1500 entries on one 4 MiB region",
            {"root": lst(*[t(shape=(big // 4,))] * 1500)},
            bytes(big),
            {},
            "error",
        ),
        (
            "partial overlap",
            {"root": lst(t(shape=(32,)), t(shape=(32,), offset=64))},
            bytes(192),
            {},
            "error",
        ),
        (
            "one region inside another",
            {"root": lst(t(shape=(64,)), t(offset=128))},
            bytes(256),
            {},
            "error",
        ),
        (
            "duplicate JSON key",
            b'{"format":"chainrule-checkpoint","alignment":64,'
            b'"checksum":"crc32","data_nbytes":0,"root":null,"root":null}',
            b"",
            {},
            "error",
        ),
        (
            "duplicate dict key",
            {"root": {"type": "dict", "items": [["a", 1], ["a", 2]]}},
            b"",
            {},
            "error",
        ),
        (
            "duplicate key 1 and True",
            {
                "root": {
                    "type": "dict",
                    "items": [[{"type": "int", "value": "1"}, None], [True, None]],
                }
            },
            b"",
            {},
            "error",
        ),
        ("negative dim", {"root": {**t(), "shape": [-4]}}, bytes(16), {}, "error"),
        ("negative offset", {"root": t(offset=-64)}, bytes(16), {}, "error"),
        ("negative nbytes", {"root": {**t(shape=(0,)), "nbytes": -1}}, b"", {}, "error"),
        ("strides field", {"root": t(strides=[1])}, bytes(16), {}, "error"),
        ("negative strides", {"root": t(strides=[-1])}, bytes(16), {}, "error"),
        ("huge strides", {"root": t(strides=[2**63])}, bytes(16), {}, "error"),
        (
            "empty tensor, overflowing strides",
            {"root": t(shape=(0, 2**40, 2**40))},
            b"",
            {},
            "error",
        ),
        ("empty tensor, dims 2^62", {"root": t(shape=(2**62, 0, 2**62))}, b"", {}, "error"),
        ("ndim 65", {"root": t(shape=(1,) * 65)}, bytes(16), {}, "error"),
        ("ndim 10^6", {"root": {**t(), "shape": [1] * 10**6}}, bytes(16), {}, "error"),
        ("dtype code 3", {"root": {**t(), "dtype": 3}}, bytes(16), {}, "error"),
        ("dtype float16", {"root": t("float16")}, bytes(16), {}, "error"),
        ("dtype FLOAT32", {"root": {**t(), "dtype": "FLOAT32"}}, bytes(16), {}, "error"),
        ("dtype list", {"root": {**t(), "dtype": ["float32"]}}, bytes(16), {}, "error"),
        ("count 2^62 in a shape", {"root": t("bool", (2**62,))}, b"", {}, "error"),
        ("count 2^62 as nbytes", {"root": {**t(), "nbytes": 2**62}}, bytes(16), {}, "error"),
        ("bool byte 2", {"root": t("bool", (4,))}, b"\x00\x01\x02\x01", {}, "error"),
        ("int with 5000 digits", {"root": {"type": "int", "value": "7" * 5000}}, b"", {}, "error"),
        (
            "JSON int with 5000 digits",
            b'{"format":"chainrule-checkpoint","alignment":64,'
            b'"checksum":"crc32","data_nbytes":' + b"9" * 5000 + b',"root":null}',
            b"",
            {},
            "error",
        ),
        ("JSON nested 100000 deep", b"[" * 100_000 + b"]" * 100_000, b"", {}, "error"),
        ("JSON nested 100000 deep, unclosed", b'{"a":' * 100_000, b"", {}, "error"),
        ("invalid UTF-8", b'{"format":"chainrule-checkpoint\xff"}', b"", {}, "error"),
        ("UTF-16 header", '{"format":"chainrule-checkpoint"}'.encode("utf-16"), b"", {}, "error"),
        ("not an object", b"[]", b"", {}, "error"),
        ("version 2", {"root": None}, b"", {"version": 2}, "error"),
        ("reserved 1", {"root": None}, b"", {"reserved": 1}, "error"),
        (
            "requires_grad on int64",
            {"root": t("int64", (2,), requires_grad=True)},
            bytes(16),
            {},
            "error",
        ),
        ("parameter string", {"root": t(parameter="yes")}, bytes(16), {}, "error"),
        ("valid: 100 lists deep", nest("list", 100), b"", {}, "any"),
        ("valid: 100 tuple keys deep", nest("key", 99), b"", {}, "any"),
        ("valid: 100 metadata deep", nest("metadata", 100), b"", {}, "any"),
        (
            "valid: 1000 empty tensors at one offset",
            {"root": lst(*[t(shape=(0,))] * 1000)},
            b"",
            {},
            "any",
        ),
        ("valid: 64 dims", {"root": t(shape=(1,) * 63 + (4,))}, bytes(16), {}, "any"),
        ("valid: empty tensor, dims 2^57", {"root": t("int64", (2**57, 0))}, b"", {}, "any"),
    ]
    for kind in ("list", "tuple", "dict", "ordered_dict", "key", "metadata"):
        for depth in (101, 1000, 5000):
            cases.append((f"{kind} nested {depth} deep", nest(kind, depth), b"", {}, "error"))
    # The prefix's header length: over the limit, unaligned, past the end (checksum valid).
    for hlen in ((256 << 20) + 32, 2**64 - 1, 33, 2**40 - 32, (256 << 20) - 32):
        b = bytearray(craft({"root": None}))
        b[16:24] = struct.pack("<Q", hlen)
        b[28:32] = struct.pack("<I", zlib.crc32(bytes(b[:28])))
        yield f"header length {hlen}", bytes(b), "error"
    for label, header, data, kw, expect in cases:
        yield label, craft(header, data, **kw), expect
    for name, blob in blobs.items():  # the valid files themselves, and with trailing bytes
        yield f"{name}: intact", blob, "same"
        yield f"{name}: trailing byte", blob + b"\x00", "trailing"


# ---- hypothesis: random header trees ---------------------------------------------------------


def hypothesis_cases(blobs: dict[str, bytes], rng: random.Random) -> Iterator[Case]:
    """Header trees drawn by hypothesis (derandomized: the same cases every run). They are
    all drawn before the loop starts: hypothesis's own memory is not the loads' doing."""
    del blobs, rng
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    ints = st.sampled_from(
        [0, 1, 4, 16, 63, 64, 65, 2**31, 2**60, 2**62, 2**63, 2**64, -1, -(2**63), 10**30]
    ) | st.integers(-5, 300)
    words = st.sampled_from(
        [
            "float32",
            "float64",
            "int64",
            "bool",
            "float16",
            "",
            "tensor",
            "list",
            "tuple",
            "dict",
            "ordered_dict",
            "int",
            "float",
            "nan",
            "-0",
            "1e5",
            "0x10",
            "inf",
            "01",
        ]
    )
    scalars = st.none() | st.booleans() | ints | words | st.text(max_size=4)
    field = st.sampled_from(
        [
            "type",
            "items",
            "value",
            "dtype",
            "shape",
            "offset",
            "nbytes",
            "requires_grad",
            "parameter",
            "metadata",
            "strides",
        ]
    )
    tensor = st.fixed_dictionaries(
        {
            "type": st.just("tensor"),
            "dtype": words,
            "shape": st.lists(ints, max_size=4),
            "offset": ints,
            "nbytes": ints,
            "requires_grad": st.booleans(),
        },
        optional={"parameter": st.booleans(), "strides": st.lists(ints, max_size=3)},
    )

    def extend(children: Any) -> Any:
        return (
            st.lists(children, max_size=4)
            | st.dictionaries(field, children, max_size=6)
            | st.builds(
                lambda kind, items: {"type": kind, "items": items},
                st.sampled_from(["list", "tuple"]),
                st.lists(children, max_size=4),
            )
            | st.builds(
                lambda kind, items: {"type": kind, "items": items},
                st.sampled_from(["dict", "ordered_dict"]),
                st.lists(st.lists(children, min_size=2, max_size=2), max_size=3),
            )
        )

    tree = st.recursive(scalars | tensor, extend, max_leaves=30)
    out: list[Case] = []

    @settings(
        max_examples=(4000 if LONG else 150),
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(root=tree, data_len=st.sampled_from([0, 16, 64, 100, 256]), declared=st.none() | ints)
    def draw(root: Any, data_len: int, declared: int | None) -> None:
        header = {"root": root}
        blob = craft(header, bytes(range(256))[:data_len], data_nbytes=declared)
        out.append(
            (
                f"hypothesis: {json.dumps(header)[:300]} data {data_len} declared {declared}",
                blob,
                "any",
            )
        )

    draw()
    yield from out


GROUPS: dict[str, Callable[[dict[str, bytes], random.Random], Iterator[Case]]] = {
    "truncations": truncations,
    "flips": flips,
    "header_mutations": header_mutations,
    "hostile": hostile,
    "hypothesis": hypothesis_cases,
}


# ---- the loop ---------------------------------------------------------------------------------


def _vm_peak() -> int:
    """The process's peak virtual memory in bytes (Linux), else its peak resident size."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmPeak:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) * (1 if sys.platform == "darwin" else 1024)


def _limit_address_space(extra: int) -> None:
    """A failed allocation, not a machine out of memory, if a check ever regresses."""
    if UNDER_ASAN:  # ASan maps terabytes of shadow memory
        return
    try:
        import resource

        size = 0
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmSize:"):
                size = int(line.split()[1]) * 1024
        if size:
            resource.setrlimit(resource.RLIMIT_AS, (size + extra, size + extra))
    except (ImportError, OSError, ValueError):
        pass


class Fuzz:
    def __init__(self, case_file: str) -> None:
        self.case_fd = os.open(case_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self.allocated = 0
        self.outcomes: collections.Counter[str] = collections.Counter()
        self.largest = 0
        self.dir = tempfile.mkdtemp(prefix="cr-fuzz-")
        self.path = Path(self.dir) / "case.pt"
        real = reader._empty

        def counting(shape: tuple[int, ...], dtype: str) -> cr.Tensor:
            self.allocated += math.prod(shape) * reader.ITEMSIZE[dtype]
            return real(shape, dtype)

        reader._empty = counting

    def note(self, label: str) -> None:
        data = label.encode("utf-8", "replace")[:4000]
        os.pwrite(self.case_fd, data + b"\n" + b" " * (4096 - len(data) - 1), 0)

    def run(self, label: str, blob: bytes, expect: str, i: int, every_source: bool) -> None:
        """Loads `blob` from a BytesIO and a pipe, and from an object with only read() and
        from a path for some cases (`every_source`: all cases)."""
        self.largest = max(self.largest, len(blob))
        sources: list[tuple[str, Callable[[], Any]]] = [
            ("BytesIO", lambda: io.BytesIO(blob)),
            ("pipe", lambda: NonSeekable(blob, step=1000)),
        ]
        if every_source or i % 4 == 0:
            sources.append(("read_only", lambda: _ReadOnly(blob)))
        if every_source or i % 50 == 0:  # writing files is slow on some file systems
            self.path.write_bytes(blob)
            sources.append(("path", lambda: self.path))
        for name, make in sources:
            self.note(f"{label} [{name}]")
            self.allocated = 0
            try:
                out = cr.load(make())
            except ValueError as e:
                self.check_allocated(label, name, blob)
                self.check_error(label, name, expect, str(e))
            except BaseException:
                fail(
                    label,
                    name,
                    "raised something other than ValueError:\n" + traceback.format_exc(),
                )
            else:
                self.check_allocated(label, name, blob)
                self.check_value(label, name, expect, blob, out)

    def check_allocated(self, label: str, source: str, blob: bytes) -> None:
        if self.allocated > len(blob):
            fail(
                label,
                source,
                f"allocated {self.allocated} tensor bytes from a {len(blob)}-byte file",
            )

    def check_error(self, label: str, source: str, expect: str, msg: str) -> None:
        if not msg.startswith("load: "):
            fail(label, source, f"ValueError without 'load: ': {msg}")
        if expect == "same":
            fail(label, source, f"a valid file raised: {msg}")
        if expect == "truncated" and "load: truncated checkpoint" not in msg:
            fail(label, source, f"expected 'truncated': {msg}")
        if expect == "trailing":
            if source == "path" and "unexpected bytes after" not in msg:
                fail(label, source, f"expected trailing bytes to be corrupt: {msg}")
            if source != "path":
                fail(label, source, f"a file object may hold more after the file: {msg}")
        self.outcomes["ValueError"] += 1

    def check_value(self, label: str, source: str, expect: str, blob: bytes, out: Any) -> None:
        if expect in ("error", "truncated") or (expect == "trailing" and source == "path"):
            fail(label, source, f"a damaged file loaded: {str(out)[:200]}")
        again = to_bytes(out)  # save is deterministic: equal bytes, equal values
        if (expect == "same" and again != blob) or (expect == "trailing" and again != blob[:-1]):
            fail(label, source, "loaded a value that differs from the saved one")
        if to_bytes(cr.load(io.BytesIO(again))) != again:
            fail(label, source, "what loaded does not survive save and load")
        self.outcomes["loaded"] += 1


class _ReadOnly:
    """A file object with only read(), returning up to 997 bytes per call."""

    def __init__(self, data: bytes) -> None:
        self._buf = io.BytesIO(data)

    def read(self, n: int = -1) -> bytes:
        return self._buf.read(997 if n < 0 else min(n, 997))


def fail(label: str, source: str, why: str) -> None:
    print(f"FAILED case {label!r} from {source}: {why}", flush=True)
    sys.exit(1)


def main(argv: list[str]) -> None:
    global LONG, SCALE
    group, case_file = argv[0], argv[1]
    LONG = len(argv) > 2 and argv[2] == "long"
    SCALE = 20 if LONG else 1
    faulthandler.enable()
    reader._CHUNK = 4096  # chunked and staged reads on small files
    blobs = {name: to_bytes(obj) for name, obj in seeds().items()}
    fuzz = Fuzz(case_file)
    for blob in blobs.values():  # warm up: first-use allocations are not the cases' doing
        fuzz.run("warm-up", blob, "same", 0, True)
    fuzz.outcomes.clear()
    rng = random.Random(f"{group}-{SCALE}")
    todo = GROUPS[group](blobs, rng)
    if group == "hypothesis":
        todo = iter(list(todo))
    _limit_address_space(2 << 30)
    base = _vm_peak()
    cases = 0
    for i, (label, blob, expect) in enumerate(todo):
        fuzz.run(label, blob, expect, i, every_source=group == "hostile")
        cases += 1
    fuzz.note("(finished)")
    print(
        json.dumps(
            {
                "cases": cases,
                "outcomes": dict(fuzz.outcomes),
                "largest_file": fuzz.largest,
                "peak_growth": _vm_peak() - base,
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
