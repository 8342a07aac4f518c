"""autograd.gradcheck (on builtin ops and on Functions) and anomaly detection on Functions."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from _autograd_functions import Exp, MulAdd, Square, leaf, np_of, ones_like
from chainrule.autograd import Function, GradcheckError, gradcheck


class WrongSquare(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 3 * x * grad_output  # wrong: should be 2x


# ---- gradcheck -----------------------------------------------------------------------------


def test_gradcheck_passes_on_builtin_ops():
    x = leaf([0.3, -0.7, 1.1])
    w = leaf([1.5, 0.2, -0.4])
    assert gradcheck(lambda a, b: (a * b).tanh() + (a - b).sigmoid() * a.exp(), (x, w))
    assert gradcheck(lambda a: a.sin() / (a * a + 1), x)


def test_gradcheck_tuple_outputs_and_non_tensor_inputs():
    a, b, c = leaf([1.0, 2.0]), leaf([3.0, -1.0]), leaf([0.5, 0.25])
    assert gradcheck(MulAdd.apply, (a, b, c, 1.5))


def test_gradcheck_passes_on_correct_function():
    assert gradcheck(Square.apply, (leaf([1.0, -2.0, 0.5]),))
    assert gradcheck(Exp.apply, (leaf([0.1, 0.2]),))


def test_gradcheck_only_checks_inputs_that_require_grad():
    x = leaf([1.0, 2.0])
    c = cr.tensor(np.array([3.0, 4.0]))
    assert gradcheck(lambda a, k: a * k, (x, c))


def test_gradcheck_raises_on_wrong_function_naming_worst_element():
    x = leaf([1.0, -2.0, 0.5])
    with pytest.raises(GradcheckError, match="gradcheck: Jacobian mismatch") as info:
        gradcheck(WrongSquare.apply, (x,))
    msg = str(info.value)
    assert "input 0, element 1" in msg  # |3x - 2x| is largest at x = -2
    assert "numerical -4" in msg
    assert "analytical -6" in msg
    assert isinstance(info.value, RuntimeError)
    assert gradcheck(WrongSquare.apply, (x,), raise_exception=False) is False


def test_gradcheck_worst_element_among_several_inputs():
    class WrongSecond(Function):
        @staticmethod
        def forward(ctx, a, b):
            ctx.save_for_backward(a, b)
            return a * b

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            return g * b, g * a * 1.01

    a, b = leaf([1.0, 5.0]), leaf([2.0, 3.0])
    with pytest.raises(
        GradcheckError,
        match=r"with respect to input 1; worst element: input 1, "
        r"element 1",
    ):
        gradcheck(WrongSecond.apply, (a, b))


def test_gradcheck_restores_inputs_and_leaves_grad_alone():
    x = leaf([0.3, 0.6])
    before = np_of(x).copy()
    version = x._version
    gradcheck(lambda a: a.exp(), (x,))
    np.testing.assert_array_equal(np_of(x), before)
    assert x._version == version
    assert x.grad is None


def test_gradcheck_tolerances():
    class SlightlyOff(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * 2.01

    x = leaf([1.0])
    with pytest.raises(GradcheckError):
        gradcheck(SlightlyOff.apply, (x,))
    assert gradcheck(SlightlyOff.apply, (x,), atol=1e-2)
    assert gradcheck(SlightlyOff.apply, (x,), rtol=1e-2)


def test_gradcheck_float32_input_still_runs():
    x = leaf([0.5, 1.0], dtype=cr.float32)
    assert gradcheck(lambda a: a * 3, (x,), eps=1e-3, atol=1e-3, rtol=1e-2)


def test_gradcheck_argument_errors():
    with pytest.raises(
        ValueError, match="gradcheck: expected at least one input tensor to require gradient"
    ):
        gradcheck(lambda a: a * 2, (cr.tensor(np.array([1.0])),))


def test_gradcheck_detects_missing_gradient():
    class Forgets(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g * 0 + 1, None  # wrong for a, and no gradient for b

    a, b = leaf([2.0]), leaf([3.0])
    with pytest.raises(GradcheckError, match=r"numerical (3 vs analytical 1|2 vs analytical 0)"):
        gradcheck(Forgets.apply, (a, b))


# ---- anomaly detection with Functions ------------------------------------------------------


def test_detect_anomaly_names_a_function_returning_nan():
    class NanGrad(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            return g * float("nan")

    x = leaf([1.0])
    y = NanGrad.apply(x)
    with (
        cr.autograd.detect_anomaly(),
        pytest.raises(
            RuntimeError, match="Function 'NanGradBackward' returned nan or inf values in its 0th"
        ),
    ):
        y.backward(ones_like(y), retain_graph=True)
    y.backward(ones_like(y))  # without anomaly detection the NaN flows into .grad
    assert np.isnan(np_of(x.grad)).all()
