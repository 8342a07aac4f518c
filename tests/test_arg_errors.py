"""A value of the wrong type (None, a str, object()) for an argument raises a TypeError that
names the function and the argument (issue #11); the wider sweep is test_none_sweep.py."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

_X = cr.ones(1, 1, 3, 3)

# Issue #11: None where a tensor is expected used to load as an undefined tensor that the op
# then dereferenced (a segfault).
NONE_FOR_A_TENSOR = {
    "exp": lambda: cr.exp(None),
    "sum": lambda: cr.sum(None),
    "relu": lambda: cr.nn.functional.relu(None),
    "conv2d": lambda: cr.nn.functional.conv2d(_X, None),
    "conv2d(weight=None)": lambda: cr.nn.functional.conv2d(_X, weight=None),
    "mm": lambda: cr.ones(2, 2).mm(None),
    "masked_fill": lambda: cr.ones(2).masked_fill(None, 0),
    "Tensor.exp(None)": lambda: cr.Tensor.exp(None),
    "matmul": lambda: cr.matmul(cr.ones(2, 2), None),
    "cross_entropy": lambda: cr.nn.functional.cross_entropy(None, None),
}


@pytest.mark.parametrize("call", NONE_FOR_A_TENSOR.values(), ids=NONE_FOR_A_TENSOR.keys())
def test_none_for_a_tensor_is_a_type_error(call) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TypeError, match=r"argument '\w+'.* must be Tensor, not NoneType"):
        call()


# The C++ ops name the argument as torch does (position from 1, self not counted).
ARGUMENT_ERRORS = {
    "exp(): argument 'input' (position 1) must be Tensor, not NoneType": lambda: cr.exp(None),
    "conv2d(): argument 'weight' (position 2) must be Tensor, not str": lambda: (
        cr.nn.functional.conv2d(_X, weight="w")
    ),
    "mm(): argument 'mat2' (position 1) must be Tensor, not object": lambda: cr.ones(2, 2).mm(
        object()
    ),
    "exp(): argument 'self' must be Tensor, not NoneType": lambda: cr.Tensor.exp(None),
    "exp(): argument 'input' (position 1) must be Tensor, not ndarray": lambda: cr.exp(np.ones(2)),
    "unsqueeze(): argument 'dim' (position 2) must be int, not NoneType": lambda: cr.unsqueeze(
        cr.ones(2), None
    ),
    "mean(): argument 'keepdim' (position 2) must be bool, not str": lambda: cr.ones(2).mean(
        0, "x"
    ),
    "__init__(): argument 'data' (position 1) must be Tensor, not str": lambda: cr.Tensor("x"),
    "data: the assigned value must be Tensor, not NoneType": lambda: setattr(
        cr.ones(2), "data", None
    ),
    # Python-level functions say the same.
    "zeros_like(): argument 'input' (position 1) must be Tensor, not NoneType": lambda: (
        cr.zeros_like(None)
    ),
    "softsign(): argument 'input' (position 1) must be Tensor, not str": lambda: (
        cr.nn.functional.softsign("x")
    ),
    "xavier_uniform_(): argument 'tensor' (position 1) must be Tensor, not NoneType": lambda: (
        cr.nn.init.xavier_uniform_(None)
    ),
    (
        "scaled_dot_product_attention(): argument 'key' (position 2) must be Tensor, not NoneType"
    ): lambda: cr.nn.functional.scaled_dot_product_attention(cr.ones(2, 2), None, None),
    "type_as(): argument 'other' (position 1) must be Tensor, not NoneType": lambda: cr.ones(
        2
    ).type_as(None),
    "clip_grad_norm_(): argument 'parameters' (position 1) must be a Tensor or an iterable of "
    "Tensors; got an element of type str": lambda: cr.nn.utils.clip_grad_norm_("x", 1.0),
    "flatten(): argument 'input' (position 1) must be Tensor, not NoneType": lambda: (
        cr.nn.Flatten()(None)
    ),
}


@pytest.mark.parametrize("message", ARGUMENT_ERRORS)
def test_a_wrong_argument_type_names_the_function_and_argument(message: str) -> None:
    with pytest.raises(TypeError) as info:
        ARGUMENT_ERRORS[message]()
    assert str(info.value) == message


def test_overloads_keep_the_list_of_signatures() -> None:
    # cr.max has several overloads: which argument is wrong depends on the one meant.
    with pytest.raises(TypeError, match=r"max\(\): incompatible function arguments"):
        cr.max(None)


def test_arguments_that_may_be_none_still_take_none() -> None:
    x, w = cr.ones(1, 1, 3, 3), cr.ones(1, 1, 2, 2)
    assert cr.nn.functional.conv2d(x, w, None).shape == (1, 1, 2, 2)
    assert cr.nn.functional.linear(cr.ones(2, 3), cr.ones(4, 3), None).shape == (2, 4)
    assert cr.nn.functional.layer_norm(cr.ones(2, 3), (3,), None, None).shape == (2, 3)
    assert (
        cr.nn.functional.cross_entropy(cr.ones(2, 3), cr.zeros(2, dtype=cr.int64), weight=None).ndim
        == 0
    )
    y = (cr.ones(2, requires_grad=True) * 2).sum()
    y.backward(None)
    assert cr.sum(cr.ones(2, 3), dim=None).item() == 6.0
