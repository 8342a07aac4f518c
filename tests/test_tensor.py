"""Tensor creation, dtypes and promotion, NumPy interop, repr and conversions, seeds."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def test_dtype_inference_from_python_data() -> None:
    assert cr.tensor([1.0, 2.0]).dtype == cr.float32
    assert cr.tensor([1, 2]).dtype == cr.int64
    assert cr.tensor([True, False]).dtype == cr.bool
    assert cr.tensor(3.5).shape == ()
    assert cr.tensor(np.zeros(3, dtype=np.float64)).dtype == cr.float64
    assert cr.tensor(np.zeros(3, dtype=np.int32)).dtype == cr.int64
    assert cr.tensor([1, 2], dtype=cr.float64).dtype == cr.float64


def test_tensor_copies_but_from_numpy_shares() -> None:
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    copied, shared = cr.tensor(a), cr.from_numpy(a)
    a[0, 0] = 42.0
    assert copied.numpy()[0, 0] == 0.0
    assert shared.numpy()[0, 0] == 42.0
    shared.add_(1.0)  # and back: writes through the tensor reach the array
    assert a[0, 0] == 43.0


def test_numpy_is_a_zero_copy_strided_view() -> None:
    a = np.arange(12, dtype=np.float64).reshape(3, 4)
    t = cr.from_numpy(a[:, ::2])
    assert not t.is_contiguous()
    view = t.numpy()
    assert view.strides == a[:, ::2].strides
    assert np.shares_memory(view, a)
    np.testing.assert_array_equal(np.asarray(t), a[:, ::2])


FOREIGN_ORDER = ">" if np.little_endian else "<"  # the byte order this machine does not use


@pytest.mark.parametrize("code", ["f4", "f8", "i8"])
def test_from_numpy_refuses_foreign_byte_order(code: str) -> None:
    # issue #11: from_numpy read a big-endian array's bytes as native numbers (garbage)
    torch = pytest.importorskip("torch")
    a = np.arange(4, dtype=FOREIGN_ORDER + code)
    with pytest.raises(ValueError, match="byte order"):
        torch.from_numpy(a)
    with pytest.raises(
        ValueError,
        match=r"from_numpy: given numpy array has byte order "
        r"different from the native byte order \(dtype [<>]",
    ):
        cr.from_numpy(a)
    with pytest.raises(ValueError, match="byte order"):
        cr.from_numpy(a.reshape(2, 2)[:, ::-1].copy()[:, :1])  # strided and 2-d too
    with pytest.raises(ValueError, match="byte order"):
        cr.from_numpy(a[1:2].reshape(()))  # 0-d
    # the same values in the native order (explicit or not) share memory as before
    native = a.astype(a.dtype.newbyteorder("="))
    for arr in (native, native.astype(("<" if np.little_endian else ">") + code)):
        t = cr.from_numpy(arr)
        assert t.tolist() == [0, 1, 2, 3]
        assert np.shares_memory(t.numpy(), arr)
    assert cr.from_numpy(np.array([True, False], dtype="|b1")).tolist() == [True, False]


@pytest.mark.parametrize("code", ["f4", "f8", "i8", "i4", "i2", "f2"])
def test_tensor_converts_foreign_byte_order(code: str) -> None:
    # cr.tensor and cr.as_tensor copy such an array converted (torch.tensor refuses it; both
    # accept the native-order copy, whose values they must match)
    torch = pytest.importorskip("torch")
    a = (np.arange(12).reshape(3, 4) * 3 - 7).astype(FOREIGN_ORDER + code)
    expected = torch.tensor(a.astype(a.dtype.newbyteorder("=")))
    for t in (
        cr.tensor(a),
        cr.as_tensor(a),
        cr.tensor(a[:, ::2]),
        cr.tensor([a[0], a[1]]),
        cr.tensor(a, dtype=cr.float64),
    ):
        n = t.shape[0]
        ref = expected[:n, ::2] if t.shape[1] == 2 else expected[:n]
        np.testing.assert_array_equal(t.numpy(), ref.numpy())
    x = cr.zeros(3, 4)
    x[:] = a  # setitem converts through cr.tensor too
    np.testing.assert_array_equal(x.numpy(), expected.float().numpy())
    if code[0] == "i":  # an index array in the foreign order
        idx = np.array([2, 0], dtype=FOREIGN_ORDER + code)
        assert cr.arange(5)[idx].tolist() == [2, 0]


def test_numpy_refuses_tensors_that_require_grad() -> None:
    t = cr.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"detach\(\)"):
        t.numpy()
    assert t.detach().numpy().tolist() == [1.0, 1.0]


def test_type_promotion_follows_torch() -> None:
    f32, f64 = cr.ones(2), cr.ones(2, dtype=cr.float64)
    i64, b = cr.ones(2, dtype=cr.int64), cr.ones(2, dtype=cr.bool)
    assert (f32 + f64).dtype == cr.float64
    assert (i64 + 2.5).dtype == cr.float32  # a Python float is the default dtype
    assert (i64 * 2).dtype == cr.int64
    assert (b + 1).dtype == cr.int64
    assert (b + True).dtype == cr.bool
    assert (f32 + cr.tensor(1.0, dtype=cr.float64)).dtype == cr.float32  # 0-d ranks lower
    assert (i64 + cr.tensor(1.0, dtype=cr.float64)).dtype == cr.float64
    assert (i64 / i64).dtype == cr.float32  # true division
    assert (f32 < 1).dtype == cr.bool


def test_integer_pow_with_negative_tensor_exponents() -> None:
    """As torch: an int64 tensor exponent's negative entries give 1 / x^|e| truncated (1, -1
    or 0); only a negative Python-number exponent is an error (tensor exponents raised
    too; found by the op fuzz)."""
    x = cr.tensor([-1, -1, 0, 1, 2, -2, 3])
    e = cr.tensor([-3, -2, -1, -2, -1, -2, 2])
    assert cr.pow(x, e).tolist() == [-1, 1, 0, 1, 0, 0, 9]
    assert x.pow(cr.tensor(-1)).tolist() == [-1, -1, 0, 1, 0, 0, 0]  # a 0-d tensor is a tensor
    assert (2 ** cr.tensor([-1, 0, 3])).tolist() == [0, 1, 8]
    with pytest.raises(RuntimeError, match="negative integer powers"):
        x**-2


def test_repr_like_torch() -> None:
    assert repr(cr.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(cr.tensor([1, 2])) == "tensor([1, 2])"
    assert "dtype=chainrule.float64" in repr(cr.tensor([1.5], dtype=cr.float64))
    x = cr.tensor([1.5], requires_grad=True)
    assert repr(x).endswith("requires_grad=True)")
    assert repr(x * 2).endswith("grad_fn=<MulBackward0>)")


def test_item_tolist_len_iter_bool() -> None:
    t = cr.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert len(t) == 2
    assert cr.tensor(2.5).item() == 2.5
    assert isinstance(cr.tensor(3).item(), int)
    assert bool(cr.tensor([True]))
    assert float(cr.tensor(1.5)) == 1.5
    with pytest.raises(RuntimeError, match="item"):
        t.item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(t)


def test_factories() -> None:
    assert cr.zeros(2, 3).shape == (2, 3)
    assert cr.ones((2, 3), dtype=cr.int64).dtype == cr.int64
    assert cr.full((2,), 7).dtype == cr.int64
    assert cr.full((2,), 7.0).tolist() == [7.0, 7.0]
    assert cr.eye(2, 3).tolist() == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]
    assert cr.arange(5).tolist() == [0, 1, 2, 3, 4]
    assert cr.arange(0, 1, 0.25).tolist() == [0.0, 0.25, 0.5, 0.75]
    np.testing.assert_allclose(cr.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    x = cr.randn(3, 2)
    assert cr.zeros_like(x).shape == (3, 2)
    assert cr.ones_like(x, dtype=cr.float64).dtype == cr.float64
    assert cr.randn_like(x).shape == (3, 2)
    assert sorted(cr.randperm(6).tolist()) == list(range(6))
    r = cr.randint(2, 5, (1000,))
    assert r.dtype == cr.int64
    assert set(r.tolist()) == {2, 3, 4}


def test_random_statistics() -> None:
    u = cr.rand(20000).numpy()
    assert u.min() >= 0.0
    assert u.max() < 1.0
    assert abs(u.mean() - 0.5) < 0.01
    n = cr.randn(20000, dtype=cr.float64).numpy()
    assert abs(n.mean()) < 0.03
    assert abs(n.std() - 1.0) < 0.03


def test_manual_seed_and_generators_are_reproducible() -> None:
    cr.manual_seed(123)
    a = cr.randn(5).tolist()
    cr.manual_seed(123)
    assert cr.randn(5).tolist() == a
    g1, g2 = cr.Generator().manual_seed(7), cr.Generator().manual_seed(7)
    assert cr.rand(4, generator=g1).tolist() == cr.rand(4, generator=g2).tolist()
    cr.manual_seed(123)
    cr.rand(3, generator=cr.Generator().manual_seed(1))  # a private stream ...
    assert cr.randn(5).tolist() == a  # ... leaves the default one untouched


def test_config_and_threads() -> None:
    cfg = cr.config()
    for key in ("version", "compiler", "openmp", "num_threads", "simd"):
        assert key in cfg
    assert cfg["version"] == cr.__version__
    before = cr.get_num_threads()
    try:
        cr.set_num_threads(1)
        assert cr.get_num_threads() == 1
        assert cr.config()["num_threads"] == 1
    finally:
        cr.set_num_threads(before)


def test_show_config_prints(capsys: pytest.CaptureFixture[str]) -> None:
    cr.show_config()
    assert "version:" in capsys.readouterr().out


def test_threads_give_identical_results() -> None:
    x = cr.randn(300_000, dtype=cr.float64)
    before = cr.get_num_threads()
    try:
        cr.set_num_threads(1)
        one = (x.exp() * 2 + x).numpy().copy()
        cr.set_num_threads(2)
        two = (x.exp() * 2 + x).numpy().copy()
    finally:
        cr.set_num_threads(before)
    np.testing.assert_array_equal(one, two)


# Python 3.12+ warns that fork() in a threaded process may deadlock: exactly what this checks.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_forked_child_does_not_hang() -> None:
    import multiprocessing as mp

    x = cr.randn(1_000_000)
    (x * 2).exp()  # starts the OpenMP pool in the parent
    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        result = pool.apply_async(_child_work)
        assert result.get(timeout=60) == pytest.approx(2_000_000.0)


def _child_work() -> float:
    y = cr.ones(1_000_000) * 2.0  # a parallel-sized op in the child
    return float(y.numpy().sum())


@pytest.mark.parametrize("env", [{"OMP_THREAD_LIMIT": "1"}, {"OMP_DYNAMIC": "true"}])
def test_smaller_thread_team_than_asked_covers_everything(env: dict[str, str]) -> None:
    """OpenMP may start fewer threads than set_num_threads asks for; no chunk is skipped."""
    import os
    import subprocess
    import sys

    code = (
        "import chainrule as cr\n"
        "cr.set_num_threads(2)\n"
        "x = cr.ones(1_000_003)\n"
        "print(float((x * 2).sum()), float(x.exp().sum() / 2.718281828459045))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    assert float(out[0]) == 2_000_006.0
    assert float(out[1]) == pytest.approx(1_000_003.0, rel=1e-5)


def test_recycled_large_blocks_hold_only_new_values() -> None:
    """Large blocks come back from the allocator's cache: factories must still fill them."""
    for _ in range(3):
        a = cr.full((600, 1000), 7.0)  # 2.4 MB: a cached size
        del a
        z = cr.zeros(600, 1000)
        assert float(z.abs().sum()) == 0.0
        o = cr.ones(590, 1000)  # a little smaller: may reuse the same block
        assert float(o.sum()) == 590_000.0
        del z, o


@pytest.mark.parametrize("limit", ["0", "1", "junk"])
def test_cache_limit_setting(limit: str) -> None:
    import os
    import subprocess
    import sys

    code = (
        "import chainrule as cr\n"
        "for i in range(5):\n"
        "    x = cr.full((1024, 1024), float(i))\n"
        "    assert float(x.sum()) == i * 1024 * 1024\n"
        "print('ok')\n"
    )
    env = {**os.environ, "CHAINRULE_CACHE_LIMIT_MB": limit}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    assert out.strip() == "ok"


def test_omp_num_threads_sets_the_initial_count() -> None:
    import os
    import subprocess
    import sys

    code = "import chainrule as cr; print(cr.get_num_threads(), cr.config()['num_threads'])"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout.split()
    assert out == ["1", "1"]


# ---- devices, .to(), formatting, dtype inference ----


def test_device_class() -> None:
    d = cr.device("cpu")
    assert str(d) == "cpu"
    assert d.type == "cpu"
    assert d.index is None
    assert repr(d) == "device(type='cpu')"
    assert cr.device("cpu:0").index == 0
    assert cr.device(d) == d
    assert d == "cpu"
    for bad in ("cuda", "cuda:0", "mps", "cpu:1"):
        with pytest.raises(RuntimeError, match="device"):
            cr.device(bad)
    with pytest.raises(TypeError, match="device"):
        cr.device(3)


def test_tensor_device_attributes() -> None:
    x = cr.arange(3.0)
    assert x.device == cr.device("cpu")
    assert str(x.device) == "cpu"
    assert x.is_cuda is False
    assert x.is_cpu is True
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


def test_format_0d() -> None:
    assert f"{cr.tensor(2.0):.2f}" == "2.00"
    assert f"{cr.tensor(3):>3}" == "  3"
    assert f"{cr.tensor(2.5, requires_grad=True) * 2:.3f}" == "5.000"
    assert f"{cr.tensor([1.0])}" == str(cr.tensor([1.0]))
    with pytest.raises(TypeError):
        f"{cr.tensor([1.0, 2.0]):.2f}"


def test_tensor_dtype_inference() -> None:
    assert cr.tensor(1.5).dtype == cr.float32
    assert cr.tensor(np.float64(1.5)).dtype == cr.float64
    assert cr.tensor([np.float64(1.5), 2.0]).dtype == cr.float64
    assert cr.tensor(np.float32(1.5)).dtype == cr.float32
    assert cr.tensor([1.5, 2.0]).dtype == cr.float32
    assert cr.tensor(np.float64(1.5), dtype=cr.float32).dtype == cr.float32
    with np.errstate(all="raise"):
        assert cr.tensor(1e40).item() == float("inf")


def test_small_helpers() -> None:
    assert cr.is_tensor(cr.ones(2))
    assert not cr.is_tensor(np.ones(2))
    assert cr.numel(cr.ones(2, 3)) == 6
    assert cr.get_default_dtype() == cr.float32
    assert cr.is_floating_point(cr.ones(2))
    assert not cr.is_floating_point(cr.arange(2))


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


def test_data_setter() -> None:
    p = cr.tensor([1.0, 2.0], requires_grad=True)
    (p * p).sum().backward()
    p.data = p.data - 0.5 * p.grad  # the classic manual SGD step
    assert p.tolist() == [0.0, 0.0]
    assert p.is_leaf
    assert p.requires_grad
    p.data -= 1.0
    assert p.tolist() == [-1.0, -1.0]
    p.data = cr.tensor([5.0, 6.0, 7.0])
    assert p.shape == (3,)


REPR_CASES = [
    "t.arange(2000.)",
    "t.arange(2000)",
    "t.tensor([-1.5, 2.])",
    "t.tensor([float('nan'), 1.5, float('-inf')])",
    "t.zeros(2, 0, dtype=t.int64)",
    "t.zeros(0, dtype=t.bool)",
    "t.zeros(0, dtype=t.float64)",
    "t.zeros(0)",
    "t.tensor([[1e-5, 2.], [3., -4.]])",
    "t.ones(3, 1000)",
    "t.tensor([1., float('inf')])",
    "t.tensor([-0.5, 100.25])",
    "t.tensor([0., 0.])",
    "t.tensor([True, False])",
    "t.tensor([1, -10])",
    "t.arange(12.).reshape(3, 4) / 7",
    "t.tensor(3.5)",
    "t.tensor([1e9, 1.])",
    "t.ones(2000, 2)",
    "t.arange(100.).reshape(10, 10) * 1.5",
    "t.tensor([[1., 2.]], dtype=t.float64)",
    "t.arange(40.) / 3",
    "t.tensor([0.1, 1e-5])",
    "t.tensor(float('nan'))",
    "t.ones(2, requires_grad=True) * 2",
]


@pytest.mark.parametrize("code", REPR_CASES)
def test_repr_matches_torch(code: str) -> None:
    torch = pytest.importorskip("torch")
    want = repr(eval(code, {"t": torch})).replace("torch.", "chainrule.")
    assert repr(eval(code, {"t": cr})) == want
