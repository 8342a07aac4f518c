"""The autograd engine seen from Python: accumulation, retain_graph, deep and diamond graphs,
requires_grad rules, node names, retain_grad, hooks, autograd.grad, saved-tensor version
checks, in-place ops and anomaly detection."""

from __future__ import annotations

import re
import threading

import numpy as np
import pytest

import chainrule as cr


class _SumAll(cr.autograd.Function):
    """sum() of all elements, for graphs built before the reduce ops are bound."""

    @staticmethod
    def forward(ctx, x):
        ctx.shape = tuple(x.shape)
        return cr.tensor(x.detach().numpy().sum(), dtype=x.dtype)

    @staticmethod
    def backward(ctx, grad):
        return grad * cr.ones(ctx.shape, dtype=grad.dtype)


def total(t):
    """t.sum() (a scalar loss)."""
    return t.sum() if hasattr(t, "sum") else _SumAll.apply(t)


def leaf(values, dtype=cr.float32):
    # Through NumPy, so float64 values are not rounded to float32 on the way in.
    np_dtype = np.float64 if dtype == cr.float64 else np.float32
    return cr.tensor(np.asarray(values, dtype=np_dtype), dtype=dtype, requires_grad=True)


def np_of(t):
    return t.detach().numpy()


# ---- accumulation and retain_graph ---------------------------------------------------------


def test_gradients_accumulate_into_leaves_over_two_backwards():
    x = leaf([1.0, 2.0, 3.0])
    total(x * x).backward()
    np.testing.assert_allclose(np_of(x.grad), [2.0, 4.0, 6.0])
    total(x * 3).backward()
    np.testing.assert_allclose(np_of(x.grad), [5.0, 7.0, 9.0])
    x.grad = None
    total(x * 3).backward()
    np.testing.assert_allclose(np_of(x.grad), [3.0, 3.0, 3.0])


def test_grad_is_not_tracked_and_has_leaf_shape_and_dtype():
    x = leaf([[1.0, 2.0]], dtype=cr.float64)
    y = x * cr.tensor([[1.0], [2.0]], dtype=cr.float64)  # broadcast to (2, 2)
    total(y).backward()
    assert x.grad.shape == (1, 2)
    assert x.grad.dtype == cr.float64
    assert not x.grad.requires_grad
    np.testing.assert_allclose(np_of(x.grad), [[3.0, 3.0]])


def test_retain_graph_allows_second_backward():
    x = leaf([0.5, 1.5])
    y = total(x.exp())
    y.backward(retain_graph=True)
    y.backward()
    np.testing.assert_allclose(np_of(x.grad), 2 * np.exp([0.5, 1.5]), rtol=1e-6)


def test_second_backward_without_retain_graph_raises():
    x = leaf([0.5, 1.5])
    y = x.exp()
    y.backward(cr.ones_like(y))
    with pytest.raises(RuntimeError, match=r"ExpBackward0.*retain_graph=True"):
        y.backward(cr.ones_like(y))


def test_second_backward_through_nodes_without_saved_tensors_works():
    # As in PyTorch: only nodes that saved tensors need retain_graph.
    x = leaf([1.0, 2.0])
    y = -(x + 1)
    y.backward(cr.ones_like(y))
    y.backward(cr.ones_like(y))
    np.testing.assert_allclose(np_of(x.grad), [-2.0, -2.0])


def test_backward_on_non_scalar_needs_gradient():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="backward: grad can be implicitly created only"):
        (x * 2).backward()


def test_backward_gradient_shape_mismatch():
    x = leaf([1.0, 2.0])
    with pytest.raises(RuntimeError, match="backward: mismatch in shape"):
        (x * 2).backward(cr.ones(3))


def test_backward_on_tensor_without_grad():
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.ones(2).backward(cr.ones(2))


def test_backward_create_graph_not_supported():
    x = leaf([1.0])
    with pytest.raises(NotImplementedError, match="create_graph"):
        cr.autograd.backward(x * 2, create_graph=True)
    with pytest.raises(RuntimeError, match="create_graph"):
        (x * 2).backward(create_graph=True)


def test_autograd_backward_multiple_roots():
    x = leaf([1.0, 2.0])
    a = x * 2
    b = x * x
    cr.autograd.backward([a, b], [cr.ones(2), cr.tensor([1.0, 10.0])])
    np.testing.assert_allclose(np_of(x.grad), [2 + 2 * 1.0, 2 + 10 * 2 * 2.0])
    with pytest.raises(RuntimeError, match="backward: got 1 outputs but 2 gradients"):
        cr.autograd.backward([x * 2], [cr.ones(2), cr.ones(2)])


# ---- graph shapes ----------------------------------------------------------------------------


def test_deep_chain_backward_and_destruction():
    x0 = leaf([1.0], dtype=cr.float64)
    x = x0
    for _ in range(100_000):
        x = x * 1.0000001
    x.backward(cr.ones_like(x))
    np.testing.assert_allclose(np_of(x0.grad), [1.0000001**100_000], rtol=1e-9)
    del x  # frees a 100,000-node chain: must not overflow the C++ stack
    y = x0
    for _ in range(100_000):
        y = y + 1
    np.testing.assert_allclose(np_of(y), [100_001.0])
    del y  # never-run graph


def test_diamond_graph_sums_fan_out():
    torch = pytest.importorskip("torch")
    values = [0.3, -1.2, 2.0]
    x = leaf(values, dtype=cr.float64)
    y = x.exp()
    z = y * y + y.sin() - y / (y + 1)
    total(z).backward()
    tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    ty = tx.exp()
    (ty * ty + ty.sin() - ty / (ty + 1)).sum().backward()
    np.testing.assert_allclose(np_of(x.grad), tx.grad.numpy(), rtol=1e-12)


def test_same_tensor_used_twice_in_one_op():
    x = leaf([3.0])
    (x * x).backward(cr.ones(1))
    np.testing.assert_allclose(np_of(x.grad), [6.0])


def test_partial_graph_only_reaches_leaves_that_require_grad():
    x = leaf([1.0, 2.0])
    c = cr.tensor([5.0, 6.0])
    total(x * c).backward()
    assert c.grad is None
    np.testing.assert_allclose(np_of(x.grad), [5.0, 6.0])


# ---- requires_grad, detach, leaves, node objects ---------------------------------------------


def test_detach_shares_storage_and_has_no_history():
    x = leaf([1.0, 2.0])
    y = x.exp()
    d = y.detach()
    assert d.grad_fn is None
    assert not d.requires_grad
    assert d.is_leaf
    d.add_(1.0)  # same memory and version counter as y
    np.testing.assert_allclose(np_of(y), np.exp([1.0, 2.0]) + 1, rtol=1e-6)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward(cr.ones_like(y))


def test_requires_grad_flags_on_non_leaf():
    x = leaf([1.0])
    y = x * 2
    assert y.requires_grad
    assert not y.is_leaf
    with pytest.raises(RuntimeError, match="requires_grad: you can only change requires_grad"):
        y.requires_grad = False
    with pytest.raises(RuntimeError, match="requires_grad: you can only change requires_grad"):
        y.requires_grad = True  # the attribute refuses non-leaves whatever the value, as PyTorch
    assert y.requires_grad_(True) is y  # the method is a no-op on a non-leaf


def test_integer_tensors_cannot_require_grad():
    t = cr.tensor([1, 2])
    with pytest.raises(RuntimeError, match="requires_grad: only tensors of floating point"):
        t.requires_grad = True
    with pytest.raises(RuntimeError, match="requires_grad: only tensors of floating point"):
        t.requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        cr.tensor([1, 2], requires_grad=True)


def test_requires_grad_on_leaf_and_results():
    x = cr.tensor([1.0, 2.0])
    assert x.is_leaf
    assert not x.requires_grad
    assert x.requires_grad_() is x
    assert x.requires_grad
    assert x.is_leaf
    assert x.grad_fn is None
    x.requires_grad = False
    assert not (x * 2).requires_grad
    assert (x * 2).is_leaf
    bools = leaf([1.0, 2.0]) > 1
    assert not bools.requires_grad


_NAME_CASES = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "mul_scalar": lambda a, b: a * 2,
    "pow_scalar": lambda a, b: a**2,
    "neg": lambda a, b: -a,
    "exp": lambda a, b: a.exp(),
    "log": lambda a, b: a.log(),
    "log1p": lambda a, b: a.log1p(),
    "expm1": lambda a, b: a.expm1(),
    "sqrt": lambda a, b: a.sqrt(),
    "rsqrt": lambda a, b: a.rsqrt(),
    "sin": lambda a, b: a.sin(),
    "cos": lambda a, b: a.cos(),
    "tanh": lambda a, b: a.tanh(),
    "sigmoid": lambda a, b: a.sigmoid(),
    "relu": lambda a, b: a.relu(),
    "abs": lambda a, b: a.abs(),
    "sign": lambda a, b: a.sign(),
    "clamp": lambda a, b: a.clamp(0.0, 1.5),
    "maximum": lambda a, b: a.maximum(b),
    "minimum": lambda a, b: a.minimum(b),
    "where": lambda a, b: a.where(a > 1, b),
    "masked_fill": lambda a, b: a.masked_fill(a > 1, 0.0),
    "clone": lambda a, b: a.clone(),
    "double": lambda a, b: a.double(),
}


@pytest.mark.parametrize("case", sorted(_NAME_CASES))
def test_grad_fn_names_match_torch(case):
    torch = pytest.importorskip("torch")
    f = _NAME_CASES[case]
    a, b = leaf([1.0, 2.0]), leaf([3.0, 0.5])
    ta = torch.tensor([1.0, 2.0], requires_grad=True)
    tb = torch.tensor([3.0, 0.5], requires_grad=True)
    y, ty = f(a, b), f(ta, tb)
    assert y.grad_fn.name() == ty.grad_fn.name()
    assert not y.is_leaf
    assert f"grad_fn=<{ty.grad_fn.name()}>" in repr(y)


def test_next_functions_and_node_repr():
    x = leaf([1.0])
    y = x * 2
    z = y.exp()
    ((acc, nr),) = y.grad_fn.next_functions[:1]
    assert acc.name() == "AccumulateGrad"
    assert nr == 0
    assert y.grad_fn.next_functions[1] == (None, 0)  # the Python scalar
    assert z.grad_fn.next_functions[0][0] == y.grad_fn
    assert re.fullmatch(r"<ExpBackward0 object at 0x[0-9a-f]+>", repr(z.grad_fn))
    assert z.grad_fn == z.grad_fn
    assert hash(z.grad_fn) == hash(z.grad_fn)
    assert z.grad_fn != y.grad_fn
    assert isinstance(z.grad_fn, cr.autograd.Node)


# ---- retain_grad and hooks ---------------------------------------------------------------


def test_retain_grad_on_non_leaf():
    x = leaf([1.0, 2.0])
    y = x * 3
    y.retain_grad()
    assert y.retains_grad
    z = y * y
    total(z).backward()
    np.testing.assert_allclose(np_of(y.grad), [6.0, 12.0])
    np.testing.assert_allclose(np_of(x.grad), [18.0, 36.0])
    assert x.retains_grad is False  # leaves keep grads without retain_grad


def test_non_leaf_grad_is_none_without_retain_grad():
    x = leaf([1.0])
    y = x * 3
    total(y * y).backward()
    assert y.grad is None


def test_retain_grad_accumulates():
    x = leaf([1.0])
    y = x * 3
    y.retain_grad()
    y.backward(cr.ones(1), retain_graph=True)
    y.backward(cr.ones(1))
    np.testing.assert_allclose(np_of(y.grad), [2.0])


def test_retain_grad_on_tensor_without_grad_raises():
    with pytest.raises(RuntimeError, match="retain_grad"):
        cr.ones(2).retain_grad()


def test_leaf_hook_sees_and_modifies_grad():
    x = leaf([1.0, 2.0])
    seen = []

    def hook(g):
        seen.append(np_of(g).copy())
        return g * 10

    handle = x.register_hook(hook)
    total(x * 2).backward()
    np.testing.assert_allclose(seen[0], [2.0, 2.0])
    np.testing.assert_allclose(np_of(x.grad), [20.0, 20.0])
    handle.remove()
    handle.remove()  # a second remove does nothing
    x.grad = None
    total(x * 2).backward()
    np.testing.assert_allclose(np_of(x.grad), [2.0, 2.0])
    assert len(seen) == 1


def test_non_leaf_hook_modifies_flowing_grad():
    x = leaf([1.0, 2.0])
    y = x * x
    y.register_hook(lambda g: g * 0 + 1)  # replace dL/dy by ones
    z = y * 5
    total(z).backward()
    np.testing.assert_allclose(np_of(x.grad), [2.0, 4.0])  # 1 * dy/dx


def test_hook_returning_none_keeps_grad_and_hooks_chain_in_order():
    x = leaf([1.0])
    calls = []
    x.register_hook(lambda g: calls.append("a"))
    x.register_hook(lambda g: (calls.append("b"), g * 2)[1])
    x.register_hook(lambda g: (calls.append("c"), g + 1)[1])
    (x * 3).backward(cr.ones(1))
    assert calls == ["a", "b", "c"]
    np.testing.assert_allclose(np_of(x.grad), [7.0])


def test_non_leaf_hook_removal_and_context_manager():
    x = leaf([1.0])
    y = x * 2
    with y.register_hook(lambda g: g * 100):
        pass  # removed on exit
    h = y.register_hook(lambda g: g * 100)
    h.remove()
    (y * 1).backward(cr.ones(1))
    np.testing.assert_allclose(np_of(x.grad), [2.0])


def test_hook_removal_after_tensor_is_gone():
    x = leaf([1.0])
    y = x * 2
    h = y.register_hook(lambda g: g * 100)
    z = y * 1
    del y
    h.remove()  # the node still exists (through z), the tensor does not
    z.backward(cr.ones(1))
    np.testing.assert_allclose(np_of(x.grad), [2.0])


def test_hook_errors():
    with pytest.raises(RuntimeError, match="register_hook: cannot register a hook"):
        cr.ones(1).register_hook(lambda g: g)
    x = leaf([1.0])
    with pytest.raises(TypeError, match="register_hook"):
        x.register_hook(3)


def _wrong_size(g):
    return cr.ones(3)


def _wrong_dtype(g):
    return g.double()


def _not_a_tensor(g):
    return 1.0


@pytest.mark.parametrize("non_leaf", [False, True])
@pytest.mark.parametrize(
    ("hook", "error", "message"),
    [
        (_wrong_size, RuntimeError, "hook '_wrong_size' has changed the size of value"),
        (_wrong_dtype, RuntimeError, "hook '_wrong_dtype' has changed the type of value"),
        (_not_a_tensor, TypeError, "hook '_not_a_tensor' returned a float"),
    ],
)
def test_hook_returning_a_bad_value_raises(non_leaf, hook, error, message):
    x = leaf([1.0, 2.0])
    t = x * 1 if non_leaf else x
    t.register_hook(hook)
    with pytest.raises(error, match=message):
        (t * 2).backward(cr.ones(2))
    assert x.grad is None


def test_exception_in_hook_propagates_and_state_stays_sane():
    x = leaf([1.0])

    def bad(g):
        raise ValueError("hook failed")

    h = x.register_hook(bad)
    with pytest.raises(ValueError, match="hook failed"):
        (x * 2).backward(cr.ones(1))
    assert cr.is_grad_enabled()
    h.remove()
    (x * 2).backward(cr.ones(1))
    np.testing.assert_allclose(np_of(x.grad), [2.0])


def test_backward_in_another_thread_runs_python_hooks():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g * 2)
    errors = []

    def work():
        try:
            (x * 3).backward(cr.ones(2))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
        t.join()
    assert errors == []
    np.testing.assert_allclose(np_of(x.grad), [12.0, 12.0])


# ---- autograd.grad -----------------------------------------------------------------------


def test_grad_multiple_inputs_does_not_touch_dot_grad():
    x, w = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    loss = total(x * w + x)
    dx, dw = cr.autograd.grad(loss, [x, w])
    np.testing.assert_allclose(np_of(dx), [4.0, 5.0])
    np.testing.assert_allclose(np_of(dw), [1.0, 2.0])
    assert x.grad is None
    assert w.grad is None


def test_grad_returns_tuple_for_single_tensor_input():
    x = leaf([2.0])
    out = cr.autograd.grad(x * x, x, cr.ones(1))
    assert isinstance(out, tuple)
    assert len(out) == 1
    np.testing.assert_allclose(np_of(out[0]), [4.0])


def test_grad_allow_unused():
    x, u = leaf([1.0]), leaf([1.0])
    y = x * 2
    with pytest.raises(RuntimeError, match="allow_unused=True"):
        cr.autograd.grad(y, [x, u], cr.ones(1), retain_graph=True)
    dx, du = cr.autograd.grad(y, [x, u], cr.ones(1), retain_graph=True, allow_unused=True)
    np.testing.assert_allclose(np_of(dx), [2.0])
    assert du is None
    dx, du = cr.autograd.grad(y, [x, u], cr.ones(1), materialize_grads=True)
    np.testing.assert_allclose(np_of(du), [0.0])


def test_grad_with_respect_to_non_leaf():
    x = leaf([1.0, 2.0])
    h = x * 3
    y = h * h
    (dh,) = cr.autograd.grad(y, h, cr.ones(2), retain_graph=True)
    np.testing.assert_allclose(np_of(dh), [6.0, 12.0])
    dh, dx = cr.autograd.grad(y, [h, x], cr.ones(2))
    np.testing.assert_allclose(np_of(dh), [6.0, 12.0])
    np.testing.assert_allclose(np_of(dx), [18.0, 36.0])


def test_grad_outputs_weight_each_output():
    x = leaf([1.0, 2.0])
    a, b = x * 2, x * x
    (dx,) = cr.autograd.grad([a, b], [x], [cr.tensor([1.0, 0.0]), cr.tensor([0.0, 1.0])])
    np.testing.assert_allclose(np_of(dx), [2.0, 4.0])
    s = leaf([3.0])
    (ds,) = cr.autograd.grad([s * 2, s * s], s, [None, cr.tensor([10.0])])  # None: implicit 1
    np.testing.assert_allclose(np_of(ds), [2.0 + 60.0])


def test_grad_matches_torch_on_a_small_mlp_like_graph():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    xv, wv = rng.standard_normal(4), rng.standard_normal(4)
    x, w = leaf(xv, cr.float64), leaf(wv, cr.float64)
    y = total((x * w).tanh() * (x - w).sigmoid() + (w * w + 1).log())
    gx, gw = cr.autograd.grad(y, (x, w))
    tx = torch.tensor(xv, requires_grad=True)
    tw = torch.tensor(wv, requires_grad=True)
    ty = ((tx * tw).tanh() * (tx - tw).sigmoid() + (tw * tw + 1).log()).sum()
    tgx, tgw = torch.autograd.grad(ty, (tx, tw))
    np.testing.assert_allclose(np_of(gx), tgx.numpy(), rtol=1e-12)
    np.testing.assert_allclose(np_of(gw), tgw.numpy(), rtol=1e-12)


def test_grad_errors():
    x = leaf([1.0, 2.0])
    with pytest.raises(NotImplementedError, match=r"create_graph=True .*not supported"):
        cr.autograd.grad(x * 2, x, cr.ones(2), create_graph=True)
    with pytest.raises(RuntimeError, match="grad: one of the differentiated tensors"):
        cr.autograd.grad(x * 2, cr.ones(2), cr.ones(2))
    with pytest.raises(RuntimeError, match="grad: grad can be implicitly created only for scalar"):
        cr.autograd.grad(x * 2, x)
    with pytest.raises(RuntimeError, match="grad: mismatch in shape"):
        cr.autograd.grad(x * 2, x, cr.ones(3))
    with pytest.raises(RuntimeError, match="grad: got 1 outputs but 2 gradients"):
        cr.autograd.grad(x * 2, x, [cr.ones(2), cr.ones(2)])
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.autograd.grad(cr.ones(2), x, cr.ones(2))
    with pytest.raises(TypeError, match="grad: inputs must be"):
        cr.autograd.grad(x * 2, [1.0], cr.ones(2))
    with pytest.raises(TypeError, match="grad: outputs must be"):
        cr.autograd.grad(3, x)
    with pytest.raises(RuntimeError, match="grad: inputs must not be empty"):
        cr.autograd.grad(x * 2, [], cr.ones(2))


def test_grad_applies_non_leaf_hooks_and_retain_grad():
    x = leaf([1.0, 2.0])
    y = x * 1
    y.retain_grad()
    y.register_hook(lambda g: g * 10)
    (dx,) = cr.autograd.grad(y * 2, x, cr.ones(2))
    np.testing.assert_allclose(np_of(dx), [20.0, 20.0])
    np.testing.assert_allclose(np_of(y.grad), [20.0, 20.0])
    assert x.grad is None


def test_grad_applies_leaf_hooks():
    x = leaf([1.0, 2.0])
    x.register_hook(lambda g: g * 10)
    (dx,) = cr.autograd.grad(x * 2, x, cr.ones(2))
    np.testing.assert_allclose(np_of(dx), [20.0, 20.0])


def test_grad_then_backward_on_retained_graph():
    x = leaf([1.0, 2.0])
    y = x.exp()
    (g,) = cr.autograd.grad(y, x, cr.ones(2), retain_graph=True)
    y.backward(cr.ones(2))
    np.testing.assert_allclose(np_of(g), np_of(x.grad))


# ---- saved tensors and in-place ops ---------------------------------------------------------


def test_modified_exp_output_raises_at_backward():
    x = leaf([1.0, 2.0])
    y = x.exp()
    y.add_(1)
    with pytest.raises(
        RuntimeError,
        match="ExpBackward0: one of the variables needed for "
        "gradient computation has been modified by an inplace operation",
    ):
        total(y).backward()


def test_modified_sigmoid_output_raises_at_backward():
    x = leaf([1.0, 2.0])
    y = x.sigmoid()
    y.mul_(2)
    with pytest.raises(RuntimeError, match=r"SigmoidBackward0.*modified by an inplace operation"):
        y.backward(cr.ones(2))


def test_modified_saved_input_raises_at_backward():
    x = leaf([1.0, 2.0])
    h = x * 1  # a non-leaf, so it may be modified in place
    y = h.log()  # LogBackward0 saves its input
    h.zero_()
    with pytest.raises(RuntimeError, match=r"LogBackward0.*modified by an inplace operation"):
        y.backward(cr.ones(2))


def test_modified_saved_tensor_that_needs_no_grad():
    w = cr.tensor([1.0, 2.0])  # no grad, but MulBackward0 saves it for x's gradient
    x = leaf([3.0, 4.0])
    y = x * w
    w.fill_(5.0)
    with pytest.raises(RuntimeError, match=r"MulBackward0.*modified by an inplace operation"):
        y.backward(cr.ones(2))


def test_inplace_on_leaf_requiring_grad_raises():
    x = leaf([1.0, 2.0])
    version = x._version
    with pytest.raises(RuntimeError, match="add_: a leaf Variable that requires grad"):
        x.add_(1)
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad"):
        x *= 2
    np.testing.assert_allclose(np_of(x), [1.0, 2.0])  # left unchanged
    assert x._version == version


def test_inplace_on_non_leaf_gradient_matches_torch():
    torch = pytest.importorskip("torch")
    values = [0.5, -1.0, 2.0]

    def run(lib, x):
        y = x * 2
        y.add_(1)
        y.mul_(x)  # y = (2x + 1) * x
        y += 3
        y.sub_(x)
        y /= 2
        z = y.exp()  # saves the final y
        return z * x

    x = leaf(values, cr.float64)
    out = run(cr, x)
    total(out).backward()
    tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    tout = run(torch, tx)
    tout.sum().backward()
    np.testing.assert_allclose(np_of(out), tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(np_of(x.grad), tx.grad.numpy(), rtol=1e-12)


def test_inplace_changes_grad_fn_and_version():
    x = leaf([1.0])
    y = x * 2
    v = y._version
    y.add_(1)
    assert y._version == v + 1
    assert y.grad_fn.name() == "AddBackward0"
    y.mul_(3)
    assert y.grad_fn.name() == "MulBackward0"
    y.backward(cr.ones(1))
    np.testing.assert_allclose(np_of(x.grad), [6.0])


def test_inplace_under_no_grad_on_non_leaf_is_still_version_checked():
    x = leaf([1.0, 2.0])
    y = x.exp()
    with cr.no_grad():
        y.mul_(2)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward(cr.ones(2))


# ---- anomaly detection ----------------------------------------------------------------------


def test_detect_anomaly_names_the_op():
    x = leaf([0.0, 1.0])
    y = x.sqrt()  # d sqrt at 0 = inf
    with (
        cr.autograd.detect_anomaly(),
        pytest.raises(RuntimeError, match="Function 'SqrtBackward0' returned nan or inf values"),
    ):
        y.backward(cr.ones(2))
    assert not cr.autograd.is_anomaly_enabled()


def test_without_anomaly_detection_inf_propagates_silently():
    x = leaf([0.0, 1.0])
    x.sqrt().backward(cr.ones(2))
    assert np.isinf(np_of(x.grad)[0])


def test_detect_anomaly_passes_finite_graphs_and_works_as_decorator():
    x = leaf([1.0, 4.0])

    @cr.autograd.detect_anomaly()
    def step():
        assert cr.autograd.is_anomaly_enabled()
        x.sqrt().backward(cr.ones(2))

    step()
    assert not cr.autograd.is_anomaly_enabled()
    np.testing.assert_allclose(np_of(x.grad), [0.5, 0.25])


def test_set_detect_anomaly_function_and_context():
    cr.autograd.set_detect_anomaly(True)
    try:
        assert cr.autograd.is_anomaly_enabled()
        x = leaf([-1.0])
        y = x.log()  # dx = 1/x is finite; log(-1) is nan but only gradients are checked
        y.backward(cr.ones(1))
        z = leaf([0.0])
        with pytest.raises(RuntimeError, match="LogBackward0"):
            z.log().backward(cr.ones(1))
    finally:
        cr.autograd.set_detect_anomaly(False)
    assert not cr.autograd.is_anomaly_enabled()
    with cr.autograd.set_detect_anomaly(True):
        assert cr.autograd.is_anomaly_enabled()
    assert not cr.autograd.is_anomaly_enabled()


def test_data_rebinding_to_a_new_shape_gets_gradients_of_that_shape() -> None:
    # `p.data = ...` with another shape or dtype: the next backward accumulates into a
    # gradient of the new shape, as in torch (the leaf's accumulator is remade).
    p = cr.zeros(3, requires_grad=True)
    (p * 2).sum().backward()
    p.data = cr.zeros(5, dtype=cr.float64)
    p.grad = None
    (p * 2).sum().backward()
    assert p.grad.shape == (5,)
    assert p.grad.dtype == cr.float64
    assert p.grad.tolist() == [2.0] * 5
