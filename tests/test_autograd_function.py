"""cr.autograd.Function (user-defined ops): values, gradients, ctx, saved tensors and error
paths (gradcheck and anomaly detection are in test_autograd_gradcheck.py)."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import weakref

import numpy as np
import pytest

import chainrule as cr
from _autograd_functions import Exp, MulAdd, Square, leaf, np_of, ones_like
from chainrule.autograd import Function

# ---- basics ----------------------------------------------------------------------------------


def test_single_output_value_grad_and_node():
    x = leaf([1.0, -2.0, 3.0])
    y = Square.apply(x)
    np.testing.assert_allclose(np_of(y), [1.0, 4.0, 9.0])
    assert y.requires_grad
    assert not y.is_leaf
    assert y.grad_fn.name() == "SquareBackward"
    assert "grad_fn=<SquareBackward>" in repr(y)
    ((acc, nr),) = y.grad_fn.next_functions
    assert acc.name() == "AccumulateGrad"
    assert nr == 0
    y.backward(ones_like(y))
    np.testing.assert_allclose(np_of(x.grad), [2.0, -4.0, 6.0])


def test_function_composes_with_builtin_ops_and_matches_torch():
    torch = pytest.importorskip("torch")
    values = [0.1, 0.7, -0.4]
    x = leaf(values)
    y = Exp.apply(Square.apply(x.sin()) + 1) * x
    y.backward(ones_like(y))
    tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    ty = ((tx.sin() ** 2) + 1).exp() * tx
    ty.sum().backward()
    np.testing.assert_allclose(np_of(y), ty.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(np_of(x.grad), tx.grad.numpy(), rtol=1e-12)


def test_multiple_outputs_and_non_tensor_argument():
    a, b, c = leaf([1.0, 2.0]), leaf([3.0, 4.0]), leaf([5.0, 6.0])
    s, d = MulAdd.apply(a, b, c, 10.0)
    np.testing.assert_allclose(np_of(s), [53.0, 68.0])
    np.testing.assert_allclose(np_of(d), [-2.0, -2.0])
    assert s.grad_fn == d.grad_fn
    assert (s.output_nr, d.output_nr) == (0, 1)
    assert len(s.grad_fn.next_functions) == 3  # one edge per tensor input
    cr.autograd.backward([s, d], [ones_like(s), cr.full((2,), 2.0, dtype=cr.float64)])
    np.testing.assert_allclose(np_of(a.grad), [3.0 + 2.0, 4.0 + 2.0])
    np.testing.assert_allclose(np_of(b.grad), [1.0 - 2.0, 2.0 - 2.0])
    np.testing.assert_allclose(np_of(c.grad), [10.0, 10.0])


def test_unused_output_gets_zero_gradient():
    a, b, c = leaf([1.0]), leaf([3.0]), leaf([5.0])
    s, _ = MulAdd.apply(a, b, c, 2.0)
    s.backward(ones_like(s))
    np.testing.assert_allclose(np_of(a.grad), [3.0])  # g1 was zero-filled
    np.testing.assert_allclose(np_of(b.grad), [1.0])


def test_needs_input_grad():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x, y, k):
            seen["needs"] = ctx.needs_input_grad
            seen["grad_mode"] = cr.is_grad_enabled()
            seen["inner_requires_grad"] = (x * 2).requires_grad
            return x * y * k

        @staticmethod
        def backward(ctx, g):
            seen["backward_needs"] = ctx.needs_input_grad
            return g, None, None

    x = leaf([1.0])
    y = cr.tensor([2.0], dtype=cr.float64)
    out = Probe.apply(x, y, 3)
    assert seen["needs"] == (True, False, False)
    assert seen["grad_mode"] is False  # forward runs under no_grad
    assert seen["inner_requires_grad"] is False
    out.backward(ones_like(out))
    assert seen["backward_needs"] == (True, False, False)
    np.testing.assert_allclose(np_of(x.grad), [1.0])


def test_backward_may_return_none_for_an_input():
    class FirstOnly(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a + b

        @staticmethod
        def backward(ctx, g):
            return g, None

    a, b = leaf([1.0]), leaf([2.0])
    out = FirstOnly.apply(a, b)
    out.backward(ones_like(out))
    np.testing.assert_allclose(np_of(a.grad), [1.0])
    assert b.grad is None  # a leaf reached only through a None gradient keeps grad None
    (da, db) = cr.autograd.grad(
        FirstOnly.apply(a, b), [a, b], cr.ones(1, dtype=cr.float64), allow_unused=True
    )
    np.testing.assert_allclose(np_of(da), [1.0])
    assert db is None or float(np_of(db)[0]) == 0.0


def test_single_gradient_may_be_returned_without_tuple():
    x = leaf([2.0])
    y = Square.apply(x)
    y.backward(ones_like(y))
    np.testing.assert_allclose(np_of(x.grad), [4.0])


def test_broadcast_gradient_is_summed_to_input_shape():
    class Expand(Function):
        @staticmethod
        def forward(ctx, x):
            return x * cr.ones((2, 3), dtype=x.dtype)

        @staticmethod
        def backward(ctx, g):
            return g  # shape (2, 3) for an input of shape (3,)

    x = leaf([1.0, 2.0, 3.0])
    y = Expand.apply(x)
    y.backward(ones_like(y))
    np.testing.assert_allclose(np_of(x.grad), [2.0, 2.0, 2.0])


def test_kwargs_and_setup_context_style():
    class Scale(Function):
        @staticmethod
        def forward(x, *, factor=2.0):
            return x * factor

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.factor = 3.0  # forward's kwargs are not passed here; use a fixed factor

        @staticmethod
        def backward(ctx, g):
            return g * ctx.factor

    x = leaf([1.0])
    y = Scale.apply(x, factor=3.0)
    np.testing.assert_allclose(np_of(y), [3.0])
    y.backward(ones_like(y))
    np.testing.assert_allclose(np_of(x.grad), [3.0])


def test_no_graph_when_no_input_requires_grad_or_under_no_grad():
    x = cr.tensor(np.array([2.0]))
    y = Square.apply(x)
    assert y.grad_fn is None
    assert not y.requires_grad
    with cr.no_grad():
        z = Square.apply(leaf([2.0]))
    assert z.grad_fn is None
    assert not z.requires_grad


def test_returning_an_input_gives_a_new_tensor():
    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            return x

        @staticmethod
        def backward(ctx, g):
            return g * 2

    x = leaf([1.0, 2.0])
    y = Identity.apply(x)
    assert y is not x
    assert x.is_leaf
    assert x.grad_fn is None
    assert y.grad_fn.name() == "IdentityBackward"
    y.backward(ones_like(y))
    np.testing.assert_allclose(np_of(x.grad), [2.0, 2.0])


def test_mark_non_differentiable_and_integer_outputs():
    class SortLike(Function):
        @staticmethod
        def forward(ctx, x):
            values = x * 1.0
            mask = x * 0.0
            idx = cr.tensor(np.argsort(x.detach().numpy()))
            ctx.mark_non_differentiable(mask)
            return values, mask, idx

        @staticmethod
        def backward(ctx, g_values, g_mask, g_idx):
            assert float(np.abs(np_of(g_mask)).sum()) == 0.0
            return g_values

    x = leaf([3.0, 1.0])
    values, mask, idx = SortLike.apply(x)
    assert values.requires_grad
    assert not mask.requires_grad
    assert mask.grad_fn is None
    assert idx.dtype == cr.int64
    assert not idx.requires_grad
    values.backward(ones_like(values))
    np.testing.assert_allclose(np_of(x.grad), [1.0, 1.0])


class ScaleInplace(Function):
    """x *= 3 in place, declared with mark_dirty."""

    @staticmethod
    def forward(ctx, x):
        x.mul_(3)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 3


def test_mark_dirty_rewrites_the_input_history():
    x = leaf([1.0, 2.0])
    h = x * 2
    out = ScaleInplace.apply(h)
    assert out is h
    assert h.grad_fn.name() == "ScaleInplaceBackward"
    assert h.grad_fn.next_functions[0][0].name() == "MulBackward0"
    np.testing.assert_allclose(np_of(h), [6.0, 12.0])
    (h * h).backward(ones_like(h))
    np.testing.assert_allclose(np_of(x.grad), 2 * np.array([6.0, 12.0]) * 3 * 2)


def test_mark_dirty_errors():
    x = leaf([1.0, 2.0])
    with pytest.raises(
        RuntimeError,
        match="ScaleInplaceBackward: a leaf Variable that requires "
        "grad is being used in an in-place operation",
    ):
        ScaleInplace.apply(x)

    class Forgets(Function):
        @staticmethod
        def forward(ctx, x):
            x.add_(1)
            ctx.mark_dirty(x)
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(
        RuntimeError,
        match=r"ForgetsBackward: a tensor marked dirty with "
        r"ctx\.mark_dirty was not returned",
    ):
        Forgets.apply(leaf([1.0]) * 1)


def test_non_tensor_outputs_get_none_gradients():
    class WithInfo(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2, "info"

        @staticmethod
        def backward(ctx, g, g_info):
            assert g_info is None
            return g * 2

    x = leaf([1.0])
    y, info = WithInfo.apply(x)
    assert info == "info"
    y.backward(ones_like(y))
    np.testing.assert_allclose(np_of(x.grad), [2.0])


def test_ctx_attributes_and_many_saved_tensors():
    class Poly(Function):
        @staticmethod
        def forward(ctx, x, y):
            ctx.save_for_backward(x, None, y)
            ctx.scale = 0.5
            ctx.note = {"power": 2}
            return (x * x * y) * 0.5

        @staticmethod
        def backward(ctx, g):
            x, nothing, y = ctx.saved_tensors
            assert nothing is None
            assert ctx.note == {"power": 2}
            return g * x * y * 2 * ctx.scale, g * x * x * ctx.scale

    x, y = leaf([2.0]), leaf([3.0])
    out = Poly.apply(x, y)
    out.backward(ones_like(out))
    np.testing.assert_allclose(np_of(x.grad), [6.0])
    np.testing.assert_allclose(np_of(y.grad), [2.0])


def test_saved_input_is_the_input_itself():
    seen = {}

    class Keep(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * 2

        @staticmethod
        def backward(ctx, g):
            (seen["saved"],) = ctx.saved_tensors
            return g * 2

    x = leaf([1.0])
    y = Keep.apply(x)
    y.backward(ones_like(y))
    assert seen["saved"] is x


def test_autograd_grad_inside_backward_on_a_separate_graph():
    """Recompute-in-backward (checkpointing): a nested walk over a detached graph."""

    class Checkpointed(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return (x * x).exp()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            with cr.enable_grad():
                xd = x.detach().requires_grad_()
                (dx,) = cr.autograd.grad((xd * xd).exp(), xd, g)
            return dx

    x = leaf([0.5, 1.0])
    y = Checkpointed.apply(x) * x
    y.backward(ones_like(y))
    v = np.array([0.5, 1.0])
    np.testing.assert_allclose(np_of(x.grad), 2 * v * np.exp(v * v) * v + np.exp(v * v))


_REENTRANT_SHARED_LEAF = textwrap.dedent(
    """
    import numpy as np
    import chainrule as cr

    class Inner(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return (x * x).exp()

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors  # the leaf itself: the nested walk shares its node
            with cr.enable_grad():
                (dx,) = cr.autograd.grad((x * x).exp(), x, g)
            return dx

    x = cr.tensor(np.array([0.5, 1.0]), requires_grad=True)
    y = Inner.apply(x) * x
    y.backward(cr.ones(2, dtype=cr.float64))
    v = np.array([0.5, 1.0])
    np.testing.assert_allclose(x.grad.numpy(), 2 * v * np.exp(v * v) * v + np.exp(v * v))
    """
)


def test_autograd_grad_inside_backward_sharing_a_leaf():
    # In a subprocess: the failure mode is a crash, which must not take pytest down.
    proc = subprocess.run(
        [sys.executable, "-c", _REENTRANT_SHARED_LEAF],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr


# ---- saved tensors: version checks, release, cycles ---------------------------------------


def test_modified_saved_input_raises_naming_the_function():
    x = leaf([1.0, 2.0])
    h = x * 1
    y = Square.apply(h)
    h.add_(1)
    with pytest.raises(
        RuntimeError,
        match="SquareBackward: one of the variables needed for gradient computation has been "
        "modified by an inplace operation",
    ):
        y.backward(ones_like(y))


def test_modified_saved_output_raises():
    x = leaf([1.0, 2.0])
    y = Exp.apply(x)
    y.mul_(2)
    assert y.grad_fn.name() == "MulBackward0"
    with pytest.raises(RuntimeError, match=r"ExpBackward: .*modified by an inplace operation"):
        y.backward(ones_like(y))


def test_second_backward_needs_retain_graph_only_with_saved_tensors():
    x = leaf([1.0])
    y = Square.apply(x)
    y.backward(ones_like(y), retain_graph=True)
    y.backward(ones_like(y))
    np.testing.assert_allclose(np_of(x.grad), [4.0])
    with pytest.raises(
        RuntimeError,
        match=r"SquareBackward: trying to backward through the "
        r"graph a second time.*retain_graph=True",
    ):
        y.backward(ones_like(y))

    class Double(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2

    z = Double.apply(x)
    z.backward(ones_like(z))
    z.backward(ones_like(z))  # nothing saved, nothing to free


def test_no_reference_cycle_through_saved_output():
    class Marker:
        pass

    # A list holds the only strong reference: the closure below reads the list, so clearing it
    # leaves the ctx's reference as the last one.
    holder = [Marker()]
    ref = weakref.ref(holder[0])

    class Tag(Function):
        @staticmethod
        def forward(ctx, x):
            out = x * 2
            ctx.save_for_backward(out)
            ctx.marker = holder[0]
            return out

        @staticmethod
        def backward(ctx, g):
            return g * 2

    z = Tag.apply(leaf([1.0]))
    assert z.grad_fn.name() == "TagBackward"
    holder.clear()
    assert ref() is not None
    gc.disable()
    try:
        del z  # frees node -> ctx -> marker by reference counting alone: no cycle
        assert ref() is None
    finally:
        gc.enable()


# ---- error paths ---------------------------------------------------------------------------


def test_wrong_number_of_gradients():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g, g

    class TooFew(Function):
        @staticmethod
        def forward(ctx, x, y):
            return x * y

        @staticmethod
        def backward(ctx, g):
            return (g,)

    x = leaf([1.0])
    y = TooMany.apply(x)
    with pytest.raises(
        RuntimeError,
        match=r"function TooManyBackward returned an incorrect number of gradients "
        r"\(expected 1, got 2\)",
    ):
        y.backward(ones_like(y))
    z = TooFew.apply(x, x)
    with pytest.raises(RuntimeError, match=r"TooFewBackward .*\(expected 2, got 1\)"):
        z.backward(ones_like(z))


def test_extra_trailing_none_gradients_are_accepted():
    class Extra(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2, None, None

    x = leaf([1.0])
    y = Extra.apply(x)
    y.backward(ones_like(y))
    np.testing.assert_allclose(np_of(x.grad), [2.0])


def test_wrong_gradient_shape():
    class BadShape(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return cr.ones(3, dtype=cr.float64)

    x = leaf([1.0, 2.0])
    y = BadShape.apply(x)
    with pytest.raises(
        RuntimeError,
        match=r"function BadShapeBackward returned an invalid gradient at index 0 - got \(3,\) "
        r"but expected shape compatible with \(2,\)",
    ):
        y.backward(ones_like(y))


def test_wrong_gradient_type_and_gradient_for_non_tensor_input():
    class NotATensor(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return 2.0

    class GradForNumber(Function):
        @staticmethod
        def forward(ctx, x, k):
            return x * k

        @staticmethod
        def backward(ctx, g):
            return g * 2, g

    x = leaf([1.0])
    y = NotATensor.apply(x)
    with pytest.raises(TypeError, match="function NotATensorBackward returned a float"):
        y.backward(ones_like(y))
    z = GradForNumber.apply(x, 2.0)
    with pytest.raises(
        RuntimeError,
        match="GradForNumberBackward returned a gradient different than None at position 2",
    ):
        z.backward(ones_like(z))


def test_exception_in_backward_propagates():
    class Boom(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            raise ValueError("boom in backward")

    x = leaf([1.0])
    y = Boom.apply(x)
    with pytest.raises(ValueError, match="boom in backward"):
        y.backward(ones_like(y))
    assert cr.is_grad_enabled()


def test_misuse_errors():
    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

    class NoForward(Function):
        pass

    with pytest.raises(RuntimeError, match=r"Square: autograd\.Function is not instantiated"):
        Square()
    with pytest.raises(NotImplementedError, match="forward"):
        NoForward.apply(leaf([1.0]))
    y = NoBackward.apply(leaf([1.0]))
    with pytest.raises(NotImplementedError, match="backward"):
        y.backward(ones_like(y))

    class SavesNumber(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x, 3)
            return x

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(TypeError, match="save_for_backward can only save Tensors or None"):
        SavesNumber.apply(leaf([1.0]))
