"""cr.save / cr.load: round trips, the documented byte layout, damaged and foreign files,
unsupported objects, and atomic replacement (including a writer killed mid-save)."""

from __future__ import annotations

import collections
import io
import json
import math
import os
import pickle
import re
import signal
import struct
import subprocess
import sys
import time
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

import chainrule as cr
from chainrule import _atomic_write, serialization
from chainrule import _checkpoint_reader as reader

DOCS = Path(__file__).resolve().parents[1] / "docs" / "checkpoint-format.md"
# `.<target name>.<pid>-<host tag>-<8 random hex digits>.tmp`
TMP_RE = re.compile(r"^\.ckpt\.pt\.([1-9][0-9]*)-[0-9a-f]{8}-[0-9a-f]{8}\.tmp$")


# ---- helpers ---------------------------------------------------------------------------


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


def craft(header: Any, data: bytes = b"", *, version: int = 1, reserved: int = 0,
          data_nbytes: int | None = None) -> bytes:
    """A file with valid checksums around an arbitrary header (dict or raw bytes)."""
    if isinstance(header, dict):
        header = {"format": "chainrule-checkpoint", "alignment": 64, "checksum": "crc32",
                  "data_nbytes": len(data) if data_nbytes is None else data_nbytes, **header}
        header = json.dumps(header).encode()
    header += b" " * (-(32 + len(header)) % 64)
    head = struct.pack("<8sIIQI", b"\x89CRCKPT\n", version, reserved, len(header),
                       zlib.crc32(header))
    body = head + struct.pack("<I", zlib.crc32(head)) + header + data
    return body + struct.pack("<I", zlib.crc32(body))


def tensor_node(dtype: str = "float32", shape: Any = (4,), offset: int = 0,
                **extra: Any) -> dict[str, Any]:
    itemsize = {"float32": 4, "float64": 8, "int64": 8, "bool": 1}.get(dtype, 4)
    node = {"type": "tensor", "dtype": dtype, "shape": list(shape), "offset": offset,
            "nbytes": math.prod(shape) * itemsize, "requires_grad": False}
    node.update(extra)
    return node


def load_bytes(blob: bytes) -> Any:
    return cr.load(io.BytesIO(blob))


def sample() -> dict[str, Any]:
    """A small checkpoint with every kind of node, gaps between tensors and an empty one."""
    return {
        "model": collections.OrderedDict(
            [("w", cr.randn(3, 5)), ("b", cr.arange(3)), ("mask", cr.tensor([True, False]))]),
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


# ---- round trips -----------------------------------------------------------------------


def _values(dtype: Any, shape: tuple[int, ...]) -> cr.Tensor:
    n = math.prod(shape)
    if dtype == cr.bool:
        return (cr.rand(n) > 0.5).reshape(shape)
    if dtype == cr.int64:
        vals = [-(2**63), 2**63 - 1, 0, -1, 123456789012345][:n]
        return cr.tensor(vals + list(range(n - len(vals))), dtype=cr.int64).reshape(shape)
    t = cr.randn(n, dtype=dtype)
    special = [math.nan, math.inf, -math.inf, -0.0, 5e-324 if dtype == cr.float64 else 1e-45]
    for i, v in enumerate(special[:n]):
        t[i] = v
    return t.reshape(shape)


@pytest.mark.parametrize("dtype", [cr.float32, cr.float64, cr.int64, cr.bool])
@pytest.mark.parametrize("shape", [(), (0,), (1,), (7,), (2, 0, 4), (3, 1, 5), (2, 3, 4, 5)])
def test_tensor_round_trip(tmp_path: Path, dtype: Any, shape: tuple[int, ...]) -> None:
    t = _values(dtype, shape)
    before = raw(t)
    out = roundtrip(t, tmp_path)
    assert out.is_contiguous()
    out.zero_()  # fresh, writable memory, not shared with the source
    assert raw(t) == before


@pytest.mark.parametrize("make", [
    lambda x: x.t(),
    lambda x: x[1],
    lambda x: x[:, 1:3],
    lambda x: x.narrow(0, 1, 2).permute(1, 0),
    lambda x: x[:1].expand(5, 6),
    lambda x: x.select(1, 2),
], ids=["t", "row", "cols", "narrow_permute", "expand", "select"])
def test_views_are_saved_by_value(tmp_path: Path, make: Any) -> None:
    base = cr.randn(4, 6)
    view = make(base)
    out = roundtrip(view, tmp_path)
    assert out.is_contiguous()
    assert out.tolist() == view.tolist()
    # Only the view's elements are stored, not the whole storage.
    assert len(to_bytes(view)) < len(to_bytes(base)) or view.numel() >= base.numel()


def test_shared_storage_comes_back_as_independent_tensors(tmp_path: Path) -> None:
    t = cr.randn(3, 4)
    out = roundtrip({"a": t, "b": t, "row": t[0]}, tmp_path)
    assert out["a"] is not out["b"]
    out["a"].zero_()
    assert out["b"].tolist() == t.tolist()
    assert out["row"].tolist() == t[0].tolist()


def test_requires_grad_is_kept_as_in_torch(tmp_path: Path) -> None:
    leaf = cr.randn(3, requires_grad=True)
    nonleaf = leaf * 2
    out = cr.load(_save(tmp_path, {"leaf": leaf, "nonleaf": nonleaf, "plain": cr.ones(2)}))
    for name in ("leaf", "nonleaf"):
        t = out[name]
        assert t.requires_grad, name
        assert t.is_leaf, name
        assert t.grad_fn is None, name
    assert not out["plain"].requires_grad
    assert out["nonleaf"].tolist() == nonleaf.tolist()
    (out["leaf"] * 3).sum().backward()
    assert out["leaf"].grad.tolist() == [3.0, 3.0, 3.0]


def _save(tmp_path: Path, obj: Any) -> Path:
    path = tmp_path / "ckpt.pt"
    cr.save(obj, path)
    return path


@pytest.mark.parametrize("value", [
    None, True, False, 0, -1, 2**63 - 1, -(2**63), 2**64, -(3**200), 10**4299,
    0.0, -0.0, 0.1, -1.5e300, 5e-324, math.nan, math.inf, -math.inf, 1 / 3,
    "", "plain", "héllo ☃ 😀", "quotes \" and \\ and \n\t\x00 controls", "a" * 10_000,
], ids=repr)
def test_python_scalar_round_trip(tmp_path: Path, value: Any) -> None:
    roundtrip(value, tmp_path)
    roundtrip([value, {"k": value}], tmp_path)


def test_containers_keep_types_key_types_and_order(tmp_path: Path) -> None:
    od = collections.OrderedDict([("z", 1), ("a", 2)])
    od._metadata = collections.OrderedDict([("", {"version": 1}), ("fc", {"version": 2})])
    obj = {
        "z_first": 1, "a_second": 2,  # insertion order, not sorted
        0: "int key", 2: "another", -5: "negative",
        True: "bool key (equal to 1, so no int 1 here)", None: "none key", 2.5: "float key",
        (1, "x", (None, False)): "tuple key", "0": "str key that looks like an int",
        "od": od, "empty": [{}, [], (), collections.OrderedDict()],
        "nested": [[(1, [2, (3,)])]], "single_tuple": (cr.ones(1),),
    }
    out = roundtrip(obj, tmp_path)
    assert type(out["od"]) is collections.OrderedDict
    assert type(out) is dict
    assert list(out) == list(obj)
    assert [type(k) for k in out] == [type(k) for k in obj]
    assert out["od"]._metadata == od._metadata


def test_optimizer_state_dict_layout(tmp_path: Path) -> None:
    state = {
        "state": {0: {"step": cr.tensor(3.0), "exp_avg": cr.randn(3, 2),
                      "exp_avg_sq": cr.rand(3, 2)},
                  1: {"step": cr.tensor(3.0), "exp_avg": cr.randn(3), "exp_avg_sq": cr.rand(3)}},
        "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-08, "weight_decay": 0,
                          "amsgrad": False, "maximize": False, "foreach": None,
                          "capturable": False, "differentiable": False, "fused": None,
                          "params": [0, 1]}],
    }
    out = roundtrip(state, tmp_path)
    assert list(out["state"]) == [0, 1]
    assert out["param_groups"][0]["betas"] == (0.9, 0.999)


def _from_torch(obj: Any) -> Any:
    """Torch objects -> chainrule, keeping the container types."""
    import torch

    if isinstance(obj, torch.Tensor):
        return cr.tensor(obj.detach().numpy(), requires_grad=obj.requires_grad)
    if isinstance(obj, dict):
        out = type(obj)((k, _from_torch(v)) for k, v in obj.items())
        if hasattr(obj, "_metadata"):
            out._metadata = _from_torch(obj._metadata)
        return out
    if isinstance(obj, (list, tuple)):
        return type(obj)(_from_torch(v) for v in obj)
    return obj


def _assert_matches_torch(ours: Any, theirs: Any) -> None:
    import torch

    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, cr.Tensor)
        assert list(ours.shape) == list(theirs.shape)
        assert raw(ours) == theirs.detach().contiguous().numpy().tobytes()
    elif isinstance(theirs, dict):
        assert type(ours) is type(theirs)
        assert [(type(k), k) for k in ours] == [(type(k), k) for k in theirs]
        for k in theirs:
            _assert_matches_torch(ours[k], theirs[k])
    elif isinstance(theirs, (list, tuple)):
        assert type(ours) is type(theirs)
        assert len(ours) == len(theirs)
        for x, y in zip(ours, theirs):
            _assert_matches_torch(x, y)
    else:
        assert type(ours) is type(theirs)
        assert ours == theirs


def test_torch_state_dicts_round_trip(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3),
                                torch.nn.Linear(3, 2))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    model(torch.randn(5, 4)).sum().backward()
    opt.step()
    theirs = {"model": model.state_dict(), "optim": opt.state_dict(), "epoch": 1}
    out = roundtrip(_from_torch(theirs), tmp_path)
    _assert_matches_torch(out, theirs)
    assert out["model"]._metadata == model.state_dict()._metadata


def test_module_state_dict_round_trip(tmp_path: Path) -> None:
    import chainrule.nn as nn

    model = nn.Sequential(nn.Linear(4, 8), nn.Identity(), nn.Linear(8, 2))
    model.register_buffer("counts", cr.arange(3))
    sd = model.state_dict()
    out = roundtrip({"model": sd, "epoch": 3}, tmp_path)["model"]
    assert type(out) is collections.OrderedDict
    assert list(out) == ["counts", "0.weight", "0.bias", "2.weight", "2.bias"]
    fresh = nn.Sequential(nn.Linear(4, 8), nn.Identity(), nn.Linear(8, 2))
    fresh.register_buffer("counts", cr.zeros(3, dtype=cr.int64))
    fresh.load_state_dict(out)
    x = cr.randn(5, 4)
    assert raw(fresh(x)) == raw(model(x))
    assert fresh.counts.tolist() == [0, 1, 2]


def test_parameters_and_buffers(tmp_path: Path) -> None:
    import chainrule.nn as nn

    frozen = nn.Parameter(cr.randn(3), requires_grad=False)
    lin = nn.Linear(2, 3)
    obj = {"params": list(lin.parameters()), "frozen": frozen,
           "kept": lin.state_dict(keep_vars=True), "buffer": nn.Buffer(cr.ones(2))}
    out = cr.load(_save(tmp_path, obj))
    for p, q in zip(out["params"], lin.parameters()):
        assert type(p) is nn.Parameter
        assert p.requires_grad
        assert p.is_leaf
        assert raw(p) == raw(q)
    assert type(out["frozen"]) is nn.Parameter
    assert not out["frozen"].requires_grad
    assert type(out["kept"]["weight"]) is nn.Parameter
    assert type(out["buffer"]) is cr.Tensor  # as in torch, where a Buffer is a plain tensor
    assert out["buffer"].tolist() == [1.0, 1.0]


def test_modules_and_optimizers_need_their_state_dict() -> None:
    import chainrule.nn as nn

    with pytest.raises(TypeError, match=r"of type Linear at \['model'\]; save its state_dict"):
        cr.save({"model": nn.Linear(2, 2)}, io.BytesIO())


def test_large_tensor_round_trip(tmp_path: Path) -> None:
    # 64 MiB: a 100 MB round trip takes about 1 s on a busy 2-core machine.
    t = cr.empty(16 << 20)
    t.fill_(0.5)
    t[12_345_678] = -3.0
    path = _save(tmp_path, {"big": t})
    assert path.stat().st_size > 64 << 20
    out = cr.load(path)["big"]
    assert out.shape == t.shape
    assert out[12_345_678].item() == -3.0
    assert zlib.crc32(memoryview(out)) == zlib.crc32(memoryview(t))


def test_chunked_reads_and_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(serialization, "_CHUNK", 100)  # many partial chunks per tensor
    monkeypatch.setattr(reader, "_CHUNK", 100)
    obj = {"a": cr.randn(1000), "b": cr.randn(3, 77, dtype=cr.float64), "c": cr.arange(33)}
    roundtrip(obj, tmp_path)


# ---- file objects and paths ------------------------------------------------------------


def test_file_objects(tmp_path: Path) -> None:
    obj = sample()
    blob = to_bytes(obj)
    stream = io.BytesIO(blob + to_bytes([1, 2]) + b"trailing")
    assert_same(cr.load(stream), obj)  # leaves the stream right after the checkpoint
    assert cr.load(stream) == [1, 2]
    assert stream.read() == b"trailing"
    assert_same(cr.load(NonSeekable(blob)), obj)
    assert_same(cr.load(ReadOnly(blob)), obj)
    writer = TrickleWriter()
    cr.save(obj, writer)
    assert bytes(writer.data) == blob
    with (tmp_path / "f.pt").open("wb") as f:
        cr.save(obj, f)
    with (tmp_path / "f.pt").open("rb") as f:
        assert_same(cr.load(f), obj)


@pytest.mark.parametrize("kind", [str, Path, os.fsencode])
def test_path_types(tmp_path: Path, kind: Any) -> None:
    path = kind(tmp_path / "ckpt.pt")
    cr.save({"x": cr.ones(2)}, path)
    cr.save({"x": cr.zeros(3)}, path)  # overwrites
    assert cr.load(path)["x"].tolist() == [0.0, 0.0, 0.0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def test_loaded_tensors_do_not_alias_the_source(tmp_path: Path) -> None:
    blob = bytearray(to_bytes({"x": cr.ones(4)}))
    stream = io.BytesIO(blob)
    out = cr.load(stream)["x"]
    stream.seek(0)
    stream.write(bytes(len(blob)))
    path = _save(tmp_path, {"y": cr.ones(4)})
    y = cr.load(path)["y"]
    path.unlink()
    out.add_(1.0)
    y.mul_(3.0)
    assert out.tolist() == [2.0] * 4
    assert y.tolist() == [3.0] * 4


@pytest.mark.skipif(not hasattr(os, "symlink") or os.name == "nt", reason="POSIX symlinks")
def test_symlink_target_is_replaced_and_link_kept(tmp_path: Path) -> None:
    real = tmp_path / "real.pt"
    link = tmp_path / "link.pt"
    cr.save(1, real)
    link.symlink_to(real)
    cr.save(2, link)
    assert link.is_symlink()
    assert cr.load(real) == 2


@pytest.mark.skipif(os.name == "nt", reason="POSIX permissions")
def test_new_file_gets_default_permissions(tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    path = _save(tmp_path, 1)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_path_errors_leave_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "dir.pt").mkdir()
    with pytest.raises(OSError, match=r"dir\.pt"):  # IsADirectoryError, or PermissionError
        cr.save(1, tmp_path / "dir.pt")
    with pytest.raises(FileNotFoundError):
        cr.save(1, tmp_path / "missing" / "x.pt")
    with pytest.raises(FileNotFoundError):
        cr.load(tmp_path / "nope.pt")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.pt"]


def test_bad_f_argument() -> None:
    with pytest.raises(TypeError, match="save: f must be"):
        cr.save(1, 123)
    with pytest.raises(TypeError, match="load: f must be"):
        cr.load(123)


def test_torch_keyword_arguments_are_accepted(tmp_path: Path) -> None:
    path = _save(tmp_path, {"x": cr.ones(1)})
    cr.save(1, tmp_path / "p.pt", pickle_module=pickle, pickle_protocol=2)
    for loc in (None, "cpu", "cpu:0", cr.device("cpu")):
        assert cr.load(path, map_location=loc)["x"].tolist() == [1.0]
    assert cr.load(path, weights_only=False, mmap=True, encoding="latin1")["x"].tolist() == [1.0]


@pytest.mark.parametrize("loc", ["cuda", "cuda:0", "mps", "cpu:1", {"cuda:0": "cpu"},
                                 lambda s, _: s, 0])
def test_map_location_must_be_cpu(tmp_path: Path, loc: Any) -> None:
    path = _save(tmp_path, 1)
    with pytest.raises(ValueError, match="load: map_location must be"):
        cr.load(path, map_location=loc)


# ---- the documented layout -------------------------------------------------------------


def test_layout_matches_the_documentation() -> None:
    obj = sample()
    blob = to_bytes(obj)
    magic, version, reserved, hlen, hcrc, pcrc = struct.unpack_from("<8sIIQII", blob)
    assert (magic, version, reserved) == (b"\x89CRCKPT\n", 1, 0)
    assert pcrc == zlib.crc32(blob[:28])
    assert (32 + hlen) % 64 == 0
    header = blob[32:32 + hlen]
    assert hcrc == zlib.crc32(header)
    doc = json.loads(header)
    assert len(blob) == 32 + hlen + doc["data_nbytes"] + 4
    assert struct.unpack("<I", blob[-4:])[0] == zlib.crc32(blob[:-4])
    w = doc["root"]["items"][0][1]["items"][0][1]
    assert w == {"type": "tensor", "dtype": "float32", "shape": [3, 5], "offset": 0,
                 "nbytes": 60, "requires_grad": False}
    data = blob[32 + hlen:-4]
    assert data[:60] == raw(obj["model"]["w"])
    b = doc["root"]["items"][0][1]["items"][1][1]
    assert b["offset"] == 64
    assert data[60:64] == bytes(4)  # aligned, zero gaps


def test_reference_reader_in_the_docs_reads_our_files(tmp_path: Path) -> None:
    np = pytest.importorskip("numpy")
    code = re.search(r"```python\n(.*?)```", DOCS.read_text(encoding="utf-8"), re.S)
    assert code is not None
    namespace: dict[str, Any] = {}
    exec(code.group(1), namespace)
    obj = sample()
    path = _save(tmp_path, obj)
    out = namespace["read_checkpoint"](path)
    assert np.array_equal(out["model"]["w"], obj["model"]["w"].numpy())
    assert out["state"] == {0: {"step": 7, "lr": 1e-3}, 1: None}
    assert out["groups"][0]["betas"] == (0.9, 0.999)
    assert out["empty"].shape == (0, 4)
    assert out["scalar"].shape == ()


# ---- damaged and foreign files -----------------------------------------------------------


def test_truncated_at_every_offset(tmp_path: Path) -> None:
    blob = to_bytes(sample())
    hlen = struct.unpack_from("<Q", blob, 16)[0]
    data = 32 + hlen
    # Files on disk at the boundaries and inside each part (rewriting a file is slow) ...
    cuts = {*range(34), data // 2, data - 1, data, data + 1, data + 60, data + 64,
            len(blob) - 5, len(blob) - 4, len(blob) - 3, len(blob) - 1}
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
    "overlap": ({"root": {"type": "list", "items": [tensor_node(shape=(32,)),
                                                     tensor_node(offset=64)]}}, bytes(128)),
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
    "unhashable key": ({"root": {"type": "dict", "items": [[{"type": "list", "items": []},
                                                               None]]}}, b""),
    "tensor key": ({"root": {"type": "dict", "items": [[tensor_node(shape=(0,)), None]]}},
                   b""),
    "duplicate key": ({"root": {"type": "dict", "items": [["a", 1], ["a", 2]]}}, b""),
    "duplicate int/bool key": ({"root": {"type": "dict", "items": [
        [{"type": "int", "value": "1"}, None], [True, None]]}}, b""),
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
    "region inside another": ({"root": {"type": "tuple", "items": [
        tensor_node(shape=(64,)), tensor_node(offset=128)]}}, bytes(256)),
    "overlap through metadata": ({"root": {"type": "ordered_dict", "items": [
        ["w", tensor_node()]], "metadata": tensor_node(shape=(2,))}}, bytes(16)),
    "huge int key": ({"root": {"type": "dict", "items": [
        [{"type": "int", "value": "1" * 5000}, None]]}}, b""),
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


@pytest.mark.parametrize("header", [
    b"not json",
    b'{"format": "chainrule-checkpoint", "root": NaN}',
    b'{"format": "chainrule-checkpoint", "format": "chainrule-checkpoint"}',
    b"\xff\xfe invalid utf-8",
    b"[" * 100_000,
    b'"just a string"',
], ids=["not_json", "nan_token", "duplicate_json_key", "bad_utf8", "deep_json", "string"])
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
        load_bytes(craft({"root": tensor_node(shape=(2**30,))}, bytes(16),
                         data_nbytes=2**32))


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


def _on_disk(blob: bytes) -> Any:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "ckpt.pt"
        path.write_bytes(blob)
        return cr.load(path)


SOURCES: dict[str, Any] = {  # every way of handing cr.load a checkpoint's bytes
    "path": lambda blob: _PathSource(blob),
    "BytesIO": io.BytesIO,
    "pipe": NonSeekable,
    "read_only": ReadOnly,
}


class _PathSource(os.PathLike[str]):
    """A path to a temporary file holding `blob` (removed when garbage collected)."""

    def __init__(self, blob: bytes) -> None:
        import tempfile

        fd, self._path = tempfile.mkstemp(suffix=".pt")
        with os.fdopen(fd, "wb") as f:
            f.write(blob)

    def __fspath__(self) -> str:
        return self._path

    def __del__(self) -> None:
        Path(self._path).unlink(missing_ok=True)


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
        source: str, allocated: list[int]) -> None:
    # 1,500 entries pointing at one 4 MiB region: 4.4 MB of file, which loaded one tensor per
    # entry would take 6 GiB. The format has every tensor own its bytes, so it is corrupt.
    node = tensor_node(shape=(1 << 20,))
    blob = craft({"root": {"type": "list", "items": [node] * 1500}}, bytes(4 << 20))
    with pytest.raises(ValueError, match=r"load: corrupt checkpoint.*: the data of the tensor "
                                         r"at \[1\] \[0, 4194304\) overlaps that of the "
                                         r"tensor at \[0\] \[0, 4194304\)"):
        cr.load(SOURCES[source](blob))
    assert allocated == []


def test_overlaps_are_found_in_any_order(allocated: list[int]) -> None:
    a, b = tensor_node(shape=(32,), offset=128), tensor_node(shape=(48,), offset=64)
    blob = craft({"root": {"type": "dict", "items": [["a", a], ["b", b]]}}, bytes(256))
    with pytest.raises(ValueError, match=r"tensor at \['a'\] \[128, 256\) overlaps that of "
                                         r"the tensor at \['b'\] \[64, 256\)"):
        load_bytes(blob)
    assert allocated == []


def test_empty_tensors_share_no_bytes(allocated: list[int]) -> None:
    # Empty tensors take no bytes, wherever their (aligned) offset points.
    items = [tensor_node(shape=(0, 3), offset=0), tensor_node(shape=(4,)),
             tensor_node(shape=(0,), offset=0), tensor_node("int64", (2**57, 0), offset=64)]
    out = load_bytes(craft({"root": {"type": "list", "items": items}},
                           struct.pack("<4f", 1, 2, 3, 4) + bytes(60)))
    assert [t.shape for t in out] == [(0, 3), (4,), (0,), (2**57, 0)]
    assert out[1].tolist() == [1, 2, 3, 4]
    assert sorted(allocated) == [0, 0, 0, 16]


@pytest.mark.parametrize("source", list(SOURCES))
def test_load_allocates_exactly_the_tensor_bytes(source: str, allocated: list[int]) -> None:
    obj = sample()
    blob = to_bytes(obj)
    assert_same(cr.load(SOURCES[source](blob)), obj)
    tensors = [obj["model"]["w"], obj["model"]["b"], obj["model"]["mask"], obj["empty"],
               obj["scalar"]]
    assert sorted(allocated) == sorted(len(raw(t)) for t in tensors)
    assert sum(allocated) < len(blob)


def test_streams_of_unknown_size_gather_large_tensors_first(
        monkeypatch: pytest.MonkeyPatch, allocated: list[int]) -> None:
    monkeypatch.setattr(reader, "_CHUNK", 256)
    obj = {"big": cr.randn(5000), "small": cr.arange(10), "bits": cr.rand(3000) > 0.5}
    blob = to_bytes(obj)
    assert_same(cr.load(NonSeekable(blob, step=100)), obj)
    assert_same(cr.load(ReadOnly(blob)), obj)
    hlen = struct.unpack_from("<Q", blob, 16)[0]
    start = 32 + hlen  # "big" (20,000 bytes) is larger than what came before it: gathered
    for cut in (start, start + 1, start + 256, start + 19_999):
        allocated.clear()
        with pytest.raises(ValueError, match=r"truncated.*the data of the tensor at \['big'\] "
                                             r"\[0, 20000\)"):
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
    header = {"root": {"type": "dict", "items": [
        ["model", {"type": "ordered_dict", "items": [["w", bad]]}]]}}
    with pytest.raises(ValueError, match=r"unknown tensor dtype 'float16' .*at "
                                         r"\['model'\]\['w'\]"):
        load_bytes(craft(header, bytes(16)))
    header = {"root": {"type": "list", "items": [None, {"type": "tuple", "items": [
        {"type": "int", "value": "0x1"}]}]}}
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


def test_save_refuses_a_header_load_would_refuse(monkeypatch: pytest.MonkeyPatch,
                                                  tmp_path: Path) -> None:
    monkeypatch.setattr(serialization, "MAX_HEADER_BYTES", 4096)
    path = _save(tmp_path, "previous")
    with pytest.raises(ValueError, match=r"save: the checkpoint's header would take \d+ bytes, "
                                         "over the format's limit of 4096"):
        cr.save(list(range(2000)), path)
    assert cr.load(path) == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def test_nesting_limit_is_the_same_for_save_and_load(tmp_path: Path) -> None:
    obj: Any = cr.ones(1)
    for _ in range(100):
        obj = [obj]
    roundtrip(obj, tmp_path)
    with pytest.raises(ValueError, match="save: containers nested more than 100 deep"):
        cr.save([obj], io.BytesIO())


# ---- unsupported objects ---------------------------------------------------------------


class Foo:
    pass


@pytest.mark.parametrize(("obj", "where"), [
    ({"model": {"x": Foo()}}, r"of type Foo at \['model'\]\['x'\]"),
    (Foo(), "of type Foo at the top level"),
    ([1, (2, len)], r"of type builtin_function_or_method at \[1\]\[1\]"),
    ({0: {1: lambda: 0}}, r"of type function at \[0\]\[1\]"),
    ({"s": {1, 2}}, r"of type set at \['s'\]"),
    ({"b": b"bytes"}, r"of type bytes at \['b'\]"),
    ({"c": 1j}, r"of type complex at \['c'\]"),
    ({"d": collections.defaultdict(int)}, r"of type defaultdict at \['d'\]"),
    ({"dt": cr.float32}, r"of type dtype at \['dt'\]"),
])
def test_unsupported_objects_raise_type_error(tmp_path: Path, obj: Any, where: str) -> None:
    path = _save(tmp_path, "previous")
    with pytest.raises(TypeError, match="save: cannot save object " + where):
        cr.save(obj, path)
    assert cr.load(path) == "previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


def test_numpy_values_are_unsupported() -> None:
    np = pytest.importorskip("numpy")
    with pytest.raises(TypeError, match=r"of type ndarray at \['a'\]"):
        cr.save({"a": np.ones(2)}, io.BytesIO())
    with pytest.raises(TypeError, match=r"of type float64 at \['a'\]"):
        cr.save({"a": np.float64(1)}, io.BytesIO())


@pytest.mark.parametrize("key", [cr.ones(1), frozenset(), Foo(), (1, Foo())],
                         ids=["tensor", "frozenset", "Foo", "tuple_with_Foo"])
def test_unsupported_dict_keys(key: Any) -> None:
    with pytest.raises(TypeError, match=r"save: cannot save a dict key of type \w+ at \['d'\]"):
        cr.save({"d": {key: 1}}, io.BytesIO())


def test_cycles_and_bad_strings_raise_value_error() -> None:
    cyclic: list[Any] = [1]
    cyclic.append({"again": cyclic})
    with pytest.raises(ValueError, match=r"save: the object contains a reference cycle at "
                                         r"\[1\]\['again'\]"):
        cr.save(cyclic, io.BytesIO())
    shared = [1, 2]
    assert cr.load(io.BytesIO(to_bytes([shared, shared]))) == [[1, 2], [1, 2]]  # not a cycle
    with pytest.raises(ValueError, match=r"save: the string at \['s'\] is not valid Unicode"):
        cr.save({"s": "\ud800"}, io.BytesIO())
    with pytest.raises(ValueError, match="save: int at the top level is too large"):
        cr.save(10**5000, io.BytesIO())


# ---- atomic replacement --------------------------------------------------------------------


def _leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name != "ckpt.pt")


class _DiskFull(io.RawIOBase):
    """Wraps a real file; writes fail with ENOSPC once 1000 bytes are in."""

    def __init__(self, f: Any) -> None:
        self._f = f
        self._left = 1000

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        n = min(len(memoryview(b).cast("B")), self._left)
        if not n:
            raise OSError(28, "No space left on device")
        self._left -= n
        return self._f.write(memoryview(b).cast("B")[:n])

    def fileno(self) -> int:
        return int(self._f.fileno())

    def close(self) -> None:
        self._f.close()
        super().close()


@pytest.mark.parametrize("fail", ["write", "disk_full", "fsync", "replace", "interrupt",
                                  "interrupt_after_create"])
def test_failed_save_keeps_previous_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                         fail: str) -> None:
    path = _save(tmp_path, {"x": cr.ones(3), "tag": "old"})
    before = path.read_bytes()
    interrupt = fail.startswith("interrupt")

    def boom(*args: Any, **kwargs: Any) -> Any:
        raise KeyboardInterrupt if interrupt else OSError(28, "No space left on device")

    if fail in ("write", "interrupt"):
        monkeypatch.setattr(serialization, "_tensor_bytes", boom)
    elif fail == "disk_full":
        fdopen = os.fdopen
        monkeypatch.setattr(os, "fdopen", lambda *a, **k: _DiskFull(fdopen(*a, **k)))
    elif fail == "fsync":
        monkeypatch.setattr(os, "fsync", boom)
    elif fail == "replace":
        monkeypatch.setattr(Path, "replace", boom)
    else:  # the interrupt lands just after the temporary file was created
        real_open = os.open

        def open_then_interrupt(*args: Any, **kwargs: Any) -> int:
            os.close(real_open(*args, **kwargs))
            raise KeyboardInterrupt

        monkeypatch.setattr(os, "open", open_then_interrupt)
    big = {"x": cr.zeros(3000), "tag": "new"}  # more than 1000 bytes for disk_full
    with pytest.raises(KeyboardInterrupt if interrupt else OSError):
        cr.save(big, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _leftovers(tmp_path) == []


_CHILD = r"""
import sys, time
import chainrule as cr
from chainrule import serialization as s

path, mode = sys.argv[1], sys.argv[2]

def pause():
    print("ready", flush=True)
    time.sleep(60)

if mode == "fsync":  # the whole temporary file is written, not yet renamed
    s.os.fsync = lambda fd: pause()
elif mode == "data":  # stopped in the middle of the tensor data
    write_all, calls = s._write_all, []
    def slow_write_all(f, data):
        write_all(f, data)
        calls.append(1)
        if len(calls) == 3:
            f.flush()
            pause()
    s._write_all = slow_write_all
    s._CHUNK = 1 << 20
if mode == "loop":  # saves two complete versions in turn until killed
    i = 0
    while True:
        cr.save({"x": cr.full((2_000_000,), float(i % 2)), "tag": i % 2}, path)
        if i == 0:
            print("ready", flush=True)
        i += 1
else:
    cr.save({"x": cr.full((2_000_000,), 7.0), "tag": "new"}, path)
"""


def _spawn(path: Path, mode: str) -> subprocess.Popen[str]:
    env = dict(os.environ, PYTHONPATH=str(Path(cr.__file__).resolve().parents[1]))
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, str(path), mode], env=env,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    # An editable install may print its rebuild's progress on import, before "ready".
    lines = []
    while (line := proc.stdout.readline()) and line.strip() != "ready":
        lines.append(line)
    assert line.strip() == "ready", lines
    return proc


def _kill(proc: subprocess.Popen[str]) -> None:
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert proc.stdout is not None
    proc.stdout.close()


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
@pytest.mark.parametrize("mode", ["data", "fsync"])
def test_killed_writer_leaves_previous_file(tmp_path: Path, mode: str) -> None:
    path = _save(tmp_path, {"x": cr.ones(5), "tag": "old"})
    before = path.read_bytes()
    proc = _spawn(path, mode)
    _kill(proc)
    assert path.read_bytes() == before
    out = cr.load(path)
    assert out["tag"] == "old"
    assert out["x"].tolist() == [1.0] * 5
    # The killed writer's temporary file is hidden, never named like the target ...
    left = _leftovers(tmp_path)
    assert len(left) == 1, left
    match = TMP_RE.match(left[0])
    assert match, left
    assert int(match[1]) == proc.pid  # ... and names its writer
    if mode == "data":  # ... and, had it been half-written, it would not load anyway
        with pytest.raises(ValueError, match="truncated"):
            cr.load(tmp_path / left[0])
    # The next save is not disturbed by it, and removes it: its writer is dead.
    cr.save({"tag": "after"}, path)
    assert cr.load(path) == {"tag": "after"}
    assert _leftovers(tmp_path) == []


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_writer_killed_at_a_random_moment(tmp_path: Path) -> None:
    import random
    import time

    path = tmp_path / "ckpt.pt"
    proc = _spawn(path, "loop")
    time.sleep(random.Random(0).uniform(0.05, 0.3))
    _kill(proc)
    out = cr.load(path)
    assert out["tag"] in (0, 1)
    assert out["x"].shape == (2_000_000,)
    assert out["x"].min().item() == out["x"].max().item() == float(out["tag"])
    assert all(TMP_RE.match(n) for n in _leftovers(tmp_path))
    cr.save({"tag": "after"}, path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.pt"]


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_live_writers_temporary_file_is_kept(tmp_path: Path) -> None:
    path = _save(tmp_path, "old")
    proc = _spawn(path, "fsync")  # alive, its whole temporary file written, not renamed yet
    try:
        (left,) = _leftovers(tmp_path)
        cr.save("concurrent", path)
        assert _leftovers(tmp_path) == [left]
    finally:
        _kill(proc)
    cr.save("after", path)
    assert _leftovers(tmp_path) == []


_made = iter(range(1 << 30))


def _temporary(directory: Path, target: str, pid: int, host: str | None = None,
               age: float = 0.0) -> str:
    """A temporary file named as save names them, by `pid` on `host` (default: this one)."""
    name = f".{target}.{pid}-{host or _atomic_write._host_tag()}-{next(_made):08x}.tmp"
    (directory / name).write_bytes(b"partial")
    if age:
        old = time.time() - age
        os.utime(directory / name, (old, old))
    return name


@pytest.mark.skipif(os.name == "nt", reason="POSIX process checks")
def test_stale_temporaries_are_removed_by_the_next_save(tmp_path: Path) -> None:
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    dead = finished.pid
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        day = _atomic_write.STALE_SECONDS
        removed = {
            _temporary(tmp_path, "ckpt.pt", dead),
            _temporary(tmp_path, "ckpt.pt", sleeper.pid, age=day + 60),  # untouched for a day
            _temporary(tmp_path, "ckpt.pt", dead, host="0badc0de", age=day + 60),
        }
        kept = {
            _temporary(tmp_path, "ckpt.pt", os.getpid()),  # maybe another thread's save
            _temporary(tmp_path, "ckpt.pt", sleeper.pid),  # a live writer
            _temporary(tmp_path, "ckpt.pt", sleeper.pid, age=day - 600),
            _temporary(tmp_path, "ckpt.pt", dead, host="0badc0de"),  # pid from elsewhere
            _temporary(tmp_path, "other.pt", dead),  # another target's
            _temporary(tmp_path, "ckpt.pt.old", dead),
            ".ckpt.pt.0123456789abcdef.tmp",  # not a name save makes (nor made before #11)
            "ckpt.pt.1-0123abcd-0123abcd.tmp",
            "notes.txt",
        }
        (tmp_path / ".ckpt.pt.0123456789abcdef.tmp").write_bytes(b"")
        (tmp_path / "ckpt.pt.1-0123abcd-0123abcd.tmp").write_bytes(b"")
        (tmp_path / "notes.txt").write_bytes(b"")
        not_files = {f".ckpt.pt.{dead}-{_atomic_write._host_tag()}-ffffff0{i}.tmp"
                     for i in range(2)}
        first, second = sorted(not_files)
        (tmp_path / first).mkdir()
        if hasattr(os, "symlink"):
            (tmp_path / second).symlink_to(tmp_path / "notes.txt")
        else:
            not_files.discard(second)
        cr.save({"x": cr.ones(2)}, tmp_path / "ckpt.pt")
        assert set(_leftovers(tmp_path)) == kept | not_files
        assert len(removed) == 3
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc")
def test_a_killed_writer_not_yet_reaped_counts_as_dead(tmp_path: Path) -> None:
    zombie = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        os.kill(zombie.pid, signal.SIGKILL)
        stat = Path(f"/proc/{zombie.pid}/stat")
        deadline = time.time() + 10
        while stat.read_bytes().rsplit(b")", 1)[1][1:2] != b"Z":
            assert time.time() < deadline
            time.sleep(0.01)
        _temporary(tmp_path, "ckpt.pt", zombie.pid)
        cr.save(1, tmp_path / "ckpt.pt")
        assert _leftovers(tmp_path) == []
    finally:
        zombie.wait()
