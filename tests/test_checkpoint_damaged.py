"""cr.load on damaged and foreign files: truncation, flipped bits, trailing bytes, foreign
formats, hand-built headers that break each rule of docs/checkpoint-format.md; every one
raises ValueError naming "corrupt" or "truncated"."""

from __future__ import annotations

import io
import json
import pickle
import struct
import sys
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

import chainrule as cr
from _checkpoint_files import (
    SOURCES,
    NonSeekable,
    assert_same,
    craft,
    load_bytes,
    roundtrip,
    sample,
    tensor_node,
    to_bytes,
)

# ---- damaged and foreign files -----------------------------------------------------------


def test_truncated_at_every_offset(tmp_path: Path) -> None:
    blob = to_bytes(sample())
    hlen = struct.unpack_from("<Q", blob, 16)[0]
    data = 32 + hlen
    # Files on disk at the boundaries and inside each part (rewriting a file is slow) ...
    cuts = {
        *range(34),
        data // 2,
        data - 1,
        data,
        data + 1,
        data + 60,
        data + 64,
        len(blob) - 5,
        len(blob) - 4,
        len(blob) - 3,
        len(blob) - 1,
    }
    path = tmp_path / "cut.pt"
    for cut in sorted(cuts):
        path.write_bytes(blob[:cut])
        with pytest.raises(ValueError, match="load: truncated checkpoint"):
            cr.load(path)
    # ... and streams cut at every byte.
    for cut in range(len(blob)):
        part = blob[:cut]
        for source in (io.BytesIO(part), NonSeekable(part, step=1000)):
            with pytest.raises(ValueError, match="load: truncated checkpoint"):
                cr.load(source)


def test_empty_file_is_truncated(tmp_path: Path) -> None:
    (tmp_path / "e.pt").write_bytes(b"")
    with pytest.raises(ValueError, match=r"load: truncated checkpoint '.*e\.pt'"):
        cr.load(tmp_path / "e.pt")


def test_every_flipped_byte_is_detected() -> None:
    blob = to_bytes(sample())
    for i in range(len(blob)):
        for bit in (0, 7) if i % 16 else range(8):
            damaged = bytearray(blob)
            damaged[i] ^= 1 << bit
            with pytest.raises(ValueError, match="load: corrupt checkpoint"):
                load_bytes(bytes(damaged))


def test_flips_in_a_file_on_disk(tmp_path: Path) -> None:
    blob = to_bytes({"x": cr.randn(100)})
    path = tmp_path / "x.pt"
    hlen = struct.unpack_from("<Q", blob, 16)[0]
    for i in (3, 9, 17, 25, 29, 40, 32 + hlen + 10, len(blob) - 1):
        damaged = bytearray(blob)
        damaged[i] ^= 0x10
        path.write_bytes(damaged)
        with pytest.raises(ValueError, match="corrupt"):
            cr.load(path)


def test_trailing_bytes_after_a_file_are_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "x.pt"
    path.write_bytes(to_bytes([1]) + b"\0")
    with pytest.raises(ValueError, match=r"corrupt.*1 unexpected bytes"):
        cr.load(path)


@pytest.mark.parametrize("n", [1, 7, 8, 31, 32, 100, 4096])
def test_random_bytes_are_corrupt(n: int) -> None:
    import random

    rng = random.Random(n)
    blob = bytes(rng.randrange(256) for _ in range(n))
    blob = (b"\x00" + blob[1:]) if blob[:1] == b"\x89" else blob
    with pytest.raises(ValueError, match="corrupt"):
        load_bytes(blob)
    with pytest.raises(ValueError, match="corrupt"):  # right magic, garbage after it
        load_bytes(b"\x89CRCKPT\n" + blob + bytes(32))


def test_pickle_file_is_rejected_without_unpickling(tmp_path: Path) -> None:
    path = tmp_path / "model.pkl"
    with path.open("wb") as f:
        pickle.dump({"w": [1.0, 2.0]}, f)  # written with pickle, never read with it
    with pytest.raises(ValueError, match=r"corrupt.*pickle"):
        cr.load(path)


def test_zip_and_torch_files_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "archive.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("data.pkl", b"not really")
    with pytest.raises(ValueError, match=r"corrupt.*zip"):
        cr.load(path)
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.ones(2)}, tmp_path / "torch.pt")
    with pytest.raises(ValueError, match=r"corrupt.*torch.load"):
        cr.load(tmp_path / "torch.pt")


def test_numpy_file_is_rejected(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    np.save(tmp_path / "a.npy", np.ones(3))
    with pytest.raises(ValueError, match=r"corrupt.*NumPy"):
        cr.load(tmp_path / "a.npy")


def test_crafted_file_sanity() -> None:
    """The crafting helper itself produces loadable files."""
    data = struct.pack("<4f", 1, 2, 3, 4)
    assert load_bytes(craft({"root": tensor_node()}, data)).tolist() == [1, 2, 3, 4]
    assert load_bytes(craft({"root": {"type": "int", "value": "-12"}})) == -12


_BAD_HEADERS: dict[str, tuple[Any, bytes]] = {
    "unknown dtype": ({"root": tensor_node("float16")}, bytes(16)),
    "negative dim": ({"root": {**tensor_node(), "shape": [-4]}}, bytes(16)),
    "float dim": ({"root": {**tensor_node(), "shape": [4.0]}}, bytes(16)),
    "bool dim": ({"root": {**tensor_node(shape=(1,)), "shape": [True]}}, bytes(16)),
    "shape not a list": ({"root": {**tensor_node(), "shape": 4}}, bytes(16)),
    "too many dims": ({"root": tensor_node(shape=(1,) * 65)}, bytes(16)),
    "nbytes mismatch": ({"root": {**tensor_node(), "nbytes": 12}}, bytes(16)),
    "nbytes huge": ({"root": tensor_node(shape=(2**40,))}, bytes(16)),
    "dim huge in empty tensor": ({"root": tensor_node(shape=(0, 2**70))}, b""),
    "unaligned offset": ({"root": tensor_node(offset=4)}, bytes(20)),
    "negative offset": ({"root": tensor_node(offset=-64)}, bytes(16)),
    "offset outside data": ({"root": tensor_node(offset=64)}, bytes(64)),
    "overlap": (
        {"root": {"type": "list", "items": [tensor_node(shape=(32,)), tensor_node(offset=64)]}},
        bytes(128),
    ),
    "int requires_grad": ({"root": tensor_node("int64", (2,), requires_grad=True)}, bytes(16)),
    "int parameter": ({"root": tensor_node("int64", (2,), parameter=True)}, bytes(16)),
    "requires_grad not bool": ({"root": tensor_node(requires_grad=1)}, bytes(16)),
    "extra field": ({"root": tensor_node(device="cuda")}, bytes(16)),
    "missing field": ({"root": {"type": "tensor", "dtype": "float32", "shape": [4]}}, b""),
    "bool data": ({"root": tensor_node("bool", (4,))}, b"\x00\x01\x02\x01"),
    "unknown type": ({"root": {"type": "set", "items": []}}, b""),
    "no type": ({"root": {"value": "1"}}, b""),
    "json number value": ({"root": 3}, b""),
    "json list value": ({"root": [1]}, b""),
    "int leading zero": ({"root": {"type": "int", "value": "012"}}, b""),
    "int exponent": ({"root": {"type": "int", "value": "1e5"}}, b""),
    "int spaces": ({"root": {"type": "int", "value": " 1"}}, b""),
    "int underscore": ({"root": {"type": "int", "value": "1_000"}}, b""),
    "int too long": ({"root": {"type": "int", "value": "9" * 4301}}, b""),
    "int not string": ({"root": {"type": "int", "value": 1}}, b""),
    "float underscore": ({"root": {"type": "float", "value": "1_0.5"}}, b""),
    "float infinity": ({"root": {"type": "float", "value": "infinity"}}, b""),
    "float nan sign": ({"root": {"type": "float", "value": "+nan"}}, b""),
    "items not list": ({"root": {"type": "list", "items": {}}}, b""),
    "dict item not pair": ({"root": {"type": "dict", "items": [["a"]]}}, b""),
    "unhashable key": (
        {"root": {"type": "dict", "items": [[{"type": "list", "items": []}, None]]}},
        b"",
    ),
    "tensor key": ({"root": {"type": "dict", "items": [[tensor_node(shape=(0,)), None]]}}, b""),
    "duplicate key": ({"root": {"type": "dict", "items": [["a", 1], ["a", 2]]}}, b""),
    "duplicate int/bool key": (
        {"root": {"type": "dict", "items": [[{"type": "int", "value": "1"}, None], [True, None]]}},
        b"",
    ),
    "metadata on dict": ({"root": {"type": "dict", "items": [], "metadata": None}}, b""),
    "wrong format": ({"format": "safetensors", "root": None}, b""),
    "wrong alignment": ({"alignment": 32, "root": None}, b""),
    "wrong checksum": ({"checksum": "sha256", "root": None}, b""),
    "no root": ({}, b""),
    "negative data_nbytes": ({"data_nbytes": -1, "root": None}, b""),
    "float data_nbytes": ({"data_nbytes": 0.0, "root": None}, b""),
    "too deep": ({"root": json.loads('{"type":"list","items":[' * 101 + "]}" * 101)}, b""),
    "strides field": ({"root": tensor_node(strides=[1])}, bytes(16)),
    "empty tensor strides overflow": ({"root": tensor_node(shape=(0, 2**40, 2**40))}, b""),
    "65 dims": ({"root": tensor_node(shape=(1,) * 65)}, bytes(16)),
    "a million dims": ({"root": {**tensor_node(), "shape": [1] * 10**6}}, bytes(16)),
    "dtype code": ({"root": {**tensor_node(), "dtype": 7}}, bytes(16)),
    "dtype null": ({"root": {**tensor_node(), "dtype": None}}, bytes(16)),
    "offset 2**62": ({"root": tensor_node(offset=2**62)}, bytes(16)),
    "offset + nbytes past data": ({"root": tensor_node(shape=(17,), offset=0)}, bytes(64)),
    "same region twice": ({"root": {"type": "list", "items": [tensor_node()] * 2}}, bytes(16)),
    "region inside another": (
        {"root": {"type": "tuple", "items": [tensor_node(shape=(64,)), tensor_node(offset=128)]}},
        bytes(256),
    ),
    "overlap through metadata": (
        {
            "root": {
                "type": "ordered_dict",
                "items": [["w", tensor_node()]],
                "metadata": tensor_node(shape=(2,)),
            }
        },
        bytes(16),
    ),
    "huge int key": (
        {"root": {"type": "dict", "items": [[{"type": "int", "value": "1" * 5000}, None]]}},
        b"",
    ),
    "alignment true": ({"alignment": True, "root": None}, b""),
}


@pytest.mark.parametrize("case", list(_BAD_HEADERS))
def test_invalid_headers_are_corrupt(tmp_path: Path, case: str) -> None:
    header, data = _BAD_HEADERS[case]
    blob = craft(header, data)
    with pytest.raises(ValueError, match="load: corrupt checkpoint"):
        load_bytes(blob)
    path = tmp_path / "bad.pt"
    path.write_bytes(blob)
    with pytest.raises(ValueError, match="load: corrupt checkpoint"):
        cr.load(path)


@pytest.mark.parametrize(
    "header",
    [
        b"not json",
        b'{"format": "chainrule-checkpoint", "root": NaN}',
        b'{"format": "chainrule-checkpoint", "format": "chainrule-checkpoint"}',
        b"\xff\xfe invalid utf-8",
        b"[" * 100_000,
        b'"just a string"',
    ],
    ids=["not_json", "nan_token", "duplicate_json_key", "bad_utf8", "deep_json", "string"],
)
def test_malformed_json_is_corrupt(header: bytes) -> None:
    with pytest.raises(ValueError, match="load: corrupt checkpoint"):
        load_bytes(craft(header))


def test_prefix_fields_are_checked() -> None:
    with pytest.raises(ValueError, match="unsupported checkpoint format version 2"):
        load_bytes(craft({"root": None}, version=2))
    with pytest.raises(ValueError, match=r"corrupt.*reserved"):
        load_bytes(craft({"root": None}, reserved=1))
    blob = bytearray(craft({"root": None}))
    for hlen in (2**40, 33):  # over the limit; not aligning the data section
        blob[16:24] = struct.pack("<Q", hlen)
        blob[28:32] = struct.pack("<I", zlib.crc32(bytes(blob[:28])))
        with pytest.raises(ValueError, match=r"corrupt.*header length"):
            load_bytes(bytes(blob))


def test_declared_sizes_beyond_the_file_are_truncated() -> None:
    # Valid checksums, but the header promises more data than the file holds.
    with pytest.raises(ValueError, match=r"truncated.*expected"):
        load_bytes(craft({"root": tensor_node(shape=(2**30,))}, bytes(16), data_nbytes=2**32))


@pytest.mark.parametrize("data_nbytes", [17, 2**62])
def test_sizes_just_over_the_file_are_truncated(data_nbytes: int) -> None:
    for source in SOURCES.values():
        with pytest.raises(ValueError, match="truncated"):
            cr.load(source(craft({"root": tensor_node()}, bytes(16), data_nbytes=data_nbytes)))


@pytest.mark.parametrize("shape", [(2**62,), (2**32, 2**32), (2**61, 3)])
def test_oversized_tensors_are_refused_before_allocation(shape: tuple[int, ...]) -> None:
    # A stream of unknown size cannot be checked against the header's sizes; the byte
    # count must still never reach the allocator (whose size arithmetic is int64).
    node = tensor_node(shape=shape)
    blob = craft({"root": node}, b"", data_nbytes=node["nbytes"])
    with pytest.raises(ValueError, match=r"corrupt.*too large"):
        cr.load(NonSeekable(blob))


def test_nesting_limit_is_the_same_for_save_and_load(tmp_path: Path) -> None:
    obj: Any = cr.ones(1)
    for _ in range(100):
        obj = [obj]
    roundtrip(obj, tmp_path)
    with pytest.raises(ValueError, match="save: containers nested more than 100 deep"):
        cr.save([obj], io.BytesIO())


def test_deep_call_stacks_raise_value_error() -> None:
    # A valid file nesting 100 containers, loaded from a stack with few frames left under
    # the recursion limit: a ValueError that says so, not a RecursionError.
    obj: Any = cr.ones(1)
    for _ in range(100):
        obj = [obj]
    blob = to_bytes(obj)

    def at_depth(n: int) -> Any:
        return at_depth(n - 1) if n else load_bytes(blob)

    assert_same(at_depth(400), obj)
    limit = sys.getrecursionlimit()
    for depth in (limit - 250, limit - 100):  # out of frames in the decoder, or in json
        with pytest.raises(ValueError, match=r"load: .*recursion limit \(\d+\)"):
            at_depth(depth)
