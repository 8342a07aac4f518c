"""nn.Module, Parameter and the containers: registration, traversal order, state dicts,
modes, dtype casts, copying and repr, checked against torch.nn where torch is installed."""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(cr.ones(3))
        self.fc = nn.Linear(3, 3)
        self.register_buffer("count", cr.zeros(()))
        self.register_buffer("scratch", cr.zeros(2), persistent=False)

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        return self.fc(x * self.scale)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.block = Block()
        self.layers = nn.ModuleList([nn.Linear(3, 4), nn.Linear(4, 2)])
        self.head = nn.Sequential(
            nn.ReLU() if hasattr(nn, "ReLU") else nn.Identity(), nn.Linear(2, 1)
        )
        self.bias = nn.Parameter(cr.zeros(1))

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        x = self.block(x)
        for layer in self.layers:
            x = layer(x)
        return self.head(x) + self.bias


def test_parameter_is_a_leaf_tensor_sharing_storage() -> None:
    data = cr.zeros(3)
    p = nn.Parameter(data)
    assert isinstance(p, cr.Tensor)
    assert isinstance(p, nn.Parameter)
    assert p.requires_grad
    assert p.is_leaf
    assert p.grad_fn is None
    data[0] = 5.0
    assert p[0].item() == 5.0  # shares storage
    assert not nn.Parameter(cr.zeros(2), requires_grad=False).requires_grad
    assert tuple(nn.Parameter().shape) == (0,)
    assert repr(p).startswith("Parameter containing:\ntensor(")
    assert str(p) == repr(p)
    # Ops give plain tensors; in-place ops give the parameter itself back.
    assert type(p * 2) is cr.Tensor
    with cr.no_grad():
        assert p.add_(1) is p
    assert type(p.detach()) is cr.Tensor


def test_parameter_from_non_leaf_is_detached() -> None:
    x = cr.ones(2, requires_grad=True)
    p = nn.Parameter(x * 2)
    assert p.is_leaf
    assert p.requires_grad


def test_parameter_errors() -> None:
    with pytest.raises(TypeError, match="Parameter"):
        nn.Parameter([1.0, 2.0])  # type: ignore[arg-type]
    with pytest.raises(RuntimeError, match="floating point"):
        nn.Parameter(cr.zeros(2, dtype=cr.int64))


def test_named_parameters_order_and_state_dict_keys() -> None:
    net = Net()
    names = [n for n, _ in net.named_parameters()]
    assert names == [
        "bias",
        "block.scale",
        "block.fc.weight",
        "block.fc.bias",
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
        "head.1.weight",
        "head.1.bias",
    ]
    sd = net.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == [
        "bias",
        "block.scale",
        "block.count",
        "block.fc.weight",
        "block.fc.bias",
        "layers.0.weight",
        "layers.0.bias",
        "layers.1.weight",
        "layers.1.bias",
        "head.1.weight",
        "head.1.bias",
    ]
    assert all(not v.requires_grad for v in sd.values())
    assert [n for n, _ in net.named_buffers()] == ["block.count", "block.scratch"]
    assert len(list(net.parameters())) == 10
    assert len(list(net.parameters(recurse=False))) == 1
    assert [n for n, _ in net.named_children()] == ["block", "layers", "head"]
    assert [n for n, _ in net.named_modules()][:4] == ["", "block", "block.fc", "layers"]


def test_state_dict_keys_match_torch() -> None:
    torch = pytest.importorskip("torch")

    def build(m):  # the same architecture in either library
        return m.Sequential(
            m.Linear(4, 8), m.ReLU(), m.Dropout(0.2), m.Sequential(m.Linear(8, 8)), m.Linear(8, 2)
        )

    if not hasattr(nn, "ReLU"):
        pytest.skip("nn.ReLU not merged yet")
    ours, theirs = build(nn), build(torch.nn)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    for (_, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters(), strict=True):
        assert tuple(a.shape) == tuple(b.shape)
    # Weights move between the libraries by key.
    ours.load_state_dict({k: cr.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    ours.eval()
    theirs.eval()
    np.testing.assert_allclose(
        ours(cr.tensor(x)).detach().numpy(),
        theirs(torch.tensor(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )


def test_shared_parameters_and_modules_appear_once() -> None:
    lin = nn.Linear(2, 2)
    seq = nn.Sequential(lin, lin)
    assert len(list(seq.parameters())) == 2
    assert len(list(seq.modules())) == 2
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]


def test_attribute_assignment_registers_and_unregisters() -> None:
    m = nn.Module()
    m.w = nn.Parameter(cr.ones(2))
    m.sub = nn.Linear(2, 2)
    m.plain = cr.ones(2)  # a plain tensor is just an attribute
    assert [n for n, _ in m.named_parameters()] == ["w", "sub.weight", "sub.bias"]
    assert "plain" not in m.state_dict()
    m.w = None  # a None placeholder keeps the slot
    assert [n for n, _ in m.named_parameters()] == ["sub.weight", "sub.bias"]
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.w = cr.ones(2)
    del m.sub
    assert not hasattr(m, "sub")
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        _ = m.missing
    m.buf = nn.Buffer(cr.zeros(3))
    assert type(m.buf) is cr.Tensor
    assert list(m.state_dict()) == ["buf"]
    with pytest.raises(TypeError, match="buffer 'buf'"):
        m.buf = 3


def test_registration_errors() -> None:
    class Early(nn.Module):
        def __init__(self) -> None:
            self.w = nn.Parameter(cr.ones(1))

    with pytest.raises(AttributeError, match=r"before Module\.__init__"):
        Early()
    m = nn.Module()
    with pytest.raises(KeyError, match="empty or contain"):
        m.register_buffer("a.b", cr.zeros(1))
    with pytest.raises(TypeError, match="not a Module"):
        m.add_module("x", 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="Parameter or None"):
        m.register_parameter("p", cr.zeros(1))  # type: ignore[arg-type]


def test_train_eval_propagate() -> None:
    net = Net()
    assert net.training
    assert net.block.fc.training
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())
    with pytest.raises(ValueError, match="train"):
        net.train("no")  # type: ignore[arg-type]


def test_zero_grad_and_requires_grad_() -> None:
    net = Net()
    net(cr.randn(2, 3)).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.any() for p in net.parameters())
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_load_state_dict_is_all_or_nothing() -> None:
    net = Net()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    bad = {k: cr.full(tuple(v.shape), 7.0) for k, v in before.items()}
    bad["layers.1.weight"] = cr.zeros(9, 9)
    with pytest.raises(RuntimeError, match=r"size mismatch for layers\.1\.weight"):
        net.load_state_dict(bad)
    for k, v in net.state_dict().items():
        assert cr.equal(v, before[k]), k  # nothing was copied
    missing = dict(before)
    del missing["bias"]
    with pytest.raises(RuntimeError, match=r'Missing key\(s\) in state_dict: "bias"'):
        net.load_state_dict(missing)
    extra = dict(before)
    extra["nope"] = cr.zeros(1)
    with pytest.raises(RuntimeError, match=r'Unexpected key\(s\) in state_dict: "nope"'):
        net.load_state_dict(extra)
    result = net.load_state_dict(extra, strict=False)
    assert result.unexpected_keys == ["nope"]
    assert result.missing_keys == []
    with pytest.raises(TypeError, match="dict-like"):
        net.load_state_dict([1, 2])  # type: ignore[arg-type]


def test_load_state_dict_copies_values_into_existing_parameters() -> None:
    src, dst = Net(), Net()
    w = dst.block.fc.weight
    dst.load_state_dict(src.state_dict())
    assert dst.block.fc.weight is w  # same object, new values (optimizers keep working)
    for (k, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items(), strict=True):
        assert cr.equal(a, b), k
    # The loaded values do not alias the source.
    with cr.no_grad():
        src.block.fc.weight.add_(1.0)
    assert not cr.equal(src.block.fc.weight, dst.block.fc.weight)


def test_load_state_dict_assign() -> None:
    m = nn.Linear(2, 2)
    new_w = cr.ones(2, 2)
    m.load_state_dict({"weight": new_w, "bias": cr.zeros(2)}, assign=True)
    assert isinstance(m.weight, nn.Parameter)
    assert m.weight.requires_grad
    assert cr.equal(m.weight, new_w)


def test_to_dtype_keeps_parameter_objects() -> None:
    m = nn.Linear(3, 2)
    w = m.weight
    assert m.double() is m
    assert m.weight is w
    assert m.weight.dtype == cr.float64
    assert m(cr.randn(4, 3, dtype=cr.float64)).dtype == cr.float64
    m.to(cr.float32)
    assert m.weight.dtype == cr.float32
    assert m.to("cpu") is m
    with pytest.raises(TypeError, match="floating point"):
        m.to(cr.int64)


def test_deepcopy_is_independent() -> None:
    net = Net()
    net(cr.randn(2, 3)).sum().backward()
    clone = copy.deepcopy(net)
    assert type(clone.block.fc.weight) is nn.Parameter
    assert clone.block.fc.weight.requires_grad
    assert cr.equal(clone.block.fc.weight.grad, net.block.fc.weight.grad)
    with cr.no_grad():
        clone.block.fc.weight.add_(1.0)
    assert not cr.equal(clone.block.fc.weight, net.block.fc.weight)
    with pytest.raises(RuntimeError, match="deepcopy"):
        copy.deepcopy(net.block.fc.weight * 2)


def test_apply_and_hooks() -> None:
    net = Net()
    seen: list[str] = []
    net.apply(lambda m: seen.append(type(m).__name__))
    assert seen[-1] == "Net"
    assert seen[0] == "Linear"
    calls: list[tuple[int, ...]] = []
    h = net.block.register_forward_hook(lambda mod, args, out: calls.append(tuple(out.shape)))
    pre = net.block.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    out = net.block(cr.ones(2, 3))
    assert calls == [(2, 3)]
    assert cr.allclose(out, net.block.fc.bias.expand(2, 3))
    h.remove()
    pre.remove()
    net.block(cr.ones(2, 3))
    assert calls == [(2, 3)]


def test_forward_missing() -> None:
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(cr.ones(1))


def test_get_submodule_and_parameter() -> None:
    net = Net()
    assert net.get_submodule("layers.1") is net.layers[1]
    assert net.get_parameter("block.fc.weight") is net.block.fc.weight
    with pytest.raises(AttributeError, match="nope"):
        net.get_submodule("block.nope")


def test_repr_matches_torch_layout() -> None:
    m = nn.Sequential(nn.Linear(4, 8), nn.Sequential(nn.Linear(8, 2, bias=False)), nn.Flatten())
    assert repr(m) == (
        "Sequential(\n"
        "  (0): Linear(in_features=4, out_features=8, bias=True)\n"
        "  (1): Sequential(\n"
        "    (0): Linear(in_features=8, out_features=2, bias=False)\n"
        "  )\n"
        "  (2): Flatten(start_dim=1, end_dim=-1)\n"
        ")"
    )
    assert repr(nn.Identity()) == "Identity()"


def test_sequential_container_ops() -> None:
    a, b, c = nn.Linear(1, 1), nn.Linear(1, 1), nn.Linear(1, 1)
    s = nn.Sequential(a, b)
    assert len(s) == 2
    assert s[0] is a
    assert s[-1] is b
    assert isinstance(s[0:1], nn.Sequential)
    assert len(s[0:1]) == 1
    s.append(c)
    assert list(s) == [a, b, c]
    del s[0]
    assert list(s._modules) == ["0", "1"]
    assert s[0] is b
    s.insert(0, a)
    assert list(s) == [a, b, c]
    assert s.pop(1) is b
    named = nn.Sequential(OrderedDict([("first", a), ("second", c)]))
    assert list(named.state_dict())[:2] == ["first.weight", "first.bias"]
    assert len(s + named) == 4
    with pytest.raises(IndexError, match="Sequential"):
        s[5]


def test_module_list_and_dict() -> None:
    layers = nn.ModuleList([nn.Linear(1, 1) for _ in range(3)])
    assert len(layers) == 3
    assert isinstance(layers[1:], nn.ModuleList)
    layers.append(nn.Linear(1, 2))
    layers += [nn.Linear(2, 2)]
    assert [n for n, _ in layers.named_parameters()][-2:] == ["4.weight", "4.bias"]
    with pytest.raises(IndexError, match="ModuleList"):
        layers[10]
    with pytest.raises(NotImplementedError):
        layers(cr.ones(1))
    d = nn.ModuleDict({"enc": nn.Linear(2, 2), "dec": nn.Linear(2, 2)})
    assert list(d.keys()) == ["enc", "dec"]
    assert "enc" in d
    assert list(d.state_dict())[:1] == ["enc.weight"]
    d["extra"] = nn.Identity()
    assert len(d) == 3
    assert isinstance(d.pop("extra"), nn.Identity)
    with pytest.raises(ValueError, match="pair"):
        d.update([("a",)])  # type: ignore[list-item]
