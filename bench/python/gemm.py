"""sgemm: cr.matmul against torch.matmul and NumPy (OpenBLAS) in one process, interleaved,
on 1 and 2 threads. Shapes are M x K x N; the MLP shapes use the layouts training produces:
a linear layer's forward x @ W^T and its two backward products dW = dy^T @ x, dx = dy @ W.

    python bench/python/gemm.py [--threads 1,2] [--quick]
"""

from __future__ import annotations

import argparse
import ctypes
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import header, interleaved

import chainrule as cr

# (label, M, K, N, layout): "nn" A @ B; "nt" A @ B^T with B stored (N, K); "tn" A^T @ B with A
# stored (K, M).
SHAPES = [
    ("128^3", 128, 128, 128, "nn"),
    ("512^3", 512, 512, 512, "nn"),
    ("2048^3", 2048, 2048, 2048, "nn"),
    ("128x784x256 x@W^T", 128, 784, 256, "nt"),
    ("256x128x784 dy^T@x", 256, 128, 784, "tn"),
    ("128x256x784 dy@W", 128, 256, 784, "nn"),
    ("512x4096x4096", 512, 4096, 4096, "nn"),
]


def openblas_threads() -> Callable[[int], None] | None:
    """A setter for NumPy's OpenBLAS thread count (found among the loaded libraries)."""
    try:
        maps = Path("/proc/self/maps").read_text()
    except OSError:
        return None
    libs = {line.split()[-1] for line in maps.splitlines() if "openblas" in line.lower()}
    names = [
        "scipy_openblas_set_num_threads64_",
        "openblas_set_num_threads64_",
        "openblas_set_num_threads",
    ]
    for path in sorted(libs):
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in names:
            fn = getattr(lib, name, None)
            if fn is not None:
                fn.argtypes = [ctypes.c_int]
                return lambda n, fn=fn: fn(n)
    return None


def operands(m: int, k: int, n: int, layout: str) -> tuple[np.ndarray, np.ndarray]:
    """float32 views with the shape-case's memory layout: A (m, k), B (k, n)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((k, m) if layout == "tn" else (m, k), dtype=np.float32)
    b = rng.standard_normal((n, k) if layout == "nt" else (k, n), dtype=np.float32)
    return (a.T if layout == "tn" else a), (b.T if layout == "nt" else b)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--quick", action="store_true", help="small shapes, few rounds (CI)")
    args = parser.parse_args()
    try:
        import torch
    except ImportError:
        torch = None
    set_blas = openblas_threads()
    shapes = SHAPES[:2] if args.quick else SHAPES
    for threads in [int(t) for t in args.threads.split(",")]:
        cr.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        if set_blas is not None:
            set_blas(threads)
        print(header(threads))
        print(f"numpy {np.__version__}" + ("" if set_blas else " (OpenBLAS threads not set)"))
        print(
            f"{'shape (M x K x N)':<22}{'chainrule':>11}{'torch':>9}{'numpy':>9}"
            f"{'cr/torch':>10}{'cr/numpy':>10}   GFLOP/s"
        )
        for label, m, k, n, layout in shapes:
            a_np, b_np = operands(m, k, n, layout)
            # chainrule and torch see the same layout: transposed views, never copies.
            a_cr = cr.tensor(np.ascontiguousarray(a_np.T)).mT if layout == "tn" else cr.tensor(a_np)
            b_cr = cr.tensor(np.ascontiguousarray(b_np.T)).mT if layout == "nt" else cr.tensor(b_np)
            # Default arguments bind this iteration's operands into each timed closure.
            cases: dict[str, Callable[[], object]] = {
                "chainrule": lambda a=a_cr, b=b_cr: cr.matmul(a, b)
            }
            if torch is not None:
                a_t = (
                    torch.from_numpy(np.ascontiguousarray(a_np.T)).mT
                    if layout == "tn"
                    else (torch.from_numpy(a_np))
                )
                b_t = (
                    torch.from_numpy(np.ascontiguousarray(b_np.T)).mT
                    if layout == "nt"
                    else (torch.from_numpy(b_np))
                )
                cases["torch"] = lambda a=a_t, b=b_t: torch.matmul(a, b)
            cases["numpy"] = lambda a=a_np, b=b_np: a @ b
            flops = 2.0 * m * n * k
            number = max(1, int((0.01 if args.quick else 0.05) * 100e9 / flops))
            times = interleaved(cases, number, rounds=2 if args.quick else 5)
            g = {name: flops / t / 1e9 for name, t in times.items()}
            tg = g.get("torch", float("nan"))
            print(
                f"{label:<22}{g['chainrule']:>11.1f}{tg:>9.1f}{g['numpy']:>9.1f}"
                f"{g['chainrule'] / tg:>10.2f}{g['chainrule'] / g['numpy']:>10.2f}"
            )
        print()


if __name__ == "__main__":
    main()
