"""Linear, Flatten, Identity, Dropout, nn.init and nn.utils against torch with copied
weights (values and every gradient), plus float64 finite-difference gradients."""

from __future__ import annotations

import math

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

RNG = np.random.default_rng(1234)


def arr(*shape: int, dtype: type = np.float64) -> np.ndarray:
    return RNG.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(
    "shape", [(5, 4), (4,), (2, 3, 4), (0, 4), (2, 1, 3, 4)], ids=lambda s: "x".join(map(str, s))
)
def test_linear_matches_torch(shape: tuple[int, ...], bias: bool, dtype: type) -> None:
    torch = pytest.importorskip("torch")
    x, w, b = arr(*shape, dtype=dtype), arr(3, 4, dtype=dtype), arr(3, dtype=dtype)
    cx, cw, cb = (cr.tensor(v, requires_grad=True) for v in (x, w, b))
    tx, tw, tb = (torch.tensor(v, requires_grad=True) for v in (x, w, b))
    y = F.linear(cx, cw, cb if bias else None)
    ty = torch.nn.functional.linear(tx, tw, tb if bias else None)
    tol = {"rtol": 1e-5, "atol": 1e-5} if dtype == np.float32 else {"rtol": 1e-12, "atol": 1e-12}
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), **tol)
    g = arr(*ty.shape, dtype=dtype)
    y.backward(cr.tensor(g))
    ty.backward(torch.tensor(g))
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), **tol)
    np.testing.assert_allclose(cw.grad.numpy(), tw.grad.numpy(), **tol)
    if bias:
        np.testing.assert_allclose(cb.grad.numpy(), tb.grad.numpy(), **tol)


def test_linear_noncontiguous_operands() -> None:
    torch = pytest.importorskip("torch")
    x, w = arr(4, 6, 5), arr(5, 3)
    cx = cr.tensor(x, requires_grad=True)
    cw = cr.tensor(w, requires_grad=True)
    tx = torch.tensor(x, requires_grad=True)
    tw = torch.tensor(w, requires_grad=True)
    y = F.linear(cx.transpose(0, 1), cw.t())  # both operands strided
    ty = torch.nn.functional.linear(tx.transpose(0, 1), tw.t())
    np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy(), rtol=1e-12)
    y.pow(2).sum().backward()
    ty.pow(2).sum().backward()
    np.testing.assert_allclose(cx.grad.numpy(), tx.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(cw.grad.numpy(), tw.grad.numpy(), rtol=1e-12)


def test_linear_gradcheck() -> None:
    x = cr.tensor(arr(2, 3, 4), requires_grad=True)
    w = cr.tensor(arr(5, 4), requires_grad=True)
    b = cr.tensor(arr(5), requires_grad=True)
    assert cr.autograd.gradcheck(F.linear, (x, w, b))
    assert cr.autograd.gradcheck(lambda x, w: F.linear(x, w), (x, w))


def test_linear_only_computes_needed_grads() -> None:
    x = cr.randn(3, 4)
    layer = nn.Linear(4, 2)
    layer.weight.requires_grad_(False)
    layer(x).sum().backward()
    assert layer.weight.grad is None
    assert layer.bias.grad is not None
    assert F.linear(x, layer.weight).grad_fn is None


def test_linear_module_matches_torch_with_copied_weights() -> None:
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(6, 3), torch.nn.Linear(6, 3)
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = arr(7, 6, dtype=np.float32)
    np.testing.assert_allclose(
        ours(cr.tensor(x)).detach().numpy(),
        theirs(torch.tensor(x)).detach().numpy(),
        rtol=1e-5,
        atol=1e-6,
    )
    assert repr(ours) == repr(theirs)
    assert ours.weight.dtype == cr.float32
    assert nn.Linear(2, 2, dtype=cr.float64).weight.dtype == cr.float64


def test_linear_default_init_follows_torch_bounds() -> None:
    cr.manual_seed(0)
    layer = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    w, b = layer.weight.detach().numpy(), layer.bias.detach().numpy()
    assert np.abs(w).max() <= bound
    assert np.abs(b).max() <= bound
    # U(-bound, bound) has std bound / sqrt(3).
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert abs(w.mean()) < 0.01 * bound
    nn.Linear(0, 3)  # a zero fan-in is allowed, as in torch


def test_linear_errors() -> None:
    with pytest.raises(ValueError, match=r"linear: input of shape \(2, 3\).*\(4, 5\)"):
        F.linear(cr.ones(2, 3), cr.ones(4, 5))
    with pytest.raises(ValueError, match="linear: weight must be 2-D"):
        F.linear(cr.ones(2, 3), cr.ones(3))
    with pytest.raises(ValueError, match="linear: bias"):
        F.linear(cr.ones(2, 3), cr.ones(4, 3), cr.ones(5))
    with pytest.raises(TypeError, match="linear"):
        F.linear(cr.ones(2, 3), cr.ones(4, 3, dtype=cr.float64))
    with pytest.raises(TypeError, match="linear: bias"):
        F.linear(cr.ones(2, 3), cr.ones(4, 3), 1.0)
    with pytest.raises(ValueError, match="in_features"):
        nn.Linear(-1, 2)


# ---- dropout ----------------------------------------------------------------------------


def test_dropout_statistics_and_gradient() -> None:
    cr.manual_seed(0)
    x = cr.ones(100_000, requires_grad=True)
    y = F.dropout(x, 0.3)
    vals = y.detach().numpy()
    kept = vals != 0
    assert abs(kept.mean() - 0.7) < 0.01
    np.testing.assert_allclose(vals[kept], 1 / 0.7, rtol=1e-6)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), vals)  # dx = mask / (1 - p)
    assert y.grad_fn.name() == "NativeDropoutBackward0"


def test_dropout_modes_and_edges() -> None:
    x = cr.randn(4, 5)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).any()
    layer = nn.Dropout(0.5)
    layer.eval()
    assert layer(x) is x
    layer.train()
    cr.manual_seed(3)
    a = layer(x)
    cr.manual_seed(3)
    b = layer(x)
    assert cr.equal(a, b)  # same seed, same mask
    g = cr.Generator()
    g.manual_seed(1)
    c = cr._C.dropout(x, 0.5, True, generator=g)
    g.manual_seed(1)
    assert cr.equal(c, cr._C.dropout(x, 0.5, True, generator=g))
    assert repr(layer) == "Dropout(p=0.5, inplace=False)"


def test_dropout_inplace() -> None:
    x = cr.ones(1000)
    out = F.dropout(x, 0.5, inplace=True)
    assert out is x
    assert (x == 0).any()
    leaf = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError):
        F.dropout(leaf, 0.5, inplace=True)


def test_dropout_errors() -> None:
    with pytest.raises(ValueError, match="dropout probability"):
        nn.Dropout(1.5)
    with pytest.raises(ValueError, match="dropout"):
        F.dropout(cr.ones(2), -0.1)
    with pytest.raises(TypeError, match="dropout"):
        cr._C.dropout(cr.ones(2, dtype=cr.int64), 0.5, True)


# ---- flatten / identity -----------------------------------------------------------------


def test_flatten_unflatten_identity() -> None:
    torch = pytest.importorskip("torch")
    x = arr(2, 3, 4, 5)
    for args in [(), (0,), (1, 2), (2, -1)]:
        assert tuple(nn.Flatten(*args)(cr.tensor(x)).shape) == tuple(
            torch.nn.Flatten(*args)(torch.tensor(x)).shape
        )
    u = nn.Unflatten(1, (3, 4))
    assert tuple(u(cr.ones(2, 12)).shape) == (2, 3, 4)
    x = cr.ones(2)
    assert nn.Identity(54, unused="x")(x) is x
    assert repr(nn.Flatten()) == repr(torch.nn.Flatten())


# ---- init -------------------------------------------------------------------------------


def test_calculate_gain_matches_torch() -> None:
    torch = pytest.importorskip("torch")
    for name in ["linear", "conv2d", "sigmoid", "tanh", "relu", "selu"]:
        assert nn.init.calculate_gain(name) == pytest.approx(torch.nn.init.calculate_gain(name))
    assert nn.init.calculate_gain("leaky_relu", 0.2) == pytest.approx(
        torch.nn.init.calculate_gain("leaky_relu", 0.2)
    )
    with pytest.raises(ValueError, match="nonlinearity"):
        nn.init.calculate_gain("nope")


@pytest.mark.parametrize(
    ("fn", "kwargs", "expected_std"),
    [
        (nn.init.xavier_uniform_, {}, math.sqrt(2 / (200 + 300))),
        (nn.init.xavier_normal_, {"gain": 2.0}, 2 * math.sqrt(2 / (200 + 300))),
        (nn.init.kaiming_uniform_, {"nonlinearity": "relu"}, math.sqrt(2 / 200)),
        (nn.init.kaiming_normal_, {"mode": "fan_out", "nonlinearity": "relu"}, math.sqrt(2 / 300)),
        (nn.init.normal_, {"std": 0.02}, 0.02),
        (nn.init.trunc_normal_, {"std": 1.0}, 0.8796),  # std of N(0,1) truncated to [-2, 2]
    ],
)
def test_init_distributions(fn, kwargs, expected_std: float) -> None:  # type: ignore[no-untyped-def]
    cr.manual_seed(0)
    t = cr.empty(300, 200)
    assert fn(t, **kwargs) is t
    assert abs(t.numpy().std() - expected_std) < 0.03 * expected_std
    assert not t.requires_grad


def test_init_fills_and_errors() -> None:
    p = nn.Parameter(cr.empty(2, 3))
    nn.init.constant_(p, 0.5)
    assert cr.equal(p, cr.full((2, 3), 0.5))
    assert p.requires_grad
    assert p.grad_fn is None
    nn.init.zeros_(p)
    assert not p.any()
    nn.init.ones_(p)
    assert p.all()
    nn.init.eye_(p)
    assert p.detach().numpy().tolist() == [[1, 0, 0], [0, 1, 0]]
    u = nn.init.uniform_(cr.empty(1000), -2.0, -1.0)
    assert u.min().item() >= -2.0
    assert u.max().item() < -1.0
    t = nn.init.trunc_normal_(cr.empty(5000), a=-0.5, b=0.5)
    assert t.abs().max().item() <= 0.5
    with pytest.raises(ValueError, match="fewer than 2 dimensions"):
        nn.init.xavier_uniform_(cr.empty(3))
    with pytest.raises(ValueError, match="mode"):
        nn.init.kaiming_uniform_(cr.empty(3, 3), mode="fan_avg")


# ---- utils ------------------------------------------------------------------------------


@pytest.mark.parametrize("norm_type", [2.0, 1.0, float("inf")])
def test_clip_grad_norm_matches_torch(norm_type: float) -> None:
    torch = pytest.importorskip("torch")
    grads = [arr(3, 4), arr(5), arr(2, 2)]
    ours = [cr.zeros(g.shape, dtype=cr.float64, requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, dtype=torch.float64, requires_grad=True) for g in grads]
    for p, t, g in zip(ours, theirs, grads, strict=True):
        p.grad = cr.tensor(g)
        t.grad = torch.tensor(g)
    total = nn.utils.clip_grad_norm_(ours, 0.5, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(theirs, 0.5, norm_type=norm_type)
    assert total.item() == pytest.approx(t_total.item(), rel=1e-12)
    for p, t in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(p.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_below_max_is_unchanged_and_nonfinite_error() -> None:
    p = cr.zeros(3, requires_grad=True)
    p.grad = cr.tensor([0.1, 0.0, 0.0])
    nn.utils.clip_grad_norm_(p, 10.0)
    assert p.grad.tolist() == pytest.approx([0.1, 0.0, 0.0], rel=1e-6)
    assert nn.utils.clip_grad_norm_([cr.zeros(2, requires_grad=True)], 1.0).item() == 0.0
    p.grad = cr.tensor([float("nan"), 1.0, 0.0])
    with pytest.raises(RuntimeError, match="non-finite"):
        nn.utils.clip_grad_norm_(p, 1.0, error_if_nonfinite=True)


def test_clip_grad_value_and_vector_round_trip() -> None:
    p = cr.zeros(4, requires_grad=True)
    p.grad = cr.tensor([-3.0, -0.5, 0.5, 3.0])
    nn.utils.clip_grad_value_([p], 1.0)
    assert p.grad.tolist() == [-1.0, -0.5, 0.5, 1.0]
    model = nn.Sequential(nn.Linear(3, 2), nn.Linear(2, 1))
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert tuple(vec.shape) == (3 * 2 + 2 + 2 + 1,)
    nn.utils.vector_to_parameters(cr.arange(11, dtype=cr.float32), model.parameters())
    assert model[0].weight.detach().numpy().ravel().tolist() == [0, 1, 2, 3, 4, 5]
    assert model[1].bias.item() == 10.0
    with pytest.raises(ValueError, match="vector_to_parameters"):
        nn.utils.vector_to_parameters(cr.zeros(3), model.parameters())
