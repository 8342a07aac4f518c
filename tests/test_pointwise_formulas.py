"""The unary pointwise ops' formulas (kernels/elementwise/formulas.h) and the nodes built from
them: each node saves exactly what its derivative reads (the input, the output or nothing),
for the out-of-place and the in-place form alike.

A derivative reading a tensor its node does not save is a compile error (the derivative's
parameter types declare what it reads and the node's saving is derived from them); these
tests check the behaviour that declaration implies against torch: the gradients, and which
tensor's later in-place change makes backward raise (the one saved).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.functional as CF

torch = pytest.importorskip("torch")
TF = torch.nn.functional

Fn = Callable[[Any, Any, Any], Any]  # (library, its functional module, x) -> y

# (id, op, input domain: "pos" for x > 0, "any" otherwise). Out of place.
OUT_OF_PLACE: list[tuple[str, Fn, str]] = [
    ("exp", lambda L, F, x: L.exp(x), "any"),
    ("log", lambda L, F, x: L.log(x), "pos"),
    ("log1p", lambda L, F, x: L.log1p(x), "pos"),
    ("expm1", lambda L, F, x: L.expm1(x), "any"),
    ("sqrt", lambda L, F, x: L.sqrt(x), "pos"),
    ("rsqrt", lambda L, F, x: L.rsqrt(x), "pos"),
    ("sin", lambda L, F, x: L.sin(x), "any"),
    ("cos", lambda L, F, x: L.cos(x), "any"),
    ("tanh", lambda L, F, x: L.tanh(x), "any"),
    ("sigmoid", lambda L, F, x: L.sigmoid(x), "any"),
    ("neg", lambda L, F, x: L.neg(x), "any"),
    ("abs", lambda L, F, x: L.abs(x), "any"),
    ("relu", lambda L, F, x: L.relu(x), "any"),
    ("gelu", lambda L, F, x: F.gelu(x), "any"),
    ("gelu_tanh", lambda L, F, x: F.gelu(x, approximate="tanh"), "any"),
    ("silu", lambda L, F, x: F.silu(x), "any"),
    ("mish", lambda L, F, x: F.mish(x), "any"),
    ("softplus", lambda L, F, x: F.softplus(x, 2.0, 1.5), "any"),
    ("logsigmoid", lambda L, F, x: F.logsigmoid(x), "any"),
    ("elu", lambda L, F, x: F.elu(x, 0.7), "any"),
    ("selu", lambda L, F, x: F.selu(x), "any"),
    ("celu", lambda L, F, x: F.celu(x, 1.3), "any"),
    ("leaky_relu", lambda L, F, x: F.leaky_relu(x, 0.2), "any"),
    ("leaky_relu_neg", lambda L, F, x: F.leaky_relu(x, -0.5), "any"),
    ("hardtanh", lambda L, F, x: F.hardtanh(x, -0.5, 0.8), "any"),
    ("relu6", lambda L, F, x: F.relu6(x), "any"),
    ("hardsigmoid", lambda L, F, x: F.hardsigmoid(x), "any"),
    ("hardswish", lambda L, F, x: F.hardswish(x), "any"),
]

# The in-place forms (torch refuses the in-place backward of leaky_relu and elu with a
# negative slope; chainrule saves a copy of the input there: tested on their own below).
IN_PLACE: list[tuple[str, Fn, str]] = [
    ("exp_", lambda L, F, x: x.exp_(), "any"),
    ("log_", lambda L, F, x: x.log_(), "pos"),
    ("sqrt_", lambda L, F, x: x.sqrt_(), "pos"),
    ("sin_", lambda L, F, x: x.sin_(), "any"),
    ("cos_", lambda L, F, x: x.cos_(), "any"),
    ("tanh_", lambda L, F, x: x.tanh_(), "any"),
    ("sigmoid_", lambda L, F, x: x.sigmoid_(), "any"),
    ("neg_", lambda L, F, x: x.neg_(), "any"),
    ("abs_", lambda L, F, x: x.abs_(), "any"),
    ("relu_", lambda L, F, x: x.relu_(), "any"),
    ("silu_", lambda L, F, x: F.silu(x, inplace=True), "any"),
    ("mish_", lambda L, F, x: F.mish(x, inplace=True), "any"),
    ("elu_", lambda L, F, x: F.elu_(x, 0.7), "any"),
    ("selu_", lambda L, F, x: F.selu_(x), "any"),
    ("celu_", lambda L, F, x: F.celu_(x, 1.3), "any"),
    ("leaky_relu_", lambda L, F, x: F.leaky_relu_(x, 0.2), "any"),
    ("hardtanh_", lambda L, F, x: F.hardtanh_(x, -0.5, 0.8), "any"),
    ("relu6_", lambda L, F, x: F.relu6(x, inplace=True), "any"),
    ("hardsigmoid_", lambda L, F, x: F.hardsigmoid(x, inplace=True), "any"),
    ("hardswish_", lambda L, F, x: F.hardswish(x, inplace=True), "any"),
]

ALL = OUT_OF_PLACE + IN_PLACE


def _data(domain: str, dtype: str) -> np.ndarray:
    rng = np.random.default_rng(7)
    # Away from the kinks (0, +-3, the hardtanh bounds), where one-sided choices differ.
    x = rng.uniform(-4.0, 4.0, size=(3, 5))
    x = np.where(np.abs(x) < 0.05, 0.3, x)
    x = np.where(np.abs(np.abs(x) - 3.0) < 0.05, 2.0, x)
    if domain == "pos":
        x = np.abs(x) + 0.1
    return x.astype(dtype)


def _run(lib: Any, fmod: Any, fn: Fn, x: np.ndarray, g: np.ndarray) -> tuple[Any, Any]:
    leaf = lib.tensor(x, requires_grad=True)
    y = fn(lib, fmod, leaf * 1)  # through a non-leaf, so the in-place forms are allowed
    y.backward(lib.tensor(g))
    return y, leaf.grad


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize(("name", "fn", "domain"), ALL, ids=[c[0] for c in ALL])
def test_gradient_matches_torch(name: str, fn: Fn, domain: str, dtype: str) -> None:
    x = _data(domain, dtype)
    g = np.random.default_rng(3).normal(size=x.shape).astype(dtype)
    ya, ga = _run(cr, CF, fn, x, g)
    yb, gb = _run(torch, TF, fn, x, g)
    # Loose enough for celu's float64 derivative (through exp(x / alpha) where torch goes
    # through the output): these tests are about which formula and which saved tensor.
    tol = {"rtol": 2e-5, "atol": 2e-6} if dtype == "float32" else {"rtol": 1e-6, "atol": 1e-9}
    np.testing.assert_allclose(ya.detach().numpy(), yb.detach().numpy(), **tol)
    np.testing.assert_allclose(ga.numpy(), gb.numpy(), **tol)


def _raises_after_change(lib: Any, fmod: Any, fn: Fn, x: np.ndarray, change: str) -> bool:
    """Whether backward raises once the op's input ("input") or output ("output") has been
    changed in place after the op: true exactly when the node saved that tensor."""
    leaf = lib.tensor(x, requires_grad=True)
    a = leaf * 1
    y = fn(lib, fmod, a)
    (a if change == "input" else y).mul_(1.0)
    try:
        y.sum().backward()
    except RuntimeError:
        return True
    return False


# Where chainrule saves another tensor than torch, on purpose: the derivative reads the output
# (lo < y < hi iff lo < x < hi), so no copy of the input is taken; torch copies the input.
SAVES_UNLIKE_TORCH = {("hardtanh_", "output"), ("relu6_", "output")}

SAVED_CASES = [(c, "input") for c in OUT_OF_PLACE] + [(c, "output") for c in ALL]


@pytest.mark.parametrize(
    ("case", "change"), SAVED_CASES, ids=[f"{c[0]}-{ch}" for c, ch in SAVED_CASES]
)
def test_saved_tensor_matches_torch(case: tuple[str, Fn, str], change: str) -> None:
    # (An in-place op's input is its output: only the output can change after it.)
    name, fn, domain = case
    x = _data(domain, "float64")
    mine = _raises_after_change(cr, CF, fn, x, change)
    theirs = _raises_after_change(torch, TF, fn, x, change)
    if (name, change) in SAVES_UNLIKE_TORCH:
        theirs = not theirs
    assert mine == theirs, (
        f"{name}: changing the {change} in place after the op "
        f"{'raises' if mine else 'does not raise'} at backward, unlike torch"
    )


# Binary ops, both operands requiring grad (a, b > 0): (id, op).
Fn2 = Callable[[Any, Any, Any], Any]  # (library, a, b) -> y
BINARY: list[tuple[str, Fn2]] = [
    ("add", lambda L, a, b: L.add(a, b, alpha=2)),
    ("sub", lambda L, a, b: a - b),
    ("mul", lambda L, a, b: a * b),
    ("div", lambda L, a, b: a / b),
    ("pow", lambda L, a, b: a**b),
    ("pow_number", lambda L, a, b: a**2.5),
    ("maximum", lambda L, a, b: L.maximum(a, b)),
    ("minimum", lambda L, a, b: L.minimum(a, b)),
    ("add_", lambda L, a, b: a.add_(b, alpha=2)),
    ("sub_", lambda L, a, b: a.sub_(b)),
    ("mul_", lambda L, a, b: a.mul_(b)),
    ("div_", lambda L, a, b: a.div_(b)),
    ("pow_", lambda L, a, b: a.pow_(b)),
]


def _binary(lib: Any, fn: Fn2, change: str | None) -> tuple[bool, Any, Any]:
    rng = np.random.default_rng(5)
    x, z = rng.uniform(0.2, 2.0, size=(2, 4, 3))
    z[0, 0] = x[0, 0]  # a tie for maximum/minimum
    la, lb = lib.tensor(x, requires_grad=True), lib.tensor(z, requires_grad=True)
    a, b = la * 1, lb * 1
    y = fn(lib, a, b)
    if change is not None:
        {"a": a, "b": b, "y": y}[change].mul_(1.0)
    try:
        y.backward(lib.tensor(np.linspace(-1.0, 1.0, 12).reshape(4, 3)))
    except RuntimeError:
        return True, None, None
    return False, la.grad, lb.grad


@pytest.mark.parametrize(("name", "fn"), BINARY, ids=[c[0] for c in BINARY])
def test_binary_gradient_matches_torch(name: str, fn: Fn2) -> None:
    _, ga, gb = _binary(cr, fn, None)
    _, ta, tb = _binary(torch, fn, None)
    for mine, theirs in ((ga, ta), (gb, tb)):
        if theirs is None:
            assert mine is None or not np.any(mine.numpy())
        else:
            np.testing.assert_allclose(mine.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("change", ["a", "b", "y"])
@pytest.mark.parametrize(("name", "fn"), BINARY, ids=[c[0] for c in BINARY])
def test_binary_saved_tensors_match_torch(name: str, fn: Fn2, change: str) -> None:
    if change == "a" and name.endswith("_"):
        pytest.skip("an in-place op's first operand is its output")
    mine = _binary(cr, fn, change)[0]
    theirs = _binary(torch, fn, change)[0]
    assert mine == theirs, f"{name}: changing {change} after the op: raises={mine}, torch {theirs}"


NEGATIVE_SLOPE: list[tuple[str, Callable[[Any], Any], Callable[[Any], Any]]] = [
    ("leaky_relu_", lambda x: CF.leaky_relu_(x, -0.5), lambda x: TF.leaky_relu(x, -0.5)),
    ("elu_", lambda x: CF.elu_(x, -0.7), lambda x: TF.elu(x, -0.7)),
]


@pytest.mark.parametrize(
    ("name", "inplace", "reference"), NEGATIVE_SLOPE, ids=[c[0] for c in NEGATIVE_SLOPE]
)
def test_inplace_negative_slope_saves_a_copy(
    name: str, inplace: Callable[[Any], Any], reference: Callable[[Any], Any]
) -> None:
    # The output does not determine the input for a negative slope: the node keeps a copy of
    # the input (torch refuses this backward), so the gradient is the out-of-place one and a
    # later change of the output is not seen.
    x = _data("any", "float64")
    leaf = cr.tensor(x, requires_grad=True)
    y = inplace(leaf * 1)
    y.mul_(1.0)
    y.sum().backward()
    ref = torch.tensor(x, requires_grad=True)
    reference(ref).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), ref.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_neg_saves_nothing() -> None:
    # neg's derivative reads neither tensor: changing both after the op is fine (as in torch).
    a = cr.tensor([1.0, -2.0], requires_grad=True) * 1
    y = a.neg_()
    y.mul_(2.0)
    y.sum().backward()
