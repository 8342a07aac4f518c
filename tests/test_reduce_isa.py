"""Reductions, softmax, cross-entropy and the fused optimizer steps at every CPU level
(kernels/reduce, kernels/softmax, kernels/optim): each level is forced in a child process
(CHAINRULE_CPU_CAPABILITY), its results compared with NumPy float64 (torch for cross-entropy
and the optimizers), checked bit-identical run to run and across thread counts (partial sums
combine in a fixed order), and long float32 sums checked against float64."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from functools import cache
from pathlib import Path

import numpy as np
import pytest

from _isa_levels import LEVELS, run_at

# Child: computes every case on fixed inputs and saves the results (npz) to argv[1], at
# argv[2] threads; prints the level it ran.
SCRIPT = r"""
import json, sys
import numpy as np
import chainrule as cr
import chainrule.nn.functional as F
cr.set_num_threads(int(sys.argv[2]))
rng = np.random.default_rng(0)
out = {}
for dt in ("float32", "float64"):
    a = rng.standard_normal((67, 1031)).astype(dt)
    A = cr.tensor(a)
    out[f"sum_all_{dt}"] = A.sum().numpy()
    out[f"sum0_{dt}"] = A.sum(0).numpy()
    out[f"sum1_{dt}"] = A.sum(1).numpy()
    out[f"mean1_{dt}"] = A.mean(-1).numpy()
    out[f"norm1_{dt}"] = A.norm(2, dim=1).numpy()
    out[f"sum0_t_{dt}"] = A.t().sum(0).numpy()          # strided reduced dim, kept contiguous
    out[f"amax1_{dt}"] = A.amax(1).numpy()
    out[f"amin_all_{dt}"] = A.min().numpy()
    an = a.copy()
    an[5, 17] = np.nan
    out[f"amax1_nan_{dt}"] = cr.tensor(an).amax(1).numpy()
    b = rng.standard_normal((9, 70, 33)).astype(dt)
    B = cr.tensor(b)
    out[f"sum02_{dt}"] = B.sum((0, 2)).numpy()
    out[f"sum1_3d_{dt}"] = B.sum(1).numpy()             # column kernel, rows at stride 33
    c = rng.standard_normal((20011, 40)).astype(dt)
    out[f"sum0_tall_{dt}"] = cr.tensor(c).sum(0).numpy()  # column kernel, fixed row blocks
    v = rng.random((1 << 20) + 3).astype(dt)
    out[f"long_{dt}"] = cr.tensor(v).sum().numpy()
    out[f"long_shift_{dt}"] = cr.tensor(v + 1000).sum().numpy()
    s = rng.standard_normal((67, 1031)).astype(dt) * 5
    dy = rng.standard_normal((67, 1031)).astype(dt)
    for name, fn, dim in (("softmax", F.softmax, 1), ("log_softmax", F.log_softmax, 1),
                          ("softmax_cols", F.softmax, 0), ("log_softmax_cols", F.log_softmax, 0)):
        X = cr.tensor(s, requires_grad=True)
        y = fn(X, dim)
        y.backward(cr.tensor(dy))
        out[f"{name}_{dt}"] = y.detach().numpy()
        out[f"{name}_grad_{dt}"] = X.grad.numpy()
    t = rng.integers(0, 1031, 67)
    w = rng.random(1031).astype(dt) + 0.5
    for name, kw in (("ce", {}), ("ce_smooth_w", {"label_smoothing": 0.1, "weight": cr.tensor(w)})):
        X = cr.tensor(s, requires_grad=True)
        loss = F.cross_entropy(X, cr.tensor(t), **kw)
        loss.backward()
        out[f"{name}_{dt}"] = loss.detach().numpy()
        out[f"{name}_grad_{dt}"] = X.grad.numpy()
optim_cases = (
    ("adam_ams", cr.optim.Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("adamw", cr.optim.AdamW, {"lr": 0.01}),
    ("sgd_nesterov", cr.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("rmsprop", cr.optim.RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("adagrad", cr.optim.Adagrad, {"lr": 0.1, "weight_decay": 0.01}),
)
for dt in ("float32", "float64"):
    p0 = rng.standard_normal(1031).astype(dt)
    grads = [rng.standard_normal(1031).astype(dt) for _ in range(3)]
    for name, cls, kw in optim_cases:
        p = cr.tensor(p0, requires_grad=True)
        opt = cls([p], **kw)
        for g in grads:
            p.grad = cr.tensor(g)
            opt.step()
        out[f"optim_{name}_{dt}"] = p.detach().numpy()
np.savez(sys.argv[1], **out)
print(json.dumps({"simd": cr.config()["simd"]}))
"""


def _inputs(dt):
    """The child's inputs, regenerated in the same order."""
    rng = np.random.default_rng(0)
    res = {}
    for d in ("float32", "float64"):
        a = rng.standard_normal((67, 1031)).astype(d)
        b = rng.standard_normal((9, 70, 33)).astype(d)
        c = rng.standard_normal((20011, 40)).astype(d)
        v = rng.random((1 << 20) + 3).astype(d)
        s = rng.standard_normal((67, 1031)).astype(d) * 5
        dy = rng.standard_normal((67, 1031)).astype(d)
        t = rng.integers(0, 1031, 67)
        w = rng.random(1031).astype(d) + 0.5
        res[d] = (a, b, v, s, dy, t, w)
        res["tall_" + d] = c
    optim = {}
    for d in ("float32", "float64"):
        optim[d] = (
            rng.standard_normal(1031).astype(d),
            [rng.standard_normal(1031).astype(d) for _ in range(3)],
        )
    return optim[dt[len("optim_") :]] if dt.startswith("optim_") else res[dt]


@cache
def _run(level: str, threads: int, tmp: str, tag: str):
    env = dict(os.environ)
    env["CHAINRULE_CPU_CAPABILITY"] = level
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    path = str(Path(tmp) / f"{level}_{threads}_{tag}.npz")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, path, str(threads)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    simd = json.loads(proc.stdout.strip().splitlines()[-1])["simd"]
    if simd != level:
        pytest.skip(f"{level} is not available here (ran {simd})")
    with np.load(path) as f:
        return {k: f[k] for k in f.files}


@pytest.fixture(scope="module")
def tmpdir_str(tmp_path_factory):
    return str(tmp_path_factory.mktemp("reduce_isa"))


def _close(got, ref, rtol, atol, what):
    got = np.asarray(got, np.float64)
    ref = np.asarray(ref, np.float64)
    assert got.shape == ref.shape, what
    err = np.abs(got - ref) - (atol + rtol * np.abs(ref))
    assert (err <= 0).all(), f"{what}: max excess {err.max():.3g}"


def _softmax64(x, dim):
    x = x.astype(np.float64)
    e = np.exp(x - x.max(dim, keepdims=True))
    return e / e.sum(dim, keepdims=True)


@pytest.mark.parametrize("level", LEVELS)
def test_values_against_float64(level, tmpdir_str):
    r = _run(level, 1, tmpdir_str, "a")
    for dt, (rtol, atol) in (("float32", (2e-6, 2e-6)), ("float64", (1e-13, 1e-13))):
        a, b, v, s, dy, _t, _w = _inputs(dt)
        a64, b64, _v64, s64, dy64 = (z.astype(np.float64) for z in (a, b, v, s, dy))
        # sums of n terms of size ~1: the error grows like sqrt(n) ulps at most
        _close(r[f"sum_all_{dt}"], a64.sum(), rtol, atol * 300, f"sum() {dt}")
        _close(r[f"sum0_{dt}"], a64.sum(0), rtol, atol * 10, f"sum(0) {dt}")
        _close(r[f"sum1_{dt}"], a64.sum(1), rtol, atol * 30, f"sum(1) {dt}")
        _close(r[f"mean1_{dt}"], a64.mean(-1), rtol, atol, f"mean(-1) {dt}")
        _close(r[f"norm1_{dt}"], np.sqrt((a64 * a64).sum(1)), rtol, atol, f"norm {dt}")
        _close(r[f"sum0_t_{dt}"], a64.T.sum(0), rtol, atol * 10, f"t().sum(0) {dt}")
        np.testing.assert_array_equal(r[f"amax1_{dt}"], a.max(1))
        np.testing.assert_array_equal(r[f"amin_all_{dt}"], a.min())
        an = a.copy()
        an[5, 17] = np.nan
        np.testing.assert_array_equal(r[f"amax1_nan_{dt}"], an.max(1))  # NaN propagates
        _close(r[f"sum02_{dt}"], b64.sum((0, 2)), rtol, atol * 20, f"sum((0, 2)) {dt}")
        _close(r[f"sum1_3d_{dt}"], b64.sum(1), rtol, atol * 10, f"sum(1) 3-d {dt}")
        c64 = _inputs("tall_" + dt).astype(np.float64)
        _close(r[f"sum0_tall_{dt}"], c64.sum(0), rtol, atol * 100, f"sum(0) (20011, 40) {dt}")
        for name, dim in (("softmax", 1), ("softmax_cols", 0)):
            y = _softmax64(s64, dim)
            _close(r[f"{name}_{dt}"], y, rtol * 3, atol, f"{name} {dt}")
            g = y * (dy64 - (dy64 * y).sum(dim, keepdims=True))
            _close(r[f"{name}_grad_{dt}"], g, rtol * 10, atol * 10, f"{name} grad {dt}")
            ly = np.log(y)
            lname = "log_" + name
            _close(r[f"{lname}_{dt}"], ly, rtol * 3, atol * 10, f"{lname} {dt}")
            lg = dy64 - y * dy64.sum(dim, keepdims=True)
            _close(r[f"{lname}_grad_{dt}"], lg, rtol * 10, atol * 30, f"{lname} grad {dt}")


@pytest.mark.parametrize("level", LEVELS)
def test_cross_entropy_against_torch(level, tmpdir_str):
    torch = pytest.importorskip("torch")
    r = _run(level, 1, tmpdir_str, "a")
    for dt in ("float32", "float64"):
        _, _, _, s, _, t, w = _inputs(dt)
        for name, kw in (
            ("ce", {}),
            (
                "ce_smooth_w",
                {"label_smoothing": 0.1, "weight": torch.tensor(w, dtype=torch.float64)},
            ),
        ):
            X = torch.tensor(s, dtype=torch.float64, requires_grad=True)
            loss = torch.nn.functional.cross_entropy(X, torch.tensor(t), **kw)
            loss.backward()
            tol = 1e-5 if dt == "float32" else 1e-12
            _close(r[f"{name}_{dt}"], loss.item(), tol, tol, f"{name} {dt}")
            _close(r[f"{name}_grad_{dt}"], X.grad.numpy(), tol, tol * 1e-2, f"{name} grad {dt}")


@pytest.mark.parametrize("level", LEVELS)
def test_optimizer_steps_against_torch(level, tmpdir_str):
    """The fused update loops (kernels/optim) of each level against torch.optim."""
    torch = pytest.importorskip("torch")
    r = _run(level, 1, tmpdir_str, "a")
    cases = (
        ("adam_ams", torch.optim.Adam, {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
        ("adamw", torch.optim.AdamW, {"lr": 0.01}),
        ("sgd_nesterov", torch.optim.SGD, {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
        ("rmsprop", torch.optim.RMSprop, {"lr": 0.01, "centered": True, "momentum": 0.5}),
        ("adagrad", torch.optim.Adagrad, {"lr": 0.1, "weight_decay": 0.01}),
    )
    for dt in ("float32", "float64"):
        p0, grads = _inputs("optim_" + dt)
        for name, cls, kw in cases:
            p = torch.tensor(p0, requires_grad=True)
            opt = cls([p], **kw)
            for g in grads:
                p.grad = torch.tensor(g)
                opt.step()
            tol = 1e-5 if dt == "float32" else 1e-12
            _close(r[f"optim_{name}_{dt}"], p.detach().numpy(), tol, tol, f"{name} {dt}")


@pytest.mark.parametrize("level", LEVELS)
def test_deterministic_across_runs_and_threads(level, tmpdir_str):
    first = _run(level, 1, tmpdir_str, "a")
    again = _run(level, 1, tmpdir_str, "b")
    two = _run(level, 2, tmpdir_str, "a")
    for k, v in first.items():
        assert np.array_equal(v, again[k], equal_nan=True), f"{k} differs between runs"
        assert np.array_equal(v, two[k], equal_nan=True), f"{k} differs between 1 and 2 threads"


@pytest.mark.parametrize("level", LEVELS)
def test_long_float32_sums_are_accurate(level, tmpdir_str):
    r = _run(level, 1, tmpdir_str, "a")
    _, _, v, *_ = _inputs("float32")
    v64 = v.astype(np.float64)
    # 1M values in [0, 1) (a naive float32 loop is off by ~1e-3 relative), and the same shifted
    # by 1000 (sum ~1e9): both within a few float32 ulps of the exact sum.
    for key, ref in (
        ("long_float32", v64.sum()),
        ("long_shift_float32", (v + np.float32(1000)).astype(np.float64).sum()),
    ):
        got = float(r[key])
        assert abs(got - ref) <= 2 * np.spacing(np.float32(ref)), (key, got, ref)


def test_all_levels_agree_closely(tmpdir_str):
    """Different levels use different lane counts (different bits) but the same accuracy."""
    runs = {}
    for level in LEVELS:
        try:
            runs[level] = _run(level, 1, tmpdir_str, "a")
        except pytest.skip.Exception:
            continue
    base = runs["baseline"]
    for level, res in runs.items():
        for k, v in res.items():
            rtol = 1e-5 if "float32" in k else 1e-12
            np.testing.assert_allclose(v, base[k], rtol=rtol, atol=rtol, err_msg=f"{level} {k}")


# Child: softmax, log_softmax, logsumexp and cross-entropy of logits offset by 1e4, 1e7 and -1e7
# (rows, column chunks and rows longer than one 1024-element sub-block), forward and backward,
# against torch in the same dtype; prints the cases off by more than the tolerance.
LARGE_LOGITS_SCRIPT = r"""
import json
import numpy as np
import torch
import chainrule as cr
import chainrule.nn.functional as F
import torch.nn.functional as TF

torch.set_num_threads(1)
rng = np.random.default_rng(3)
fails, count = [], 0

def check(got, ref, tol, what):
    global count
    count += 1
    ref = ref.detach().double().numpy()
    err = np.abs(got.detach().numpy().astype(np.float64) - ref) - tol * (1 + np.abs(ref))
    if not (err <= 0).all():
        fails.append(f"{what}: max excess {err.max():.3g}")

for dt, tdt, tol in (("float32", torch.float32, 2e-6), ("float64", torch.float64, 1e-12)):
    for off in (1e4, 1e7, -1e7):
        for shape, dim in (((4, 37), 1), ((2, 1100), -1), ((3, 37, 5), 1), ((37, 70), 0)):
            x = (rng.standard_normal(shape) * 3 + off).astype(dt)
            dy = rng.standard_normal(shape).astype(dt)
            tag = f"{dt} {off:g} {shape} dim={dim}"
            for name, fn, tfn in (
                ("log_softmax", lambda t: cr.log_softmax(t, dim), lambda t: t.log_softmax(dim)),
                ("F.log_softmax", lambda t: F.log_softmax(t, dim=dim),
                 lambda t: TF.log_softmax(t, dim=dim)),
                ("softmax", lambda t: cr.softmax(t, dim), lambda t: t.softmax(dim)),
                ("logsumexp", lambda t: cr.logsumexp(t, dim), lambda t: t.logsumexp(dim)),
            ):
                cx = cr.tensor(x, requires_grad=True)
                tx = torch.tensor(x, requires_grad=True)
                cy, ty = fn(cx), tfn(tx)
                check(cy, ty, tol, f"{name} {tag}")
                g = dy if tuple(cy.shape) == shape else dy.sum(dim)
                cy.backward(cr.tensor(g))
                ty.backward(torch.tensor(g))
                check(cx.grad, tx.grad, 5 * tol, f"{name} grad {tag}")
            if dim != 1:
                continue
            t = rng.integers(0, shape[1], (shape[0], *shape[2:]))
            w = (rng.random(shape[1]) + 0.5).astype(dt)
            p = rng.random(shape).astype(dt)
            for name, target, tt, kw, tkw in (
                ("ce", cr.tensor(t), torch.tensor(t), {}, {}),
                ("ce_smooth_w", cr.tensor(t), torch.tensor(t),
                 {"label_smoothing": 0.1, "weight": cr.tensor(w)},
                 {"label_smoothing": 0.1, "weight": torch.tensor(w)}),
                ("ce_prob", cr.tensor(p), torch.tensor(p), {}, {}),
            ):
                cx = cr.tensor(x, requires_grad=True)
                tx = torch.tensor(x, requires_grad=True)
                cl = F.cross_entropy(cx, target, reduction="none", **kw)
                tl = TF.cross_entropy(tx, tt, reduction="none", **tkw)
                check(cl, tl, tol, f"{name} {tag}")
                cl.sum().backward()
                tl.sum().backward()
                check(cx.grad, tx.grad, 5 * tol, f"{name} grad {tag}")
print(json.dumps({"simd": cr.config()["simd"], "fails": fails, "count": count}))
"""


@pytest.mark.parametrize("level", LEVELS)
def test_softmax_family_large_logits_at_level(level, best_level):
    """issue #11: log_softmax as (x - max) - log(sum) (never x - (max + log sum), which loses
    log sum to max's rounding), in every level's softmax and cross-entropy loops."""
    pytest.importorskip("torch")
    if LEVELS.index(level) > LEVELS.index(best_level):
        pytest.skip(f"{level} is not supported here (best: {best_level})")
    out, _ = run_at(level, LARGE_LOGITS_SCRIPT)
    assert out["simd"] == level
    assert out["fails"] == []
    assert int(out["count"]) > 150
