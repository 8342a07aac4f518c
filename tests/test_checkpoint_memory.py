"""cr.load allocates nothing for a tensor before the header has been checked against the
file: hostile sizes, regions shared by many entries, streams of unknown size; error
messages name the place and stay short."""

from __future__ import annotations

import math
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

import chainrule as cr
from _checkpoint_files import (
    SOURCES,
    NonSeekable,
    ReadOnly,
    assert_same,
    craft,
    load_bytes,
    raw,
    sample,
    save_to,
    tensor_node,
    to_bytes,
)
from chainrule import _checkpoint_reader as reader
from chainrule import serialization

# ---- memory: nothing is allocated for a tensor before its bytes are proven to exist ------


@pytest.fixture
def allocated(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The byte size of every tensor `cr.load` allocates, in order."""
    sizes: list[int] = []
    real = reader._empty

    def counting(shape: tuple[int, ...], dtype: str) -> cr.Tensor:
        sizes.append(math.prod(shape) * reader.ITEMSIZE[dtype])
        return real(shape, dtype)

    monkeypatch.setattr(reader, "_empty", counting)
    return sizes


@pytest.mark.parametrize("source", list(SOURCES))
@pytest.mark.parametrize("numel", [10**15, 2**58, 2**28])
def test_huge_sizes_allocate_nothing(source: str, numel: int, allocated: list[int]) -> None:
    # A 300-byte file whose header asks for up to 2^60 bytes: with a size to check against
    # it is `truncated` before the data; from a pipe the data is read as it comes, and the
    # tensor is allocated only once its bytes have arrived, which they never do.
    node = tensor_node(shape=(numel,))
    blob = craft({"root": node}, b"", data_nbytes=node["nbytes"])
    assert len(blob) < 400
    with pytest.raises(ValueError, match="load: truncated checkpoint"):
        cr.load(SOURCES[source](blob))
    assert allocated == []


@pytest.mark.parametrize("source", list(SOURCES))
def test_entries_sharing_one_region_are_corrupt_before_allocation(
    source: str, allocated: list[int]
) -> None:
    # 1,500 entries pointing at one 4 MiB region: 4.4 MB of file, which loaded one tensor per
    # entry would take 6 GiB. The format has every tensor own its bytes, so it is corrupt.
    node = tensor_node(shape=(1 << 20,))
    blob = craft({"root": {"type": "list", "items": [node] * 1500}}, bytes(4 << 20))
    with pytest.raises(
        ValueError,
        match=r"load: corrupt checkpoint.*: the data of the tensor "
        r"at \[1\] \[0, 4194304\) overlaps that of the "
        r"tensor at \[0\] \[0, 4194304\)",
    ):
        cr.load(SOURCES[source](blob))
    assert allocated == []


def test_overlaps_are_found_in_any_order(allocated: list[int]) -> None:
    a, b = tensor_node(shape=(32,), offset=128), tensor_node(shape=(48,), offset=64)
    blob = craft({"root": {"type": "dict", "items": [["a", a], ["b", b]]}}, bytes(256))
    with pytest.raises(
        ValueError,
        match=r"tensor at \['a'\] \[128, 256\) overlaps that of "
        r"the tensor at \['b'\] \[64, 256\)",
    ):
        load_bytes(blob)
    assert allocated == []


def test_empty_tensors_share_no_bytes(allocated: list[int]) -> None:
    # Empty tensors take no bytes, wherever their (aligned) offset points.
    items = [
        tensor_node(shape=(0, 3), offset=0),
        tensor_node(shape=(4,)),
        tensor_node(shape=(0,), offset=0),
        tensor_node("int64", (2**57, 0), offset=64),
    ]
    out = load_bytes(
        craft(
            {"root": {"type": "list", "items": items}}, struct.pack("<4f", 1, 2, 3, 4) + bytes(60)
        )
    )
    assert [t.shape for t in out] == [(0, 3), (4,), (0,), (2**57, 0)]
    assert out[1].tolist() == [1, 2, 3, 4]
    assert sorted(allocated) == [0, 0, 0, 16]


@pytest.mark.parametrize("source", list(SOURCES))
def test_load_allocates_exactly_the_tensor_bytes(source: str, allocated: list[int]) -> None:
    obj = sample()
    blob = to_bytes(obj)
    assert_same(cr.load(SOURCES[source](blob)), obj)
    tensors = [
        obj["model"]["w"],
        obj["model"]["b"],
        obj["model"]["mask"],
        obj["empty"],
        obj["scalar"],
    ]
    assert sorted(allocated) == sorted(len(raw(t)) for t in tensors)
    assert sum(allocated) < len(blob)


def test_streams_of_unknown_size_gather_large_tensors_first(
    monkeypatch: pytest.MonkeyPatch, allocated: list[int]
) -> None:
    monkeypatch.setattr(reader, "_CHUNK", 256)
    obj = {"big": cr.randn(5000), "small": cr.arange(10), "bits": cr.rand(3000) > 0.5}
    blob = to_bytes(obj)
    assert_same(cr.load(NonSeekable(blob, step=100)), obj)
    assert_same(cr.load(ReadOnly(blob)), obj)
    hlen = struct.unpack_from("<Q", blob, 16)[0]
    start = 32 + hlen  # "big" (20,000 bytes) is larger than what came before it: gathered
    for cut in (start, start + 1, start + 256, start + 19_999):
        allocated.clear()
        with pytest.raises(
            ValueError,
            match=r"truncated.*the data of the tensor at \['big'\] "
            r"\[0, 20000\)",
        ):
            cr.load(NonSeekable(blob[:cut]))
        assert allocated == []
    # A bool tensor gathered in pieces is still checked for bytes other than 0 and 1.
    damaged = craft({"root": tensor_node("bool", (3000,))}, bytes(2999) + b"\x02")
    with pytest.raises(ValueError, match=r"corrupt.*bool tensor at the top level"):
        cr.load(NonSeekable(damaged))


def test_header_length_from_a_stream_is_not_trusted(allocated: list[int]) -> None:
    # The prefix promises a 256 MiB header that never comes: read as it arrives.
    import tracemalloc

    blob = bytearray(craft({"root": None}))
    blob[16:24] = struct.pack("<Q", (256 << 20) - 32)
    blob[28:32] = struct.pack("<I", zlib.crc32(bytes(blob[:28])))
    tracemalloc.start()
    try:
        with pytest.raises(ValueError, match=r"truncated.*ends inside the header"):
            cr.load(NonSeekable(bytes(blob)))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 << 20


def test_errors_name_the_place_in_the_object(allocated: list[int]) -> None:
    bad = {**tensor_node(), "dtype": "float16"}
    header = {
        "root": {
            "type": "dict",
            "items": [["model", {"type": "ordered_dict", "items": [["w", bad]]}]],
        }
    }
    with pytest.raises(
        ValueError,
        match=r"unknown tensor dtype 'float16' .*at "
        r"\['model'\]\['w'\]",
    ):
        load_bytes(craft(header, bytes(16)))
    header = {
        "root": {
            "type": "list",
            "items": [None, {"type": "tuple", "items": [{"type": "int", "value": "0x1"}]}],
        }
    }
    with pytest.raises(ValueError, match=r"bad number '0x1' at \[1\]\[0\]"):
        load_bytes(craft(header))
    assert allocated == []


def test_error_messages_stay_short() -> None:
    # A hostile value is quoted in a few dozen characters, however large or deep it is.
    deep: Any = []
    for _ in range(500):  # as deep as json.dumps and json.loads go by default
        deep = [deep]
    for value in (deep, list(range(10**6)), "x" * 10**7):
        with pytest.raises(ValueError, match="corrupt") as info:
            load_bytes(craft({"root": {**tensor_node(), "shape": value}}, bytes(16)))
        assert len(str(info.value)) < 300


def test_save_refuses_a_header_load_would_refuse(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(serialization, "MAX_HEADER_BYTES", 4096)
    path = save_to(tmp_path, "previous")
    with pytest.raises(
        ValueError,
        match=r"save: the checkpoint's header would take \d+ bytes, "
        "over the format's limit of 4096",
    ):
        cr.save(list(range(2000)), path)
    assert cr.load(path) == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]
