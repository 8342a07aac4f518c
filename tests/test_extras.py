"""Extras: device compatibility, new_* factories, in-place unary ops, random fills,
predicates, rounding arithmetic, scans, sorting and selection ops, vs PyTorch where it helps."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr

# ---- devices, .to(), new_* factories, creation helpers -----------------------------------


def test_device_class() -> None:
    d = cr.device("cpu")
    assert str(d) == "cpu" and d.type == "cpu" and d.index is None
    assert repr(d) == "device(type='cpu')"
    assert cr.device("cpu:0").index == 0
    assert cr.device(d) == d and d == "cpu"
    for bad in ("cuda", "cuda:0", "mps", "cpu:1"):
        with pytest.raises(RuntimeError, match="device"):
            cr.device(bad)
    with pytest.raises(TypeError, match="device"):
        cr.device(3)


def test_tensor_device_attributes() -> None:
    x = cr.arange(3.0)
    assert x.device == cr.device("cpu") and str(x.device) == "cpu"
    assert x.is_cuda is False and x.is_cpu is True
    assert x.cpu() is x


@pytest.mark.parametrize(
    ("call", "dtype", "same"),
    [
        (lambda x: x.to(cr.float32), "float32", True),
        (lambda x: x.to(cr.float64), "float64", False),
        (lambda x: x.to("cpu"), "float32", True),
        (lambda x: x.to(cr.device("cpu")), "float32", True),
        (lambda x: x.to("cpu", cr.float64), "float64", False),
        (lambda x: x.to(device="cpu", dtype=cr.int64), "int64", False),
        (lambda x: x.to(dtype=cr.float64, non_blocking=True), "float64", False),
        (lambda x: x.to(cr.ones(1, dtype=cr.float64)), "float64", False),
        (lambda x: x.to(cr.float32, copy=True), "float32", False),
        (lambda x: x.to(cr.float32, False, True), "float32", False),
        (lambda x: x.type_as(cr.ones(1, dtype=cr.int64)), "int64", False),
        (lambda x: x.type_as(x), "float32", True),
    ],
)
def test_to_forms(call, dtype, same) -> None:
    x = cr.arange(3.0)
    y = call(x)
    assert str(y.dtype).endswith(dtype)
    assert (y is x) == same
    np.testing.assert_array_equal(y.numpy().astype(np.float64), [0.0, 1.0, 2.0])


def test_to_errors() -> None:
    x = cr.arange(3.0)
    with pytest.raises(RuntimeError, match="device"):
        x.to("cuda")
    with pytest.raises(TypeError, match="to"):
        x.to(cr.float32, bogus=1)
    with pytest.raises(TypeError, match="to"):
        x.to(3)


def test_to_keeps_autograd() -> None:
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.to("cpu", cr.float64)
    assert y.grad_fn.name() == "ToCopyBackward0"
    (y * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_new_factories() -> None:
    x = cr.ones(2, 2, dtype=cr.float64)
    assert x.new_zeros(3).dtype == cr.float64 and x.new_zeros(3).tolist() == [0.0] * 3
    assert x.new_zeros((2, 3)).shape == (2, 3) and x.new_ones(2, 3).shape == (2, 3)
    assert x.new_zeros(size=(4,)).shape == (4,)
    assert x.new_ones(2, dtype=cr.int64).dtype == cr.int64
    assert x.new_full((2,), 3).tolist() == [3.0, 3.0] and x.new_full((2,), 3).dtype == cr.float64
    assert x.new_empty((2, 1)).shape == (2, 1)
    t = x.new_tensor([1, 2])
    assert t.dtype == cr.float64 and t.tolist() == [1.0, 2.0]
    assert x.new_tensor([1, 2], dtype=cr.int64).dtype == cr.int64
    assert x.new_zeros(2, requires_grad=True).requires_grad
    with pytest.raises(RuntimeError, match="device"):
        x.new_zeros(2, device="cuda")
    with pytest.raises(TypeError, match="new_zeros"):
        x.new_zeros("a")


def test_format_0d() -> None:
    assert f"{cr.tensor(2.0):.2f}" == "2.00"
    assert f"{cr.tensor(3):>3}" == "  3"
    assert "{:.3f}".format(cr.tensor(2.5, requires_grad=True) * 2) == "5.000"
    assert f"{cr.tensor([1.0])}" == str(cr.tensor([1.0]))
    with pytest.raises(TypeError):
        f"{cr.tensor([1.0, 2.0]):.2f}"  # noqa: B018


def test_tensor_dtype_inference() -> None:
    assert cr.tensor(1.5).dtype == cr.float32
    assert cr.tensor(np.float64(1.5)).dtype == cr.float64
    assert cr.tensor([np.float64(1.5), 2.0]).dtype == cr.float64
    assert cr.tensor(np.float32(1.5)).dtype == cr.float32
    assert cr.tensor([1.5, 2.0]).dtype == cr.float32
    assert cr.tensor(np.float64(1.5), dtype=cr.float32).dtype == cr.float32
    with np.errstate(all="raise"):
        assert cr.tensor(1e40).item() == float("inf")


def test_randint_forms() -> None:
    cr.manual_seed(0)
    a = cr.randint(10, size=(50,))
    cr.manual_seed(0)
    b = cr.randint(high=10, size=(50,))
    cr.manual_seed(0)
    c = cr.randint(0, 10, (50,))
    assert a.tolist() == b.tolist() == c.tolist()
    assert 0 <= min(a.tolist()) and max(a.tolist()) < 10
    assert cr.randint(3, 5, (100,)).numpy().min() >= 3
    assert cr.randint(5, (2,), dtype=cr.float32).dtype == cr.float32
    with pytest.raises(TypeError, match="randint"):
        cr.randint(5)
    with pytest.raises(ValueError, match="randint"):
        cr.randint(5, 2, (3,))


def test_small_helpers() -> None:
    assert cr.is_tensor(cr.ones(2)) and not cr.is_tensor(np.ones(2))
    assert cr.numel(cr.ones(2, 3)) == 6
    assert cr.get_default_dtype() == cr.float32
    assert cr.is_floating_point(cr.ones(2)) and not cr.is_floating_point(cr.arange(2))


def test_as_tensor_shares_memory() -> None:
    a = np.zeros(3)
    t = cr.as_tensor(a)
    assert t.dtype == cr.float64
    a[0] = 1.0
    assert t[0].item() == 1.0
    assert cr.as_tensor(a, dtype=cr.float32).dtype == cr.float32  # a copy
    x = cr.ones(2)
    assert cr.as_tensor(x) is x
    assert cr.as_tensor(x, dtype=cr.float64).dtype == cr.float64
    assert cr.as_tensor([1.0, 2.0]).dtype == cr.float32
    assert cr.as_tensor(np.arange(4)[::-1]).tolist() == [3, 2, 1, 0]
    assert cr.as_tensor(np.arange(3, dtype=np.int32)).dtype == cr.int64
    with pytest.raises(RuntimeError, match="device"):
        cr.as_tensor([1.0], device="cuda")


def test_numpy_force() -> None:
    x = cr.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="numpy"):
        x.numpy()
    a = x.numpy(force=True)
    assert a.tolist() == [1.0, 1.0]
