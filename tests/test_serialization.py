"""cr.save / cr.load: round trips (tensors of every dtype and shape, views, Python values,
containers and their key types, torch and chainrule state dicts), file objects, the
documented byte layout, and unsupported objects. Damaged files, memory bounds, atomic
replacement and fuzzing are in test_checkpoint_*.py."""

from __future__ import annotations

import collections
import io
import json
import math
import os
import pickle
import re
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest

import chainrule as cr
from _checkpoint_files import (
    NonSeekable,
    ReadOnly,
    TrickleWriter,
    assert_same,
    raw,
    roundtrip,
    sample,
    save_to,
    to_bytes,
)
from chainrule import _checkpoint_reader as reader
from chainrule import serialization

DOCS = Path(__file__).resolve().parents[1] / "docs" / "checkpoint-format.md"


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


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x.t(),
        lambda x: x[1],
        lambda x: x[:, 1:3],
        lambda x: x.narrow(0, 1, 2).permute(1, 0),
        lambda x: x[:1].expand(5, 6),
        lambda x: x.select(1, 2),
    ],
    ids=["t", "row", "cols", "narrow_permute", "expand", "select"],
)
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
    out = cr.load(save_to(tmp_path, {"leaf": leaf, "nonleaf": nonleaf, "plain": cr.ones(2)}))
    for name in ("leaf", "nonleaf"):
        t = out[name]
        assert t.requires_grad, name
        assert t.is_leaf, name
        assert t.grad_fn is None, name
    assert not out["plain"].requires_grad
    assert out["nonleaf"].tolist() == nonleaf.tolist()
    (out["leaf"] * 3).sum().backward()
    assert out["leaf"].grad.tolist() == [3.0, 3.0, 3.0]


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        False,
        0,
        -1,
        2**63 - 1,
        -(2**63),
        2**64,
        -(3**200),
        10**4299,
        0.0,
        -0.0,
        0.1,
        -1.5e300,
        5e-324,
        math.nan,
        math.inf,
        -math.inf,
        1 / 3,
        "",
        "plain",
        "héllo ☃ 😀",
        'quotes " and \\ and \n\t\x00 controls',
        "a" * 10_000,
    ],
    ids=repr,
)
def test_python_scalar_round_trip(tmp_path: Path, value: Any) -> None:
    roundtrip(value, tmp_path)
    roundtrip([value, {"k": value}], tmp_path)


def test_containers_keep_types_key_types_and_order(tmp_path: Path) -> None:
    od = collections.OrderedDict([("z", 1), ("a", 2)])
    od._metadata = collections.OrderedDict([("", {"version": 1}), ("fc", {"version": 2})])
    obj = {
        "z_first": 1,
        "a_second": 2,  # insertion order, not sorted
        0: "int key",
        2: "another",
        -5: "negative",
        True: "bool key (equal to 1, so no int 1 here)",
        None: "none key",
        2.5: "float key",
        (1, "x", (None, False)): "tuple key",
        "0": "str key that looks like an int",
        "od": od,
        "empty": [{}, [], (), collections.OrderedDict()],
        "nested": [[(1, [2, (3,)])]],
        "single_tuple": (cr.ones(1),),
    }
    out = roundtrip(obj, tmp_path)
    assert type(out["od"]) is collections.OrderedDict
    assert type(out) is dict
    assert list(out) == list(obj)
    assert [type(k) for k in out] == [type(k) for k in obj]
    assert out["od"]._metadata == od._metadata


def test_optimizer_state_dict_layout(tmp_path: Path) -> None:
    state = {
        "state": {
            0: {"step": cr.tensor(3.0), "exp_avg": cr.randn(3, 2), "exp_avg_sq": cr.rand(3, 2)},
            1: {"step": cr.tensor(3.0), "exp_avg": cr.randn(3), "exp_avg_sq": cr.rand(3)},
        },
        "param_groups": [
            {
                "lr": 0.001,
                "betas": (0.9, 0.999),
                "eps": 1e-08,
                "weight_decay": 0,
                "amsgrad": False,
                "maximize": False,
                "foreach": None,
                "capturable": False,
                "differentiable": False,
                "fused": None,
                "params": [0, 1],
            }
        ],
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
    model = torch.nn.Sequential(
        torch.nn.Linear(4, 3), torch.nn.BatchNorm1d(3), torch.nn.Linear(3, 2)
    )
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
    obj = {
        "params": list(lin.parameters()),
        "frozen": frozen,
        "kept": lin.state_dict(keep_vars=True),
        "buffer": nn.Buffer(cr.ones(2)),
    }
    out = cr.load(save_to(tmp_path, obj))
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
    path = save_to(tmp_path, {"big": t})
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
    path = save_to(tmp_path, {"y": cr.ones(4)})
    y = cr.load(path)["y"]
    path.unlink()
    out.add_(1.0)
    y.mul_(3.0)
    assert out.tolist() == [2.0] * 4
    assert y.tolist() == [3.0] * 4


def test_bad_f_argument() -> None:
    with pytest.raises(TypeError, match="save: f must be"):
        cr.save(1, 123)
    with pytest.raises(TypeError, match="load: f must be"):
        cr.load(123)


def test_torch_keyword_arguments_are_accepted(tmp_path: Path) -> None:
    path = save_to(tmp_path, {"x": cr.ones(1)})
    cr.save(1, tmp_path / "p.pt", pickle_module=pickle, pickle_protocol=2)
    for loc in (None, "cpu", "cpu:0", cr.device("cpu")):
        assert cr.load(path, map_location=loc)["x"].tolist() == [1.0]
    assert cr.load(path, weights_only=False, mmap=True, encoding="latin1")["x"].tolist() == [1.0]


@pytest.mark.parametrize(
    "loc", ["cuda", "cuda:0", "mps", "cpu:1", {"cuda:0": "cpu"}, lambda s, _: s, 0]
)
def test_map_location_must_be_cpu(tmp_path: Path, loc: Any) -> None:
    path = save_to(tmp_path, 1)
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
    header = blob[32 : 32 + hlen]
    assert hcrc == zlib.crc32(header)
    doc = json.loads(header)
    assert len(blob) == 32 + hlen + doc["data_nbytes"] + 4
    assert struct.unpack("<I", blob[-4:])[0] == zlib.crc32(blob[:-4])
    w = doc["root"]["items"][0][1]["items"][0][1]
    assert w == {
        "type": "tensor",
        "dtype": "float32",
        "shape": [3, 5],
        "offset": 0,
        "nbytes": 60,
        "requires_grad": False,
    }
    data = blob[32 + hlen : -4]
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
    path = save_to(tmp_path, obj)
    out = namespace["read_checkpoint"](path)
    assert np.array_equal(out["model"]["w"], obj["model"]["w"].numpy())
    assert out["state"] == {0: {"step": 7, "lr": 1e-3}, 1: None}
    assert out["groups"][0]["betas"] == (0.9, 0.999)
    assert out["empty"].shape == (0, 4)
    assert out["scalar"].shape == ()


# ---- unsupported objects ---------------------------------------------------------------


class Foo:
    pass


@pytest.mark.parametrize(
    ("obj", "where"),
    [
        ({"model": {"x": Foo()}}, r"of type Foo at \['model'\]\['x'\]"),
        (Foo(), "of type Foo at the top level"),
        ([1, (2, len)], r"of type builtin_function_or_method at \[1\]\[1\]"),
        ({0: {1: lambda: 0}}, r"of type function at \[0\]\[1\]"),
        ({"s": {1, 2}}, r"of type set at \['s'\]"),
        ({"b": b"bytes"}, r"of type bytes at \['b'\]"),
        ({"c": 1j}, r"of type complex at \['c'\]"),
        ({"d": collections.defaultdict(int)}, r"of type defaultdict at \['d'\]"),
        ({"dt": cr.float32}, r"of type dtype at \['dt'\]"),
    ],
)
def test_unsupported_objects_raise_type_error(tmp_path: Path, obj: Any, where: str) -> None:
    path = save_to(tmp_path, "previous")
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


@pytest.mark.parametrize(
    "key",
    [cr.ones(1), frozenset(), Foo(), (1, Foo())],
    ids=["tensor", "frozenset", "Foo", "tuple_with_Foo"],
)
def test_unsupported_dict_keys(key: Any) -> None:
    with pytest.raises(TypeError, match=r"save: cannot save a dict key of type \w+ at \['d'\]"):
        cr.save({"d": {key: 1}}, io.BytesIO())


def test_cycles_and_bad_strings_raise_value_error() -> None:
    cyclic: list[Any] = [1]
    cyclic.append({"again": cyclic})
    with pytest.raises(
        ValueError,
        match=r"save: the object contains a reference cycle at "
        r"\[1\]\['again'\]",
    ):
        cr.save(cyclic, io.BytesIO())
    shared = [1, 2]
    assert cr.load(io.BytesIO(to_bytes([shared, shared]))) == [[1, 2], [1, 2]]  # not a cycle
    with pytest.raises(ValueError, match=r"save: the string at \['s'\] is not valid Unicode"):
        cr.save({"s": "\ud800"}, io.BytesIO())
    with pytest.raises(ValueError, match="save: int at the top level is too large"):
        cr.save(10**5000, io.BytesIO())
