"""Accuracy of the vectorised float math (cpp/src/kernels/vec_math.h) through the ops that use
it: float32 results against NumPy float64 computed from the same float32 inputs, measured in
float32 ulps of the reference, over dense sweeps (a linspace over the interesting range, every
float32 bit pattern at a stride, boundary regions) and special values. float64 goes through
std:: and is checked at 1e-14 relative."""

import numpy as np
import pytest

import chainrule as cr

F = cr.nn.functional


def _sweep(lo, hi, n=400_000):
    """Dense float32 points: a linspace over [lo, hi], every (2^32/n)-th bit pattern inside
    it, and the ends with their neighbours."""
    lin = np.linspace(lo, hi, n, dtype=np.float64).astype(np.float32)
    bits = np.arange(0, 2**32, 2**32 // n, dtype=np.uint64).astype(np.uint32).view(np.float32)
    bits = bits[np.isfinite(bits) & (bits >= lo) & (bits <= hi)]
    ends = np.array([lo, hi], np.float32)
    ends = np.concatenate(
        [ends, np.nextafter(ends, np.float32(np.inf)), np.nextafter(ends, np.float32(-np.inf))]
    )
    x = np.concatenate([lin, bits, ends])
    return x[(x >= lo) & (x <= hi)]


def _ulps(got, ref):
    """|got - ref| in float32 ulps of ref (ulp of the smallest denormal below 2^-126)."""
    ref = np.asarray(ref, np.float64)
    mag = np.abs(ref)
    e = np.floor(np.log2(np.where(mag > 0, mag, 1.0)))
    ulp = np.exp2(np.maximum(e - 23, -149))
    both_inf = np.isinf(ref) & (got.astype(np.float64) == ref)
    with np.errstate(all="ignore"):
        err = np.abs(got.astype(np.float64) - ref) / ulp
    err = np.where(np.isnan(ref) & np.isnan(got), 0.0, np.where(np.isnan(err), np.inf, err))
    # float32 overflow of a finite reference: inf is the right float32 answer.
    over = np.isinf(got) & (np.abs(ref) > np.finfo(np.float32).max) & (np.sign(got) == np.sign(ref))
    return np.where(both_inf | over, 0.0, err)


def _run(op, x):
    return op(cr.from_numpy(np.ascontiguousarray(x))).numpy()


def _sigmoid64(x):
    x = x.astype(np.float64)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


# name, op, float64 reference, range, max ulp allowed (measured max in the comment)
CASES = [
    ("exp", cr.exp, np.exp, (-110.0, 90.0), 2),  # 0.96
    ("expm1", cr.expm1, np.expm1, (-30.0, 90.0), 3),  # 1.53
    ("log", cr.log, np.log, (0.0, 3.4e38), 2),  # 0.81
    ("log1p", cr.log1p, np.log1p, (-1.0, 3.4e38), 3),  # 1.44
    ("tanh", cr.tanh, np.tanh, (-50.0, 50.0), 3),  # 1.31
    ("sigmoid", cr.sigmoid, _sigmoid64, (-110.0, 110.0), 4),  # 2.28
]


@pytest.mark.parametrize(("name", "op", "ref", "rng", "bound"), CASES, ids=[c[0] for c in CASES])
def test_float32_ulps(name, op, ref, rng, bound):
    x = _sweep(*rng)
    if name in ("log", "log1p"):  # also tiny and denormal inputs
        x = np.concatenate([x, _sweep(0.0, 1e-30), _sweep(-1e-30, 1e-30)])
        x = x[x >= rng[0]]
    got = _run(op, x)
    with np.errstate(all="ignore"):
        want = ref(x.astype(np.float64))
    err = _ulps(got, want)
    i = int(np.argmax(err))
    assert err[i] <= bound, f"{name}: {err[i]:.2f} ulp at x={x[i]!r}: {got[i]!r} vs {want[i]!r}"


def test_erf_through_gelu():
    # gelu(x) = x/2 (1 + erf(x/sqrt 2)); above x = -1 there is no cancellation, so gelu's error
    # in ulps bounds erf's; below, compare absolutely (as 1 + erf loses the bits anyway).
    import math

    x = _sweep(-12.0, 12.0)
    got = _run(F.gelu, x)
    x64 = x.astype(np.float64)
    erf = np.vectorize(math.erf)(x64 / math.sqrt(2.0))
    want = x64 * 0.5 * (1.0 + erf)
    pos = x >= -1.0
    assert _ulps(got[pos], want[pos]).max() <= 6
    assert (np.abs(got[~pos] - want[~pos]) / np.abs(x64[~pos])).max() <= 1.2e-7
    # the tanh form goes through exp
    got = _run(lambda t: F.gelu(t, approximate="tanh"), x)
    u = math.sqrt(2.0 / math.pi) * (x64 + 0.044715 * x64**3)
    want = 0.5 * x64 * (1.0 + np.tanh(u))
    assert _ulps(got[pos], want[pos]).max() <= 6
    assert (np.abs(got[~pos] - want[~pos]) / np.abs(x64[~pos])).max() <= 1.2e-7


SPECIAL = np.array(
    [
        0.0,
        -0.0,
        np.inf,
        -np.inf,
        np.nan,
        -np.nan,
        1.0,
        -1.0,
        88.72283,
        88.72284,
        89.0,
        -87.33655,
        -103.9,
        -104.0,
        -200.0,
        1e-45,
        -1e-45,
        1.17549435e-38,
        3.4028235e38,
        -3.4028235e38,
        1e-8,
        -1e-8,
        0.625,
        -0.625,
    ],
    np.float32,
)


@pytest.mark.parametrize(
    ("name", "op", "ref"), [(c[0], c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_special_values(name, op, ref):
    got = _run(op, SPECIAL)
    with np.errstate(all="ignore"):
        want = ref(SPECIAL.astype(np.float64)).astype(np.float32)
    np.testing.assert_array_equal(np.isnan(got), np.isnan(want))
    ok = ~np.isnan(want)
    np.testing.assert_allclose(got[ok], want[ok], rtol=3e-7, atol=0)
    # signed zeros are kept where the function maps 0 to 0
    zero = (want == 0) & ok
    np.testing.assert_array_equal(np.signbit(got[zero]), np.signbit(want[zero]))


def test_boundaries():
    f32 = np.float32
    exp = _run(cr.exp, np.array([89.0, 88.7229, 88.72283, -104.0, -103.97, -87.5, -np.inf], f32))
    assert np.isinf(exp[0])
    assert np.isinf(exp[1])
    assert np.isfinite(exp[2])
    assert exp[3] == 0
    assert 0 < exp[4] < np.finfo(f32).tiny
    assert 0 < exp[5] < np.finfo(f32).tiny
    assert exp[6] == 0
    lg = _run(cr.log, np.array([0.0, -0.0, -1.0, 1e-45, np.inf], f32))
    assert lg[0] == -np.inf
    assert lg[1] == -np.inf
    assert np.isnan(lg[2])
    assert np.isinf(lg[4])
    assert abs(lg[3] - np.log(np.float64(f32(1e-45)))) < 1e-5
    l1 = _run(cr.log1p, np.array([-1.0, -1.5, -0.0, 1e-40], f32))
    assert l1[0] == -np.inf
    assert np.isnan(l1[1])
    assert np.signbit(l1[2])
    assert l1[3] == f32(1e-40)
    t = _run(cr.tanh, np.array([-0.0, 1e3, -1e3], f32))
    assert np.signbit(t[0])
    assert t[1] == 1
    assert t[2] == -1
    s = _run(cr.sigmoid, np.array([-104.0, 1e3, -1e3], f32))
    assert s[0] == 0
    assert s[1] == 1
    assert s[2] == 0
    e1 = _run(cr.expm1, np.array([-0.0, -100.0, 100.0], f32))
    assert np.signbit(e1[0])
    assert e1[1] == -1
    assert np.isinf(e1[2])


@pytest.mark.parametrize(
    ("name", "op", "ref"), [(c[0], c[1], c[2]) for c in CASES], ids=[c[0] for c in CASES]
)
def test_float64_paths(name, op, ref):
    rng = np.random.default_rng(0)
    x = rng.uniform(-20, 20, 10_000)
    if name in ("log", "log1p"):
        x = np.abs(x)
    got = _run(op, x)
    np.testing.assert_allclose(got, ref(x), rtol=1e-14, atol=0)


def test_activations_and_softmax_match_float64():
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((300, 1000)) * 4).astype(np.float32)
    x64 = x.astype(np.float64)
    sp = np.log1p(np.exp(x64))
    refs = {
        "silu": (F.silu, x64 * _sigmoid64(x)),
        "softplus": (F.softplus, np.where(x64 > 20, x64, sp)),
        "mish": (F.mish, x64 * np.tanh(sp)),
        "elu": (F.elu, np.where(x64 > 0, x64, np.expm1(x64))),
        "logsigmoid": (F.logsigmoid, np.minimum(x64, 0) - np.log1p(np.exp(-np.abs(x64)))),
    }
    for name, (op, want) in refs.items():
        got = _run(op, x)
        np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-30, err_msg=name)
    m = x64.max(axis=1, keepdims=True)
    lse = m + np.log(np.exp(x64 - m).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(
        _run(lambda t: cr.softmax(t, -1), x), np.exp(x64 - lse), rtol=2e-6, atol=1e-37
    )
    np.testing.assert_allclose(
        _run(lambda t: cr.log_softmax(t, -1), x), x64 - lse, rtol=2e-6, atol=2e-6
    )
    # softmax over a non-last dim (the strided path)
    np.testing.assert_allclose(
        _run(lambda t: cr.softmax(t, 0), x),
        np.exp(x64 - (x64.max(0) + np.log(np.exp(x64 - x64.max(0)).sum(0)))),
        rtol=2e-6,
        atol=1e-37,
    )


def test_softmax_special_rows_match_torch():
    torch = pytest.importorskip("torch")
    x = np.array(
        [
            [1, np.nan, 3.0],
            [1, 2, np.inf],
            [-np.inf] * 3,
            [-np.inf, 0, 1],
            [-np.nan, 0, 1],
            [200.0, -200.0, 0.0],
        ],
        np.float32,
    )
    for name in ("softmax", "log_softmax"):
        for dim in (-1, 0):
            got = getattr(cr, name)(cr.from_numpy(x), dim).numpy()
            want = getattr(torch, name)(torch.from_numpy(x), dim).numpy()
            np.testing.assert_allclose(
                got, want, rtol=1e-6, atol=0, equal_nan=True, err_msg=f"{name} dim={dim}"
            )
