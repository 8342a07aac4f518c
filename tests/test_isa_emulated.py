"""The kernels on CPUs without AVX-512 or AVX, emulated by qemu-user (skipped without it):
the detected level must drop, the results must stay right, and nothing compiled for a
higher level may run (an illegal instruction would kill the child process)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

QEMU = shutil.which("qemu-x86_64")

SCRIPT = """
import json
import numpy as np
import chainrule as cr
import chainrule.nn.functional as F
rng = np.random.default_rng(0)
a = rng.standard_normal((67, 129)).astype(np.float32)
b = rng.standard_normal((129, 45)).astype(np.float32)
x = rng.standard_normal(1000).astype(np.float32) * 20
mm = np.abs((cr.tensor(a) @ cr.tensor(b)).numpy() - a.astype(np.float64) @ b).max()
ex = np.abs(cr.exp(cr.tensor(x)).numpy() / np.exp(x.astype(np.float64)) - 1).max()
logits = cr.tensor(a, requires_grad=True)
F.cross_entropy(logits, cr.tensor(rng.integers(0, 129, 67))).backward()
h = a.astype(np.float64)
ln_ref = (h - h.mean(1, keepdims=True)) / np.sqrt(h.var(1, keepdims=True) + 1e-5)
ln = np.abs(F.layer_norm(cr.tensor(a), (129,)).numpy() - ln_ref).max()
img = cr.tensor(rng.standard_normal((2, 3, 9, 9)).astype(np.float32))
bn_ref = img.numpy().astype(np.float64)
bn_ref = (bn_ref - bn_ref.mean((0, 2, 3), keepdims=True)) / np.sqrt(
    bn_ref.var((0, 2, 3), keepdims=True) + 1e-5)
bn = np.abs(F.batch_norm(img, None, None, training=True).numpy() - bn_ref).max()
mp = F.max_pool2d(img, 2).numpy()
mp_ref = img.numpy()[:, :, :8, :8].reshape(2, 3, 4, 2, 4, 2).max((3, 5))
print(json.dumps({"simd": cr.config()["simd"], "mm": float(mm), "exp": float(ex),
                  "grad_finite": bool(np.isfinite(logits.grad.numpy()).all()),
                  "layer_norm": float(ln), "batch_norm": float(bn),
                  "max_pool": bool((mp == mp_ref).all())}))
"""


@pytest.mark.skipif(QEMU is None or sys.platform != "linux", reason="needs qemu-x86_64")
@pytest.mark.parametrize(("cpu", "level"), [("Haswell", "avx2"), ("Nehalem", "baseline")])
def test_kernels_on_emulated_cpu(cpu: str, level: str) -> None:
    # The child sees this interpreter's import path, whether it runs in a venv or not.
    env = {k: v for k, v in os.environ.items() if k != "CHAINRULE_CPU_CAPABILITY"}
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    proc = subprocess.run(
        [QEMU, "-cpu", cpu, sys.executable, "-c", SCRIPT],  # type: ignore[list-item]
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["simd"] == level
    assert out["mm"] < 1e-3
    assert out["exp"] < 1e-6
    assert out["grad_finite"]
    assert out["layer_norm"] < 1e-4
    assert out["batch_norm"] < 1e-4
    assert out["max_pool"]
