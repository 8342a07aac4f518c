"""What the autograd.Function tests share: float64 leaves, a NumPy view, and three small
Functions (one output saving its input, one saving its output, two outputs with a number)."""

from __future__ import annotations

import numpy as np

import chainrule as cr
from chainrule.autograd import Function


def leaf(values, dtype=cr.float64):
    np_dtype = np.float64 if dtype == cr.float64 else np.float32
    return cr.tensor(np.asarray(values, dtype=np_dtype), dtype=dtype, requires_grad=True)


def np_of(t):
    return t.detach().numpy()


def ones_like(t):
    return cr.ones_like(t)


class Square(Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad_output):
        (x,) = ctx.saved_tensors
        return 2 * x * grad_output


class Exp(Function):
    """Saves its output, like ExpBackward0."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad_output):
        (y,) = ctx.saved_tensors
        return grad_output * y


class MulAdd(Function):
    """(a * b + c * k, a - b): two outputs, a Python number argument."""

    @staticmethod
    def forward(ctx, a, b, c, k):
        ctx.save_for_backward(a, b)
        ctx.k = k
        return a * b + c * k, a - b

    @staticmethod
    def backward(ctx, g0, g1):
        a, b = ctx.saved_tensors
        da = g0 * b + g1 if ctx.needs_input_grad[0] else None
        db = g0 * a - g1 if ctx.needs_input_grad[1] else None
        dc = g0 * ctx.k if ctx.needs_input_grad[2] else None
        return da, db, dc, None
