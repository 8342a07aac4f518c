"""Activation modules and functions against torch: values, gradients, repr, in-place semantics,
error paths, the softmax implicit-dim rule and numerics at large |x|.

The generic per-op checks (gradcheck, non-contiguous, 0-d, empty) are in op_db_activation.py.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F

torch = pytest.importorskip("torch")
tnn = torch.nn
TF = torch.nn.functional

# (module name, constructor args, constructor kwargs): the same call builds both libraries'.
MODULES: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = [
    ("ReLU", (), {}),
    ("ReLU", (), {"inplace": True}),
    ("LeakyReLU", (), {}),
    ("LeakyReLU", (0.2,), {"inplace": True}),
    ("LeakyReLU", (), {"negative_slope": -0.5}),
    ("ELU", (), {}),
    ("ELU", (0.5,), {"inplace": True}),
    ("SELU", (), {}),
    ("SELU", (True,), {}),
    ("CELU", (), {}),
    ("CELU", (2.0,), {"inplace": True}),
    ("GELU", (), {}),
    ("GELU", (), {"approximate": "tanh"}),
    ("SiLU", (), {}),
    ("SiLU", (), {"inplace": True}),
    ("Mish", (), {}),
    ("Mish", (), {"inplace": True}),
    ("Sigmoid", (), {}),
    ("Tanh", (), {}),
    ("Softplus", (), {}),
    ("Softplus", (2.0, 1.0), {}),
    ("LogSigmoid", (), {}),
    ("Softsign", (), {}),
    ("Tanhshrink", (), {}),
    ("Hardtanh", (), {}),
    ("Hardtanh", (-0.5, 1.5), {"inplace": True}),
    ("ReLU6", (), {}),
    ("ReLU6", (), {"inplace": True}),
    ("Hardsigmoid", (), {}),
    ("Hardsigmoid", (), {"inplace": True}),
    ("Hardswish", (), {}),
    ("Hardswish", (), {"inplace": True}),
    ("Softmax", (), {"dim": 1}),
    ("Softmax", (-1,), {}),
    ("LogSoftmax", (), {"dim": 1}),
    ("LogSoftmax", (0,), {}),
    ("Softmin", (), {"dim": 1}),
]


def _id(case: tuple[str, tuple[Any, ...], dict[str, Any]]) -> str:
    name, args, kwargs = case
    parts = [repr(a) for a in args] + [f"{k}={v!r}" for k, v in kwargs.items()]
    return f"{name}({', '.join(parts)})"


def _input(dtype: Any) -> np.ndarray:
    # Values kept 0.05 away from every kink (0, +-1, +-3, 6, the softplus switch at 0.5).
    rng = np.random.default_rng(0)
    v = rng.uniform(-7.0, 7.0, size=(4, 6))
    v = np.round(v * 10) / 10 + 0.05
    return v.astype(dtype)


@pytest.mark.parametrize("case", MODULES, ids=_id)
def test_module_matches_torch(case: tuple[str, tuple[Any, ...], dict[str, Any]]) -> None:
    name, args, kwargs = case
    ours, theirs = getattr(nn, name)(*args, **kwargs), getattr(tnn, name)(*args, **kwargs)
    assert repr(ours) == repr(theirs)
    assert list(ours.parameters()) == []
    assert ours.state_dict() == {}
    for np_dtype in (np.float32, np.float64):
        x = _input(np_dtype)
        a = cr.tensor(x, requires_grad=True)
        b = torch.tensor(x, requires_grad=True)
        # A non-leaf input, so that the in-place modules may write into it.
        ya, yb = ours(a * 1.0), theirs(b * 1.0)
        assert ya.dtype == (cr.float32 if np_dtype == np.float32 else cr.float64)
        tol = {"rtol": 1e-5, "atol": 1e-6}
        if np_dtype == np.float64:  # torch's float64 hardsigmoid gradient uses a float32 1/6
            tol = {"rtol": 1e-7 if name == "Hardsigmoid" else 1e-12, "atol": 1e-14}
        np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), **tol)
        g = np.random.default_rng(1).standard_normal(x.shape).astype(np_dtype)
        ya.backward(cr.tensor(g))
        yb.backward(torch.tensor(g))
        assert ya.grad_fn is None or ya.grad_fn.name() == yb.grad_fn.name()
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), **tol)


def test_reprs() -> None:
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"
    assert repr(nn.LeakyReLU(0.2, inplace=True)) == "LeakyReLU(negative_slope=0.2, inplace=True)"
    assert repr(nn.Softmax(dim=1)) == "Softmax(dim=1)"
    assert repr(nn.LogSoftmax()) == "LogSoftmax(dim=None)"
    assert repr(nn.GELU()) == "GELU(approximate='none')"
    assert repr(nn.GELU("tanh")) == "GELU(approximate='tanh')"
    assert repr(nn.ReLU()) == "ReLU()"
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"
    assert repr(nn.ELU()) == "ELU(alpha=1.0)"
    assert repr(nn.Softplus()) == "Softplus(beta=1.0, threshold=20.0)"
    assert repr(nn.Hardtanh()) == "Hardtanh(min_val=-1.0, max_val=1.0)"
    assert repr(nn.ReLU6(True)) == "ReLU6(inplace=True)"
    seq = nn.Sequential(nn.Linear(2, 3), nn.GELU(), nn.Softmax(dim=-1))
    assert "(1): GELU(approximate='none')" in repr(seq)
    assert "(2): Softmax(dim=-1)" in repr(seq)


def test_module_attributes() -> None:
    m = nn.LeakyReLU(0.3, True)
    assert (m.negative_slope, m.inplace) == (0.3, True)
    assert nn.GELU().approximate == "none"
    assert nn.Softmax().dim is None
    assert nn.LogSoftmax(2).dim == 2
    s = nn.Softplus(beta=2, threshold=5)
    assert (s.beta, s.threshold) == (2, 5)
    h = nn.ReLU6()
    assert isinstance(h, nn.Hardtanh)
    assert (h.min_val, h.max_val) == (0.0, 6.0)
    assert nn.ELU(alpha=0.5).alpha == 0.5
    assert nn.CELU().alpha == 1.0
    # Attributes changed after construction are used by forward, as in torch.
    m = nn.LeakyReLU()
    m.negative_slope = 0.5
    assert m(cr.tensor([-2.0])).tolist() == [-1.0]


# ---- in-place semantics ------------------------------------------------------------
INPLACE = [
    ("relu", {}),
    ("leaky_relu", {"negative_slope": 0.1}),
    ("elu", {"alpha": 1.0}),
    ("selu", {}),
    ("celu", {"alpha": 1.0}),
    ("silu", {}),
    ("mish", {}),
    ("hardtanh", {}),
    ("relu6", {}),
    ("hardsigmoid", {}),
    ("hardswish", {}),
]


@pytest.mark.parametrize(("op", "kwargs"), INPLACE, ids=[o for o, _ in INPLACE])
def test_inplace_returns_input_and_bumps_version(op: str, kwargs: dict[str, Any]) -> None:
    x = cr.tensor([-2.0, -0.5, 0.5, 2.0])
    want = getattr(F, op)(x, **kwargs).tolist()
    v = x._version
    y = getattr(F, op)(x, inplace=True, **kwargs)
    assert y is x
    assert x._version == v + 1
    assert x.tolist() == want
    # torch agrees on the values.
    t = torch.tensor([-2.0, -0.5, 0.5, 2.0])
    getattr(TF, op)(t, inplace=True, **kwargs)
    np.testing.assert_allclose(x.numpy(), t.numpy(), rtol=1e-6)


@pytest.mark.parametrize(("op", "kwargs"), INPLACE, ids=[o for o, _ in INPLACE])
def test_inplace_on_leaf_requiring_grad_raises(op: str, kwargs: dict[str, Any]) -> None:
    x = cr.tensor([-1.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{op}.*leaf Variable that requires grad"):
        getattr(F, op)(x, inplace=True, **kwargs)
    assert x.tolist() == [-1.0, 1.0]
    assert x._version == 0
    with cr.no_grad():  # allowed without grad recording, as in torch
        getattr(F, op)(x, inplace=True, **kwargs)
    assert x._version == 1


def test_inplace_module_leaf_error_and_view() -> None:
    x = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="relu_"):
        nn.ReLU(inplace=True)(x)
    with pytest.raises(RuntimeError, match="leaky_relu_"):
        F.leaky_relu_(x)
    with pytest.raises(RuntimeError, match="elu_"):
        F.elu_(x)
    # In-place on a view of a tensor without grad writes through to the base.
    base = cr.tensor([[-1.0, 2.0], [-3.0, 4.0]])
    F.leaky_relu(base[:, 0], 0.5, inplace=True)
    assert base.tolist() == [[-0.5, 2.0], [-1.5, 4.0]]
    F.hardtanh_(base.t(), -1.0, 1.0)  # non-contiguous
    assert base.tolist() == [[-0.5, 1.0], [-1.0, 1.0]]


def test_inplace_invalidates_saved_tensor() -> None:
    # exp saves its output; modifying it in place makes the backward raise, as in torch.
    for lib, fn in ((cr, F.elu), (torch, TF.elu)):
        a = lib.tensor([-1.0, 1.0], requires_grad=True)
        y = a.exp()
        fn(y, inplace=True)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.sum().backward()
    # An in-place activation that saved its output: a later in-place change is caught too.
    a = cr.tensor([-1.0, 1.0], requires_grad=True)
    y = F.leaky_relu(a * 1.0, 0.1, inplace=True)
    y.mul_(2.0)
    with pytest.raises(RuntimeError, match="LeakyReluBackward1"):
        y.sum().backward()


def test_inplace_grad_fn_names() -> None:
    x = cr.tensor([-1.0, 1.0], requires_grad=True)
    assert F.leaky_relu(x * 1.0, inplace=True).grad_fn.name() == "LeakyReluBackward1"
    assert F.elu(x * 1.0, inplace=True).grad_fn.name() == "EluBackward1"
    assert F.selu(x * 1.0, inplace=True).grad_fn.name() == "EluBackward1"
    assert F.celu(x * 1.0, inplace=True).grad_fn.name() == "CeluBackward1"
    assert F.hardtanh(x * 1.0, inplace=True).grad_fn.name() == "HardtanhBackward0"
    assert F.silu(x * 1.0, inplace=True).grad_fn.name() == "SiluBackward0"
    assert F.gelu(x).grad_fn.name() == "GeluBackward0"
    assert F.softplus(x).grad_fn.name() == "SoftplusBackward0"


@pytest.mark.parametrize(
    ("fn", "ref"),
    [
        (lambda x: F.leaky_relu_(x, -0.5), lambda x: TF.leaky_relu(x, -0.5)),
        (lambda x: F.elu_(x, -0.5), lambda x: TF.elu(x, -0.5)),
        (lambda x: F.celu(x, -2.0, inplace=True), lambda x: TF.celu(x, -2.0)),
    ],
    ids=["leaky_relu_", "elu_", "celu_"],
)
def test_inplace_negative_slope_gradients(fn: Any, ref: Any) -> None:
    # NOTE: PyTorch refuses these backwards; chainrule saves the input instead and gives the
    # out-of-place gradient.
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    a = cr.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ya, yb = fn(a * 1.0), ref(b)
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-12)
    ya.sum().backward()
    yb.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)


# ---- kinks, NaN and infinities -----------------------------------------------------
SPECIAL = np.array([-np.inf, -3.0, -1.0, 0.0, 1.0, 3.0, 6.0, np.inf, np.nan])
KINK_CASES = [
    ("leaky_relu", {}),
    ("leaky_relu", {"negative_slope": 0.2}),
    ("elu", {}),
    ("selu", {}),
    ("celu", {"alpha": 0.5}),
    ("silu", {}),
    ("softplus", {}),
    ("logsigmoid", {}),
    ("hardtanh", {}),
    ("relu6", {}),
    ("hardsigmoid", {}),
    ("hardswish", {}),
    ("gelu", {"approximate": "tanh"}),
]


@pytest.mark.parametrize(("op", "kwargs"), KINK_CASES, ids=[f"{o}{k}" for o, k in KINK_CASES])
def test_kinks_nan_and_inf_match_torch(op: str, kwargs: dict[str, Any]) -> None:
    # Long enough, with the specials away from the end, that torch takes its vectorised
    # kernel (not its scalar tail), whose NaN-gradient conventions chainrule follows.
    x = np.concatenate([np.tile(SPECIAL, 8), np.full(32, 0.5)])
    a = cr.tensor(x, requires_grad=True)
    b = torch.tensor(x, requires_grad=True)
    ya, yb = getattr(F, op)(a, **kwargs), getattr(TF, op)(b, **kwargs)
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), rtol=1e-12)
    ya.sum().backward()
    yb.sum().backward()
    # NOTE: torch's float64 hardsigmoid gradient uses a float32 1/6 (rel. error 3e-8).
    rtol = 1e-7 if op == "hardsigmoid" else 1e-12
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=rtol)


def test_gradients_at_kinks() -> None:
    x = cr.tensor([0.0, -1.0, 1.0, -3.0, 3.0, 6.0], requires_grad=True)
    (g,) = cr.autograd.grad(F.leaky_relu(x, 0.1).sum(), [x])
    assert g.tolist()[0] == pytest.approx(0.1)  # slope at 0
    (g,) = cr.autograd.grad(F.elu(x, 2.0).sum(), [x])
    assert g.tolist()[0] == 2.0  # alpha at 0
    (g,) = cr.autograd.grad(F.hardtanh(x).sum(), [x])
    assert g.tolist()[:3] == [1.0, 0.0, 0.0]  # 0 at both bounds
    (g,) = cr.autograd.grad(F.relu6(x).sum(), [x])
    assert g.tolist()[0] == 0.0
    assert g.tolist()[5] == 0.0
    (g,) = cr.autograd.grad(F.hardswish(x).sum(), [x])
    assert g.tolist()[3:5] == [0.0, 1.0]  # 0 at -3, 1 at 3


# ---- numerics at large |x| ---------------------------------------------------------
LARGE = np.array([-1e4, -1e3, -100.0, -50.0, -30.0, -15.0, 15.0, 30.0, 50.0, 100.0, 1e3, 1e4])
SMOOTH = [
    ("gelu", {}),
    ("gelu", {"approximate": "tanh"}),
    ("silu", {}),
    ("softplus", {}),
    ("softplus", {"beta": 0.5, "threshold": 10.0}),
    ("mish", {}),
    ("logsigmoid", {}),
    ("elu", {}),
    ("selu", {}),
    ("sigmoid", {}),
    ("tanh", {}),
]


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize(("op", "kwargs"), SMOOTH, ids=[f"{o}{k}" for o, k in SMOOTH])
def test_large_inputs_stay_finite(op: str, kwargs: dict[str, Any], dtype: Any) -> None:
    x = LARGE.astype(dtype)
    a = cr.tensor(x, requires_grad=True)
    y = getattr(F, op)(a, **kwargs)
    y.sum().backward()
    assert np.isfinite(y.detach().numpy()).all()
    assert np.isfinite(a.grad.numpy()).all()
    b = torch.tensor(x, requires_grad=True)
    yb = getattr(TF, op)(b, **kwargs)
    yb.sum().backward()
    np.testing.assert_allclose(y.detach().numpy(), yb.detach().numpy(), rtol=1e-6, atol=1e-30)
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-6, atol=1e-30)


def test_large_input_asymptotes() -> None:
    x = cr.tensor([-1e4, -100.0, 100.0, 1e4], dtype=cr.float32)
    assert F.gelu(x).tolist() == [0.0, 0.0, 100.0, 1e4]
    assert F.silu(x).tolist() == [0.0, 0.0, 100.0, 1e4]
    assert F.softplus(x).tolist()[2:] == [100.0, 1e4]
    assert F.logsigmoid(x).tolist()[:2] == [-1e4, -100.0]
    # softplus below the threshold but with exp(beta * x) tiny: log1p keeps precision
    assert F.softplus(cr.tensor([-30.0], dtype=cr.float64)).item() == pytest.approx(
        np.exp(-30.0), rel=1e-12
    )


# ---- softmax family ----------------------------------------------------------------
@pytest.mark.parametrize("name", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("shape", [(), (4,), (2, 3), (2, 3, 4), (2, 3, 4, 5)])
def test_softmax_implicit_dim(name: str, shape: tuple[int, ...]) -> None:
    x = np.random.default_rng(0).standard_normal(shape)
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}"):
        got = getattr(F, name)(cr.tensor(x))
    with pytest.warns(UserWarning, match=f"Implicit dimension choice for {name}"):
        want = getattr(TF, name)(torch.tensor(x))
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12)


def test_softmax_module_implicit_dim_warns() -> None:
    with pytest.warns(UserWarning, match="Implicit dimension choice for softmax"):
        y = nn.Softmax()(cr.zeros(2, 4))
    assert y.tolist() == [[0.25] * 4] * 2


def test_softmax_dtype_casts_before_the_op() -> None:
    x = cr.tensor([[1.0, 2.0, 3.0]], requires_grad=True)
    y = F.softmax(x, dim=1, dtype=cr.float64)
    assert y.dtype == cr.float64
    y.sum().backward()
    assert x.grad is not None
    assert x.grad.dtype == cr.float32
    ints = cr.tensor([[1, 2, 3]])
    got = F.log_softmax(ints, -1, dtype=cr.float32)
    want = TF.log_softmax(torch.tensor([[1, 2, 3]]), -1, dtype=torch.float32)
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)


def test_softmax_positional_arguments() -> None:
    # torch's order: (input, dim, _stacklevel, dtype)
    x = cr.randn(2, 3)
    assert F.softmax(x, 0, 3, cr.float64).dtype == cr.float64
    assert F.softmin(x, 1).sum(1).tolist() == pytest.approx([1.0, 1.0])


# ---- hot path: the functional forms are the C++ functions themselves ---------------
def test_functional_forms_are_bound_in_cpp() -> None:
    for name in [
        "relu",
        "leaky_relu",
        "elu",
        "gelu",
        "silu",
        "softplus",
        "softmax",
        "log_softmax",
        "hardtanh",
    ]:
        assert getattr(F, name) is getattr(cr._C._nn, name)
    assert F.sigmoid is cr.sigmoid
    assert F.tanh is cr.tanh
    assert F.relu_ is cr.relu_
    for name in F.__all__:
        assert callable(getattr(F, name))
    import chainrule.nn.modules.activation as act

    for name in act.__all__:
        assert getattr(nn, name) is getattr(act, name)
    # torch's top-level selu/celu exist; the nn-only activations stay out of chainrule.*
    assert callable(cr.selu)
    assert callable(cr.celu_)
    assert not hasattr(cr, "gelu")
    assert not hasattr(cr, "leaky_relu")


def test_signatures_match_torch() -> None:
    with pytest.raises(TypeError):
        F.gelu(cr.ones(2), "tanh")  # approximate is keyword-only, as in torch
    x = cr.tensor([-1.0, 2.0])
    assert F.leaky_relu(x, 0.5, False).tolist() == [-0.5, 2.0]
    assert F.elu(input=x, alpha=2.0).tolist()[1] == 2.0
    assert F.softplus(x, 2, 1).tolist()[1] == 2.0
    assert F.hardtanh(x, min_val=-0.5, max_val=1.5).tolist() == [-0.5, 1.5]


# ---- errors ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "op",
    [
        "leaky_relu",
        "elu",
        "selu",
        "celu",
        "gelu",
        "silu",
        "mish",
        "softplus",
        "logsigmoid",
        "hardsigmoid",
        "hardswish",
    ],
)
def test_integer_inputs_raise(op: str) -> None:
    # torch raises NotImplementedError for these dtypes; chainrule a TypeError naming the op.
    for t in (cr.tensor([1, 2]), cr.tensor([True, False])):
        with pytest.raises(TypeError, match=f"{op}: expected a floating-point tensor"):
            getattr(F, op)(t)


def test_integer_inputs_that_torch_accepts() -> None:
    i = cr.tensor([-3, -1, 0, 2, 7])
    assert F.relu(i).tolist() == [0, 0, 0, 2, 7]
    assert F.relu(i).dtype == cr.int64
    assert F.hardtanh(i).tolist() == [-1, -1, 0, 1, 1]
    assert F.hardtanh(i).dtype == cr.int64
    assert (
        F.hardtanh(i, -1.5, 2.5).tolist()
        == TF.hardtanh(torch.tensor(i.tolist()), -1.5, 2.5).tolist()
    )
    assert F.relu6(i).tolist() == [0, 0, 0, 2, 6]
    assert F.sigmoid(i).dtype == cr.float32
    assert F.softsign(i).dtype == cr.float32
    with pytest.raises(TypeError, match="hardtanh"):
        F.hardtanh(cr.tensor([True]))
    with pytest.raises(TypeError, match="relu6"):
        F.relu6(cr.tensor([True]))
    with pytest.raises(TypeError, match="softmax"):
        F.softmax(i, 0)
    with pytest.raises(TypeError, match="leaky_relu_"):
        F.leaky_relu_(cr.tensor([1, 2]))


def test_bad_arguments_raise() -> None:
    x = cr.ones(2, 3)
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        F.gelu(x, approximate="fast")
    with pytest.raises(ValueError, match="gelu"):
        nn.GELU("exact")(x)
    with pytest.raises(ValueError, match="celu: alpha cannot be 0"):
        F.celu(x, 0.0)
    with pytest.raises(ValueError, match="celu_"):
        F.celu(x, alpha=0.0, inplace=True)
    with pytest.raises(ValueError, match="hardtanh: min_val cannot be greater than max_val"):
        F.hardtanh(x, 1.0, -1.0)
    with pytest.raises(ValueError, match="Hardtanh"):
        nn.Hardtanh(1.0, 1.0)
    with pytest.raises(IndexError, match="softmax"):
        F.softmax(x, 2)
    with pytest.raises(IndexError, match="log_softmax"):
        nn.LogSoftmax(dim=-3)(x)
    with pytest.raises(TypeError):
        F.softmax(x, 0.5)
    with pytest.raises(TypeError):
        F.leaky_relu(x, "0.1")
    with pytest.raises(TypeError, match="dtype"):
        F.softmax(x, 1, dtype="float64")
    assert x.tolist() == [[1.0] * 3] * 2  # nothing written


def test_hardtanh_deprecated_kwargs() -> None:
    with pytest.warns(FutureWarning, match="min_value"):
        m = nn.Hardtanh(min_value=-2.0)
    assert m.min_val == -2.0


def test_activations_in_a_model_match_torch() -> None:
    # A small MLP mixing activations: same weights, same input, same loss and gradients.
    def build(lib: Any) -> Any:
        return lib.nn.Sequential(
            lib.nn.Linear(5, 8),
            lib.nn.GELU(approximate="tanh"),
            lib.nn.Linear(8, 8),
            lib.nn.SiLU(inplace=True),
            lib.nn.Linear(8, 8),
            lib.nn.LeakyReLU(0.1, inplace=True),
            lib.nn.Linear(8, 3),
            lib.nn.LogSoftmax(dim=1),
        )

    ours, theirs = build(cr), build(torch)
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 5)).astype(np.float32)
    la = ours(cr.tensor(x)).sum()
    lb = theirs(torch.tensor(x)).sum()
    la.backward()
    lb.backward()
    assert la.item() == pytest.approx(lb.item(), rel=1e-5)
    for (name, p), q in zip(ours.named_parameters(), theirs.parameters()):
        np.testing.assert_allclose(
            p.grad.numpy(), q.grad.numpy(), rtol=1e-4, atol=1e-6, err_msg=name
        )
