"""The per-ISA elementwise kernels (cpp/src/kernels/elementwise/) behind the pointwise ops, at
every CPU level: each level runs in a subprocess with CHAINRULE_CPU_CAPABILITY set and checks
unary ops, activations and their gradients, and add/sub/mul/div (same shape, scalar, bias row,
column, in place) against torch float64 on odd lengths 1..67 and ~1M, on non-contiguous inputs
too, and 1 vs 2 threads bit for bit."""

from __future__ import annotations

import textwrap

import pytest

from _isa_levels import LEVELS, run_at

pytest.importorskip("torch")

CHECK_SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np
    import torch
    import chainrule as cr
    import chainrule.nn.functional as F
    import torch.nn.functional as TF

    torch.set_num_threads(1)
    np.seterr(invalid="ignore", over="ignore")
    rng = np.random.default_rng(0)
    fails = []
    count = 0

    # name, chainrule fn, torch fn, input range (lo, hi)
    UNARY = [
        ("exp", cr.exp, torch.exp, (-90, 90)),
        ("log", cr.log, torch.log, (0, 100)),
        ("log1p", cr.log1p, torch.log1p, (-1, 100)),
        ("expm1", cr.expm1, torch.expm1, (-30, 80)),
        ("sqrt", cr.sqrt, torch.sqrt, (0, 100)),
        ("rsqrt", cr.rsqrt, torch.rsqrt, (0.01, 100)),
        ("tanh", cr.tanh, torch.tanh, (-12, 12)),
        ("sigmoid", cr.sigmoid, torch.sigmoid, (-30, 30)),
        ("relu", cr.relu, torch.relu, (-5, 5)),
        ("neg", cr.neg, torch.neg, (-5, 5)),
        ("abs", cr.abs, torch.abs, (-5, 5)),
        ("gelu", F.gelu, TF.gelu, (-10, 10)),
        ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
         lambda x: TF.gelu(x, approximate="tanh"), (-10, 10)),
        ("silu", F.silu, TF.silu, (-30, 30)),
        ("mish", F.mish, TF.mish, (-20, 20)),
        ("elu", lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7), (-10, 10)),
        ("selu", F.selu, TF.selu, (-10, 10)),
        ("celu", lambda x: F.celu(x, 1.5), lambda x: TF.celu(x, 1.5), (-10, 10)),
        ("leaky_relu", lambda x: F.leaky_relu(x, 0.1), lambda x: TF.leaky_relu(x, 0.1), (-5, 5)),
        ("softplus", lambda x: F.softplus(x, 2.0, 15.0), lambda x: TF.softplus(x, 2.0, 15.0),
         (-20, 20)),
        ("logsigmoid", F.logsigmoid, TF.logsigmoid, (-30, 30)),
        ("hardtanh", lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: TF.hardtanh(x, -0.5, 2.0),
         (-4, 4)),
        ("relu6", F.relu6, TF.relu6, (-3, 9)),
        ("hardsigmoid", F.hardsigmoid, TF.hardsigmoid, (-5, 5)),
        ("hardswish", F.hardswish, TF.hardswish, (-5, 5)),
    ]
    SPECIAL = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-30, -1e-30, 3.0, -3.0])

    def close(got, ref, x, dtype, rtol, scale=None):
        # |got - ref| <= rtol |ref| + atol (1 + |x|)  (atol covers cancellations near zeros)
        got = got.astype(np.float64)
        atol = 2e-7 if dtype == np.float32 else 1e-14
        s = np.abs(x) if scale is None else scale
        nan_ok = np.isnan(got) == np.isnan(ref)
        inf_ok = np.where(np.isinf(ref), got == ref, True)
        fin = np.isfinite(ref) & np.isfinite(got)
        err = np.abs(got - ref)
        ok = np.where(fin, err <= rtol * np.abs(ref) + atol * (1 + s), True)
        return bool(nan_ok.all() and inf_ok.all() and ok.all()), \\
            float(np.max(np.where(fin, err / (rtol * np.abs(ref) + atol * (1 + s)), 0), initial=0))

    def check(ok_ratio, what):
        global count
        count += 1
        ok, ratio = ok_ratio
        if not ok:
            fails.append(f"{what}: {ratio:.3g}x the tolerance")

    def inputs(n, lo, hi, dtype):
        x = rng.uniform(lo, hi, n)
        if n >= 40:  # special values somewhere in the middle (not only in a tail)
            x[17:17 + len(SPECIAL)] = SPECIAL
        return x.astype(dtype)

    def references(name, tfn, x_np, dtype):
        # torch float64 forward at x, and at finite x the gradient for a random dy
        ref = tfn(torch.from_numpy(x_np.astype(np.float64))).numpy()
        # finite inputs only for gradients (torch and chainrule differ at some infinities)
        xf = np.where(np.isfinite(x_np), x_np, 0.5).astype(dtype)
        if name in ("log", "rsqrt", "sqrt"):
            xf = np.where(xf > 1e-3, xf, 0.5).astype(dtype)
        dy = rng.uniform(-1, 1, xf.shape).astype(dtype)
        xt = torch.from_numpy(xf.astype(np.float64)).requires_grad_()
        tfn(xt).backward(torch.from_numpy(dy.astype(np.float64)))
        return ref, xf, dy, xt.grad.numpy()

    def unary_case(name, fn, x_np, dtype, refs, n):
        # chainrule on the first n elements against the references of the whole array
        ref, xf, dy, gref = refs
        rtol = 4e-6 if dtype == np.float32 else 1e-12
        x = np.ascontiguousarray(x_np[:n])
        got = fn(cr.from_numpy(x)).numpy()
        what = f"{name} {dtype.__name__} n={n}"
        check(close(got, ref[:n], x.astype(np.float64), dtype, rtol), what)
        xg = cr.from_numpy(np.ascontiguousarray(xf[:n])).requires_grad_()
        fn(xg).backward(cr.from_numpy(np.ascontiguousarray(dy[:n])))
        x64 = xf[:n].astype(np.float64)
        scale = np.abs(dy[:n].astype(np.float64)) * (1 + np.abs(x64))
        # torch's hardsigmoid backward multiplies by 1.0f / 6.0f (a float constant) in float64 too
        brtol = 1e-7 if (name == "hardsigmoid" and dtype == np.float64) else 4 * rtol
        check(close(xg.grad.numpy(), gref[:n], x64, dtype, brtol, scale=scale),
              f"{name} backward {dtype.__name__} n={n}")

    # Every length 1..67 (all tail sizes of a block, for float32 and float64) on a few ops;
    # the tail code is shared, so the rest get the edges of the vector and block sizes.
    EVERY_LENGTH = ("exp", "sqrt", "gelu", "relu", "silu")
    SOME_LENGTHS = [1, 3, 4, 5, 8, 15, 16, 17, 31, 32, 33, 63, 64, 67]
    BIG = (1 << 20) + 3
    for dtype in (np.float32, np.float64):
        for name, fn, tfn, (lo, hi) in UNARY:
            lengths = list(range(1, 68)) if name in EVERY_LENGTH else SOME_LENGTHS
            x = inputs(67, lo, hi, dtype)
            refs = references(name, tfn, x, dtype)
            for n in lengths:
                unary_case(name, fn, x, dtype, refs, n)
            if name in EVERY_LENGTH + ("tanh", "sigmoid") and (dtype == np.float32 or
                                                                 name in ("exp", "gelu")):
                x = inputs(BIG, lo, hi, dtype)
                unary_case(name, fn, x, dtype, references(name, tfn, x, dtype), BIG)
            # non-contiguous: a strided slice and a transpose (the strided path)
            rtol = 4e-6 if dtype == np.float32 else 1e-12
            x = inputs(2 * 37 * 5, lo, hi, dtype)
            xs = cr.from_numpy(x)[::2]
            ref = tfn(torch.from_numpy(x[::2].astype(np.float64))).numpy()
            check(close(fn(xs).numpy(), ref, x[::2].astype(np.float64), dtype, rtol),
                  f"{name} strided {dtype.__name__}")
            xt2 = x.reshape(37, 10)
            ref = tfn(torch.from_numpy(xt2.T.astype(np.float64))).numpy()
            check(close(fn(cr.from_numpy(xt2).t()).numpy(), ref, xt2.T.astype(np.float64), dtype,
                        rtol), f"{name} transposed {dtype.__name__}")

    # in-place activations take the same kernels (self == out)
    for name, fn_, tfn in [("relu_", cr.relu_, torch.relu_),
                           ("silu_", lambda t: F.silu(t, inplace=True),
                            lambda t: TF.silu(t, inplace=True)),
                           ("exp_", lambda t: t.exp_(), lambda t: t.exp_())]:
        x = inputs(1001, -5, 5, np.float32)
        xc = cr.from_numpy(x.copy())
        fn_(xc)
        xt = torch.from_numpy(x.astype(np.float64))
        tfn(xt)
        check(close(xc.numpy(), xt.numpy(), x.astype(np.float64), np.float32, 4e-6), name)

    # binary arithmetic: exact against NumPy float32 (one rounding each)
    def binary_cases():
        N, C, B = 37, 67, 3
        a = rng.standard_normal((N, C)).astype(np.float32)
        return [
            ("same", a, rng.standard_normal((N, C)).astype(np.float32)),
            ("row", a, rng.standard_normal(C).astype(np.float32)),
            ("row (1, C)", a, rng.standard_normal((1, C)).astype(np.float32)),
            ("row swapped", rng.standard_normal(C).astype(np.float32), a),
            ("col", a, rng.standard_normal((N, 1)).astype(np.float32)),
            ("col swapped", rng.standard_normal((N, 1)).astype(np.float32), a),
            ("3d row", rng.standard_normal((B, N, C)).astype(np.float32),
             rng.standard_normal((N, C)).astype(np.float32)),
            ("3d col", rng.standard_normal((B, N, C)).astype(np.float32),
             rng.standard_normal((B, N, 1)).astype(np.float32)),
            ("3d col (B, 1, 1)", rng.standard_normal((B, N, C)).astype(np.float32),
             rng.standard_normal((B, 1, 1)).astype(np.float32)),
            ("odd 1M", rng.standard_normal((1 << 20) + 3).astype(np.float32),
             rng.standard_normal((1 << 20) + 3).astype(np.float32)),
            ("outer (no table)", rng.standard_normal((N, 1)).astype(np.float32),
             rng.standard_normal((1, C)).astype(np.float32)),
        ]

    OPS = [("add", cr.add, np.add), ("sub", cr.sub, np.subtract), ("mul", cr.mul, np.multiply),
           ("div", cr.div, np.divide)]
    for label, a, b in binary_cases():
        for name, fn, nfn in OPS:
            count += 1
            want = nfn(a, b)
            got = fn(cr.from_numpy(a), cr.from_numpy(b)).numpy()
            if got.shape != want.shape or got.tobytes() != want.tobytes():
                fails.append(f"{name} {label}: not exact")
            # scalars on either side
            for s in (2.5, -0.75):
                count += 2
                if fn(cr.from_numpy(a), s).numpy().tobytes() != nfn(a, np.float32(s)).tobytes():
                    fails.append(f"{name} {label} tensor-scalar")
                if fn(s, cr.from_numpy(a)).numpy().tobytes() != nfn(np.float32(s), a).tobytes():
                    fails.append(f"{name} {label} scalar-tensor")
            # in place into the big operand
            if a.shape == want.shape:
                count += 1
                t = cr.from_numpy(a.copy())
                getattr(t, name + "_")(cr.from_numpy(b))
                if t.numpy().tobytes() != want.tobytes():
                    fails.append(f"{name}_ {label}: not exact")
        # alpha: fused or not, within one rounding of the float64 value
        for name, fn, sign in (("add", cr.add, 1.0), ("sub", cr.sub, -1.0)):
            count += 1
            want = a.astype(np.float64) + sign * 0.3 * b.astype(np.float64)
            got = fn(cr.from_numpy(a), cr.from_numpy(b), alpha=0.3).numpy()
            if not np.allclose(got, want, rtol=3e-7, atol=3e-7):
                fails.append(f"{name} alpha {label}")
    # float64 and int64 (the generic path) stay right too
    a = rng.standard_normal((5, 33)); b = rng.standard_normal(33)
    count += 2
    if (cr.from_numpy(a) * cr.from_numpy(b)).numpy().tobytes() != (a * b).tobytes():
        fails.append("mul float64 row")
    ai = rng.integers(-50, 50, (5, 33)); bi = rng.integers(-50, 50, 33)
    if not np.array_equal((cr.from_numpy(ai) + cr.from_numpy(bi)).numpy(), ai + bi):
        fails.append("add int64 row")
    # non-contiguous operands take the strided path
    count += 1
    at = cr.from_numpy(a).t()
    if not np.array_equal((at + 1.5).numpy(), a.T + 1.5):
        fails.append("add transposed")

    # 1 vs 2 threads: bit for bit
    same = True
    x = rng.uniform(-8, 8, (1 << 20) + 5).astype(np.float32)
    dy = rng.uniform(-1, 1, x.shape).astype(np.float32)
    bias = rng.standard_normal(1024).astype(np.float32)
    def run_all():
        xc = cr.from_numpy(x).requires_grad_()
        outs = [cr.exp(xc), cr.tanh(xc), F.gelu(xc), F.silu(xc), cr.sigmoid(xc)]
        grads = []
        for o in outs:
            xc.grad = None
            o.backward(cr.from_numpy(dy))
            grads.append(xc.grad.numpy().tobytes())
        xd = cr.from_numpy(x[: 1024 * 1024]).reshape(1024, 1024)
        return [o.detach().numpy().tobytes() for o in outs] + grads + \\
            [(xd + cr.from_numpy(bias)).numpy().tobytes()]
    cr.set_num_threads(1)
    r1 = run_all()
    cr.set_num_threads(2)
    r2 = run_all()
    same = r1 == r2
    print(json.dumps({"simd": cr.config()["simd"], "fails": fails[:30], "nfails": len(fails),
                      "count": count, "threads_same": same}))
    """
)


@pytest.mark.parametrize("level", LEVELS)
def test_elementwise_at_level(level: str, best_level: str) -> None:
    if LEVELS.index(level) > LEVELS.index(best_level):
        pytest.skip(f"{level} is not supported here (best: {best_level})")
    out, _err = run_at(level, CHECK_SCRIPT)
    assert out["simd"] == level
    assert out["fails"] == [], f"{out['nfails']} failures"
    assert int(out["count"]) > 2500  # type: ignore[call-overload]
    assert out["threads_same"] is True
