"""The SIMD GEMM behind matmul/linear/addmm at every CPU level: each level runs in a
subprocess with CHAINRULE_CPU_CAPABILITY set and checks products, linear forward and backward
against NumPy float64 (awkward shapes, transposed and strided operands, both dtypes), 1 vs 2
threads bit for bit; plus the override's fallback and warning."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

import chainrule as cr
from _isa_levels import AVAILABLE, LEVELS, SIMD_SCRIPT, run_at

# Runs in a fresh interpreter (the level is chosen once per process at first use).
CHECK_SCRIPT = textwrap.dedent(
    """
    import json
    import numpy as np
    import chainrule as cr
    import chainrule.nn.functional as F

    rng = np.random.default_rng(0)
    fails = []
    count = 0

    def bound(a, b, dtype):
        # |error| <= 4 u (K + 2) (|a| @ |b|): the forward-error bound of a K-term dot product
        k = a.shape[-1]
        u = np.finfo(dtype).eps / 2
        return 4 * u * (k + 2) * (np.abs(a) @ np.abs(b)) + 1e-300

    def check(name, got, a, b, dtype, extra=0.0):
        global count
        count += 1
        want = a @ b + extra
        err = np.abs(np.asarray(got, dtype=np.float64) - want)
        tol = bound(a, b, dtype) + 4 * np.finfo(dtype).eps * np.abs(extra)
        if got.shape != want.shape or not np.all(err <= tol):
            fails.append(f"{name}: max err {err.max() if err.size else 0:.3g}")

    def view(x, how, dtype):
        # x (float64) as a chainrule tensor: contiguous, transposed storage (.mT) or strided
        if how == "t":
            return cr.tensor(np.ascontiguousarray(x.swapaxes(-1, -2)).astype(dtype)).mT
        if how == "s":
            wide = np.zeros(x.shape[:-1] + (2 * x.shape[-1],), dtype=dtype)
            wide[..., ::2] = x
            return cr.tensor(wide)[..., ::2]
        return cr.tensor(x.astype(dtype))

    shapes = [(1, 1, 1), (1, 7, 1), (3, 5, 7), (13, 31, 17), (15, 33, 31), (16, 65, 32),
              (29, 257, 33), (64, 64, 64), (97, 113, 89), (130, 300, 70), (1, 300, 257),
              (300, 129, 1)]
    for dtype in (np.float32, np.float64):
        crd = cr.float32 if dtype == np.float32 else cr.float64
        for m, k, n in shapes:
            a = rng.standard_normal((m, k)).astype(dtype).astype(np.float64)
            b = rng.standard_normal((k, n)).astype(dtype).astype(np.float64)
            for la in ("c", "t", "s"):
                for lb in ("c", "t", "s"):
                    got = cr.matmul(view(a, la, dtype), view(b, lb, dtype)).numpy()
                    check(f"matmul {m}x{k}x{n} {la}{lb} {dtype.__name__}", got, a, b, dtype)
            # linear: y = x @ W^T + bias, and its gradients
            w = rng.standard_normal((n, k)).astype(dtype).astype(np.float64)
            bias = rng.standard_normal(n).astype(dtype).astype(np.float64)
            g = rng.standard_normal((m, n)).astype(dtype).astype(np.float64)
            x_t = cr.tensor(a.astype(dtype), requires_grad=True)
            w_t = cr.tensor(w.astype(dtype), requires_grad=True)
            b_t = cr.tensor(bias.astype(dtype), requires_grad=True)
            y = F.linear(x_t, w_t, b_t)
            check(f"linear {m}x{k}x{n} {dtype.__name__}", y.detach().numpy(), a, w.T, dtype,
                  bias)
            (y * cr.tensor(g.astype(dtype))).sum().backward()
            check(f"linear dx {m}x{k}x{n}", x_t.grad.numpy(), g, w, dtype)
            check(f"linear dW {m}x{k}x{n}", w_t.grad.numpy(), g.T, a, dtype)
            # addmm accumulates into input: beta * input + alpha * a @ b
            c0 = rng.standard_normal((m, n)).astype(dtype).astype(np.float64)
            got = cr.addmm(cr.tensor(c0.astype(dtype)), view(a, "c", dtype),
                           view(b, "t", dtype), beta=0.5, alpha=2.0).numpy()
            check(f"addmm {m}x{k}x{n}", got, 2.0 * a, b, dtype, 0.5 * c0)
        # batched, with broadcast batch dims
        a = rng.standard_normal((2, 3, 19, 37)).astype(dtype).astype(np.float64)
        b = rng.standard_normal((3, 37, 21)).astype(dtype).astype(np.float64)
        got = cr.matmul(view(a, "c", dtype), view(b, "t", dtype)).numpy()
        check(f"batched matmul {dtype.__name__}", got, a, b, dtype)

    # thread count never changes the bits (packed and unpacked paths)
    same = True
    for m, k, n in [(200, 300, 250), (1, 2000, 3000), (333, 517, 129)]:
        a = cr.randn(m, k)
        b = cr.randn(k, n)
        cr.set_num_threads(1)
        y1 = (a @ b).numpy()
        cr.set_num_threads(2)
        y2 = (a @ b).numpy()
        same = same and y1.tobytes() == y2.tobytes()
    print(json.dumps({"simd": cr.config()["simd"], "fails": fails, "count": count,
                      "threads_same": same}))
    """
)


def test_config_reports_a_level() -> None:
    assert cr.config()["simd"] in LEVELS


def test_level_list_from_the_library(best_level: str) -> None:
    # chainrule/cpu_levels.def, lowest first: the baseline runs everywhere, and a process
    # without the override runs the best level the list says is available.
    assert LEVELS[0] == "baseline"
    assert len(set(LEVELS)) == len(LEVELS)
    assert AVAILABLE[0] == "baseline"
    assert set(AVAILABLE) <= set(LEVELS)
    assert best_level == AVAILABLE[-1]
    assert [n for n in LEVELS if n in AVAILABLE] == AVAILABLE  # in the same order


@pytest.mark.parametrize("level", LEVELS)
def test_products_at_level(level: str, best_level: str) -> None:
    if LEVELS.index(level) > LEVELS.index(best_level):
        pytest.skip(f"{level} is not supported here (best: {best_level})")
    out, err = run_at(level, CHECK_SCRIPT)
    assert out["simd"] == level
    assert err == ""
    assert out["fails"] == []
    assert int(out["count"]) > 300  # type: ignore[call-overload]
    assert out["threads_same"] is True


@pytest.mark.parametrize("level", LEVELS)
def test_override_above_support_falls_back(level: str, best_level: str) -> None:
    if LEVELS.index(level) <= LEVELS.index(best_level):
        pytest.skip(f"{level} is supported here (test_products_at_level covers it)")
    out, err = run_at(level, SIMD_SCRIPT)
    assert out["simd"] == best_level
    assert "not supported" in err
    assert err.count("chainrule:") == 1  # warned once


def test_override_unknown_value_warns(best_level: str) -> None:
    out, err = run_at("sse9", SIMD_SCRIPT)
    assert out["simd"] == best_level
    assert "ignoring CHAINRULE_CPU_CAPABILITY=sse9" in err
    assert f"(expected one of {', '.join(LEVELS)})" in err


# A large product (the threaded paths: shared packed B blocks with a barrier, column split,
# unpacked) when OpenMP starts a smaller team than asked for: the split and the barrier must
# follow the team that started (a barrier sized by the request waits forever).
TEAM_SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import chainrule as cr

    threads = int(sys.argv[1])
    rng = np.random.default_rng(1)
    out = []
    for m, k, n, how in [(700, 600, 500, "nn"), (512, 300, 900, "tn"), (30, 2000, 3000, "nn"),
                         (2000, 16, 800, "nn")]:
        a = rng.standard_normal((m, k)).astype(np.float32)
        b = rng.standard_normal((k, n)).astype(np.float32)
        a_cr = cr.tensor(np.ascontiguousarray(a.T)).mT if how == "tn" else cr.tensor(a)
        cr.set_num_threads(1)
        one = (a_cr @ cr.tensor(b)).numpy()
        cr.set_num_threads(threads)
        got = [(a_cr @ cr.tensor(b)).numpy() for _ in range(3)]
        want = a.astype(np.float64) @ b.astype(np.float64)
        tol = 4 * np.finfo(np.float32).eps * (k + 2) * (np.abs(a) @ np.abs(b))
        out.append({"shape": f"{m}x{k}x{n} {how}",
                    "close": bool(np.all(np.abs(got[0] - want) <= tol)),
                    "same": all(g.tobytes() == got[0].tobytes() for g in got)})
    print(json.dumps(out))
    """
)


@pytest.mark.parametrize(
    ("env", "threads"),
    [
        ({"OMP_THREAD_LIMIT": "1"}, 2),
        ({"OMP_THREAD_LIMIT": "3"}, 4),
        ({"OMP_DYNAMIC": "true"}, 2),
        ({"OMP_DYNAMIC": "true"}, 3),
    ],
    ids=["limit1-ask2", "limit3-ask4", "dynamic-ask2", "dynamic-ask3"],
)
def test_smaller_team_than_requested(env: dict[str, str], threads: int) -> None:
    full = dict(os.environ)
    full.update(env)
    proc = subprocess.run(
        [sys.executable, "-c", TEAM_SCRIPT, str(threads)],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    for case in json.loads(proc.stdout.strip().splitlines()[-1]):
        assert case["close"], case
        assert case["same"], case
