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
        _ = -b
    with pytest.raises(TypeError, match="bitwise_not"):
        ~cr.ones(2)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda b, f, i: f - b, TypeError, "sub: subtraction with a bool tensor"),
        (lambda b, f, i: b - 1, TypeError, "sub: subtraction with a bool tensor"),
        (lambda b, f, i: f - True, TypeError, "sub: subtraction with a bool tensor"),
        (lambda b, f, i: True - i, TypeError, "sub: subtraction with a bool tensor"),
        (lambda b, f, i: f.clone().sub_(b), TypeError, "sub_: subtraction with a bool"),
        (lambda b, f, i: cr.add(i, b, alpha=2.5), TypeError, "add: for integral input"),
        (lambda b, f, i: i.sub(1, alpha=2.0), TypeError, "sub: for integral input"),
        (lambda b, f, i: b.add(b, alpha=0.5), TypeError, "add: for integral input"),
        (lambda b, f, i: i.clone().add_(1, alpha=0.5), TypeError, "add_: for integral input"),
        (lambda b, f, i: f.add(f, alpha=True), TypeError, "add: a bool alpha"),
        (lambda b, f, i: b.abs(), TypeError, "abs: not supported for bool"),
        (lambda b, f, i: b.topk(1), TypeError, "topk: bool tensors"),
        (lambda b, f, i: cr.dot(b, b), TypeError, "dot: bool tensors"),
    ],
)
def test_bool_operands_and_alpha_types_torch_rejects(call, exc, match) -> None:
    """torch raises for these; chainrule computed something (found by the op fuzz)."""
    b, f, i = cr.ones(2, dtype=cr.bool), cr.ones(2), cr.ones(2, dtype=cr.int64)
    with pytest.raises(exc, match=match):
        call(b, f, i)


def test_alpha_types_torch_accepts() -> None:
    b, f, i = cr.ones(2, dtype=cr.bool), cr.ones(2), cr.ones(2, dtype=cr.int64)
    assert cr.add(i, i, alpha=2).tolist() == [3, 3]
    assert cr.add(b, b, alpha=True).dtype == cr.bool
    assert f.add(i, alpha=2.5).tolist() == [3.5, 3.5]
    assert f.sub(b.long(), alpha=-1).tolist() == [2.0, 2.0]
    assert i.abs().tolist() == [1, 1]


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
    with pytest.raises(TypeError, match=r"from_numpy.*int32"):
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


def test_empty_tensor_strides_must_fit_int64() -> None:
    # Zero dims count as 1 in strides: (0, 2^40, 2^40) holds nothing but needs a 2^80 stride.
    # torch refuses it too ("Stride calculation overflowed"); the outermost dim is no stride.
    with pytest.raises(
        RuntimeError,
        match=r"shape \(0, 1099511627776, 1099511627776\) is too "
        r"large: its strides overflow int64",
    ):
        cr.empty(0, 2**40, 2**40)
    with pytest.raises(RuntimeError, match="strides overflow int64"):
        cr.zeros(0).reshape(0, 2**40, 2**40)
    t = cr.empty(2**62, 0)
    assert t.shape == (2**62, 0)
    assert t.stride() == (1, 1)
    assert cr.empty(0, 2**62).stride() == (2**62, 1)
