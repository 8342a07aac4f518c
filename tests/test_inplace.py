"""In-place ops: unary math (exp_, ..., pow_, clamp_min_/clamp_max_), detach_, random
fills and masked_fill against their out-of-place forms and PyTorch."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from _torch_grad import grad_vs_torch

RNG = np.random.default_rng(42)
A34 = RNG.normal(size=(3, 4))
A234 = RNG.normal(size=(2, 3, 4))

# ---- in-place unary ops ---------------------------------------------------------------

INPLACE = [
    ("exp_", "ExpBackward0", (-1.0, 1.0)),
    ("log_", "LogBackward0", (0.5, 2.0)),
    ("sqrt_", "SqrtBackward0", (0.5, 2.0)),
    ("neg_", "NegBackward0", (-1.0, 1.0)),
    ("abs_", "AbsBackward0", (0.5, 2.0)),
    ("relu_", "ReluBackward0", (0.5, 2.0)),
    ("sigmoid_", "SigmoidBackward0", (-1.0, 1.0)),
    ("tanh_", "TanhBackward0", (-1.0, 1.0)),
    ("sin_", "SinBackward0", (-1.0, 1.0)),
    ("cos_", "CosBackward0", (-1.0, 1.0)),
]


@pytest.mark.parametrize(("op", "node", "domain"), INPLACE)
def test_inplace_unary_matches_out_of_place(op, node, domain) -> None:
    rng = np.random.default_rng(0)
    v = rng.uniform(*domain, size=(3, 4))
    x = cr.tensor(v, requires_grad=True)
    y = x * 1.0
    before = y._version
    r = getattr(y, op)()
    assert r is y
    assert y._version == before + 1
    assert y.grad_fn.name() == node
    out_of_place = getattr(cr, op[:-1])(cr.tensor(v))
    np.testing.assert_allclose(y.detach().numpy(), out_of_place.numpy(), rtol=1e-12)
    y.sum().backward()
    x2 = cr.tensor(v, requires_grad=True)
    getattr(cr, op[:-1])(x2).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), rtol=1e-12)
    assert cr.autograd.gradcheck(
        lambda a: getattr(a * 1.0, op)(), (cr.tensor(v, requires_grad=True),)
    )


def test_inplace_unary_function_forms_and_views() -> None:
    x = cr.tensor([-1.0, 2.0])
    assert cr.relu_(x) is x
    assert x.tolist() == [0.0, 2.0]
    base = cr.zeros(2, 4, dtype=cr.float64)
    base[:, ::2].exp_()  # strided view: writes through
    assert base.tolist() == [[1.0, 0.0, 1.0, 0.0], [1.0, 0.0, 1.0, 0.0]]
    i = cr.tensor([-1, 2])
    assert i.neg_().tolist() == [1, -2]
    assert i.abs_().tolist() == [1, 2]
    assert i.dtype == cr.int64


def test_inplace_unary_errors() -> None:
    leaf = cr.tensor([1.0, 2.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="exp_"):
        leaf.exp_()
    with pytest.raises(TypeError, match="exp_"):
        cr.tensor([1, 2]).exp_()
    with pytest.raises(TypeError, match="sqrt_"):
        cr.tensor([1, 2]).sqrt_()
    x = cr.tensor([1, 2])
    with pytest.raises(TypeError, match="pow_"):
        x.pow_(0.5)
    assert x.tolist() == [1, 2]  # unchanged after a rejected call


def test_inplace_saved_output_is_version_checked() -> None:
    x = cr.tensor([0.5, 1.0], requires_grad=True)
    y = x * 1.0
    y.exp_()
    z = y * 1.0
    y.add_(1.0)  # exp_'s saved output changed: backward must refuse
    with pytest.raises(RuntimeError, match="ExpBackward0"):
        z.sum().backward()


def test_pow_inplace() -> None:
    torch = pytest.importorskip("torch")
    v, e = np.array([0.5, 1.5, 2.0]), np.array([1.5, 2.0, 0.0])
    for exponent_grad in (False, True):
        x, b = cr.tensor(v, requires_grad=True), cr.tensor(e, requires_grad=exponent_grad)
        tx, tb = torch.tensor(v, requires_grad=True), torch.tensor(e, requires_grad=exponent_grad)
        y, ty = (x * 1.0).pow_(b), (tx * 1.0).pow_(tb)
        assert y.grad_fn.name() == ty.grad_fn.name() == "PowBackward1"
        np.testing.assert_allclose(y.detach().numpy(), ty.detach().numpy())
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
        if exponent_grad:
            np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy())
    y = (cr.tensor(v, requires_grad=True) * 1.0).pow_(2)
    assert y.grad_fn.name() == "PowBackward0"
    assert cr.tensor([1, 2, 3]).pow_(2).tolist() == [1, 4, 9]


@pytest.mark.parametrize("inplace", [False, True])
def test_pow_gradient_with_huge_exponent(inplace: bool) -> None:
    """d(a^b)/da = dy * (b * a^(b-1)): with b = 1.7e308 and a < 1, a^(b-1) is 0 and so is the
    gradient, as torch (dy * b overflowed first and gave NaN; found by the op fuzz)."""
    torch = pytest.importorskip("torch")
    v, e = np.array([0.75, 0.5, 1.25]), np.array([1.7e308, 2.0, 0.5])
    grads = []
    for lib in (cr, torch):
        x = lib.tensor(v, requires_grad=True)
        y = (x * 1.0).pow_(lib.tensor(e)) if inplace else x.pow(lib.tensor(e))
        y.backward(lib.tensor([-3.0, 1.0, 2.0], dtype=lib.float64))
        grads.append(x.grad.numpy())
    np.testing.assert_array_equal(grads[0], grads[1])


def test_detach_and_positive() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    assert y.detach_() is y
    assert y.requires_grad is False
    assert y.grad_fn is None
    assert y.is_leaf
    leaf = cr.tensor([1.0], requires_grad=True)
    leaf.detach_()
    assert not leaf.requires_grad
    v = (x * 2)[0:1]
    with pytest.raises(RuntimeError, match="detach_"):
        v.detach_()
    assert (+x) is x
    assert cr.positive(x) is x
    with pytest.raises(RuntimeError, match="positive"):
        +cr.tensor([True])


# ---- random fills -----------------------------------------------------------------------


def test_uniform_normal_reproducible() -> None:
    cr.manual_seed(3)
    a = cr.empty(1000).uniform_(-2.0, 3.0)
    cr.manual_seed(3)
    b = cr.empty(1000).uniform_(-2.0, 3.0)
    assert a.tolist() == b.tolist()
    v = a.numpy()
    assert v.min() >= -2.0
    assert v.max() < 3.0
    assert abs(v.mean() - 0.5) < 0.2
    cr.manual_seed(3)
    r = cr.rand(1000)
    cr.manual_seed(3)
    assert cr.empty(1000).uniform_().tolist() == r.tolist()  # same stream as cr.rand
    g = cr.Generator()
    g.manual_seed(7)
    n1 = cr.empty(20000, dtype=cr.float64).normal_(1.0, 2.0, generator=g)
    g.manual_seed(7)
    n2 = cr.empty(20000, dtype=cr.float64).normal_(mean=1.0, std=2.0, generator=g)
    assert n1.tolist() == n2.tolist()
    assert abs(n1.numpy().mean() - 1.0) < 0.05
    assert abs(n1.numpy().std() - 2.0) < 0.05
    t = cr.zeros(3, 4)
    t.T.uniform_(**{"from": 1.0, "to": 2.0})  # non-contiguous target
    assert t.numpy().min() >= 1.0


def test_bernoulli_and_fill_autograd() -> None:
    cr.manual_seed(0)
    m = cr.empty(10000).bernoulli_(0.25)
    assert set(np.unique(m.numpy())) <= {0.0, 1.0}
    assert abs(m.numpy().mean() - 0.25) < 0.02
    assert cr.zeros(5, dtype=cr.bool).bernoulli_(1.0).all().item() is True
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 1.0
    y.uniform_()
    assert y.grad_fn.name() == "UniformBackward0"
    (y * 3).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]
    z = x * 1.0
    z.normal_()
    assert z.grad_fn.name() == "NormalBackward0"


def test_random_fill_errors() -> None:
    with pytest.raises(ValueError, match="uniform_"):
        cr.empty(3).uniform_(2.0, 1.0)
    with pytest.raises(ValueError, match="normal_"):
        cr.empty(3).normal_(0.0, -1.0)
    with pytest.raises(ValueError, match="bernoulli_"):
        cr.empty(3).bernoulli_(1.5)
    with pytest.raises(TypeError, match="uniform_"):
        cr.zeros(3, dtype=cr.int64).uniform_()
    with pytest.raises(RuntimeError, match="normal_"):
        cr.zeros(3, requires_grad=True).normal_()
    with cr.no_grad():
        cr.zeros(3, requires_grad=True).normal_()  # how nn.init fills parameters


def test_masked_fill_broadcasts_input_against_mask() -> None:
    """Out of place, the input broadcasts against the mask, as in torch (a 0-d input with a
    (1,) mask gives (1,); it raised; found by the op fuzz). In place keeps self's shape."""
    torch = pytest.importorskip("torch")
    for x, mask in [(A34[:, :1], A34[0] > 0), (np.array(1.5), np.array([True])), (A34[0], A34 > 0)]:
        grad_vs_torch(
            lambda t, m=mask: t.masked_fill(cr.tensor(m), -2.0),
            lambda t, m=mask: t.masked_fill(torch.tensor(m), -2.0),
            x,
        )
    with pytest.raises(ValueError, match="masked_fill_"):
        cr.tensor(A34[0]).masked_fill_(cr.tensor(A34 > 0), 0.0)
