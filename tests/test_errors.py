"""Bad input raises a clear Python exception naming the op, and leaves state unchanged."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def test_broadcast_mismatch_names_op_and_shapes() -> None:
    with pytest.raises(ValueError, match=r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"):
        cr.ones(2, 3) + cr.ones(4)
    with pytest.raises(ValueError, match="mul"):
        cr.ones(2, 3) * cr.ones(2)
    with pytest.raises(ValueError, match="where"):
        cr.where(cr.ones(3, dtype=cr.bool), cr.ones(2), cr.ones(3))


def test_wrong_operand_types() -> None:
    with pytest.raises(TypeError, match="add"):
        cr.ones(2) + "a"
    with pytest.raises(TypeError, match="mul"):
        cr.ones(2) * [1, 2]
    assert (cr.ones(2) == None) is False  # noqa: E711  (identity fallback, as in torch)


def test_bool_arithmetic_restrictions() -> None:
    b = cr.ones(2, dtype=cr.bool)
    with pytest.raises(TypeError, match="sub"):
        b - b
    with pytest.raises(TypeError, match="neg"):
        -b
    with pytest.raises(TypeError, match="bitwise_not"):
        ~cr.ones(2)


def test_float_only_ops_and_masks() -> None:
    with pytest.raises(TypeError, match="where"):
        cr.where(cr.ones(2), cr.ones(2), cr.ones(2))
    with pytest.raises(TypeError, match="masked_fill"):
        cr.ones(2).masked_fill(cr.ones(2), 0.0)
    with pytest.raises(ValueError, match="masked_fill"):
        cr.ones(2).masked_fill(cr.ones(3, dtype=cr.bool), 0.0)
    with pytest.raises(ValueError, match="clamp"):
        cr.clamp(cr.ones(2))


def test_inplace_rules() -> None:
    leaf = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        leaf.add_(1.0)
    i = cr.ones(3, dtype=cr.int64)
    with pytest.raises(TypeError, match="can't be cast"):
        i.add_(1.5)
    before = i.tolist()
    with pytest.raises(ValueError, match="mul_"):
        i.mul_(cr.ones(2, 3, dtype=cr.int64))
    assert i.tolist() == before  # nothing half-written
    ro = np.ones(3, dtype=np.float32)
    ro.setflags(write=False)
    with pytest.raises(RuntimeError, match="read-only"):
        cr.from_numpy(ro).add_(1.0)


def test_requires_grad_rules() -> None:
    with pytest.raises(RuntimeError, match="floating point"):
        cr.ones(2, dtype=cr.int64).requires_grad_()
    y = cr.ones(2, requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="leaf"):
        y.requires_grad = False


def test_backward_errors() -> None:
    x = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="implicitly created only for scalar outputs"):
        (x * 2).backward()
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.ones(3).backward(cr.ones(3))
    with pytest.raises(RuntimeError, match="mismatch in shape"):
        (x * 2).backward(cr.ones(2))
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()


def test_modified_saved_tensor_is_rejected() -> None:
    x = cr.ones(3, requires_grad=True)
    y = x.exp()
    z = (y * 2).sum()
    with cr.no_grad():
        y.mul_(2.0)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.sum().backward()
    del z


def test_numpy_import_errors() -> None:
    with pytest.raises(TypeError, match="from_numpy.*int32"):
        cr.from_numpy(np.zeros(3, dtype=np.int32))
    with pytest.raises(ValueError, match="negative"):
        cr.from_numpy(np.zeros(3, dtype=np.float32)[::-1])
    with pytest.raises(TypeError, match="tensor"):
        cr.tensor(object())


def test_factory_errors() -> None:
    with pytest.raises(ValueError, match="empty: negative dimension"):
        cr.zeros(2, -1)
    with pytest.raises(ValueError, match="arange"):
        cr.arange(0, 10, -1)
    with pytest.raises(ValueError, match="arange"):
        cr.arange(0, 1, 0)
    with pytest.raises(ValueError, match="randint"):
        cr.randint(5, 5, (2,))
    with pytest.raises(ValueError, match="eye"):
        cr.eye(-1)
    with pytest.raises(ValueError, match="linspace"):
        cr.linspace(0, 1, -2)
    with pytest.raises(ValueError, match="set_num_threads"):
        cr.set_num_threads(0)
    with pytest.raises(TypeError, match="dtype"):
        cr.zeros(2, dtype="float32")


def test_empty_rejects_byte_counts_that_overflow() -> None:
    with pytest.raises(RuntimeError, match=r"empty: shape \(4611686018427387904,\)"):
        cr.empty(2**62)
    with pytest.raises(RuntimeError, match="empty"):
        cr.empty(2**32, 2**32, dtype=cr.float64)
    assert cr.empty(2**62, 0).numel() == 0


def test_generator_state_round_trip_and_errors() -> None:
    g = cr.Generator()
    g.manual_seed(5)
    state = g.get_state()
    a = cr.randn(4, generator=g)  # Box-Muller caches a normal: the state must carry it
    g.set_state(state)
    assert cr.equal(a, cr.randn(4, generator=g))
    with pytest.raises(ValueError, match="set_state"):
        g.set_state(cr.zeros(3, dtype=cr.int64))
    with pytest.raises(ValueError, match="set_state"):
        cr.set_rng_state(cr.zeros(7, dtype=cr.int64))


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
    "conv2d(): argument 'weight' (position 2) must be Tensor, not str":
        lambda: cr.nn.functional.conv2d(_X, weight="w"),
    "mm(): argument 'mat2' (position 1) must be Tensor, not object":
        lambda: cr.ones(2, 2).mm(object()),
    "exp(): argument 'self' must be Tensor, not NoneType": lambda: cr.Tensor.exp(None),
    "exp(): argument 'input' (position 1) must be Tensor, not ndarray":
        lambda: cr.exp(np.ones(2)),
    "unsqueeze(): argument 'dim' (position 2) must be int, not NoneType":
        lambda: cr.unsqueeze(cr.ones(2), None),
    "mean(): argument 'keepdim' (position 2) must be bool, not str":
        lambda: cr.ones(2).mean(0, "x"),
    "__init__(): argument 'data' (position 1) must be Tensor, not str": lambda: cr.Tensor("x"),
    "data: the assigned value must be Tensor, not NoneType":
        lambda: setattr(cr.ones(2), "data", None),
    # Python-level functions say the same.
    "zeros_like(): argument 'input' (position 1) must be Tensor, not NoneType":
        lambda: cr.zeros_like(None),
    "softsign(): argument 'input' (position 1) must be Tensor, not str":
        lambda: cr.nn.functional.softsign("x"),
    "xavier_uniform_(): argument 'tensor' (position 1) must be Tensor, not NoneType":
        lambda: cr.nn.init.xavier_uniform_(None),
    "scaled_dot_product_attention(): argument 'key' (position 2) must be Tensor, not NoneType":
        lambda: cr.nn.functional.scaled_dot_product_attention(cr.ones(2, 2), None, None),
    "type_as(): argument 'other' (position 1) must be Tensor, not NoneType":
        lambda: cr.ones(2).type_as(None),
    "clip_grad_norm_(): argument 'parameters' (position 1) must be a Tensor or an iterable of "
    "Tensors; got an element of type str": lambda: cr.nn.utils.clip_grad_norm_("x", 1.0),
    "flatten(): argument 'input' (position 1) must be Tensor, not NoneType":
        lambda: cr.nn.Flatten()(None),
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
    assert cr.nn.functional.cross_entropy(cr.ones(2, 3), cr.zeros(2, dtype=cr.int64),
                                          weight=None).ndim == 0
    y = (cr.ones(2, requires_grad=True) * 2).sum()
    y.backward(None)
    assert cr.sum(cr.ones(2, 3), dim=None).item() == 6.0
