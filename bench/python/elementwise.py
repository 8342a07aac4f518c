"""Elementwise ops: chainrule against torch in one process, interleaved, on 1 and 2 threads,
float32 at 1M and 64K elements: unary math and activations, their backward (through
autograd, with the forward outside the timing), add (same shape, bias row) and mul by a
scalar. Prints each time and the speed-up torch / cr (above 1: chainrule is faster), as the
other benchmarks do.

    python bench/python/elementwise.py [--threads 1,2] [--sizes 1048576,65536] [--quick]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import fmt_time, header, interleaved

import chainrule as cr
import chainrule.nn.functional as F


def cases(lib: str, n: int) -> dict[str, Callable[[], object]]:
    """The timed calls for one library on n float32 elements (inputs made here, untimed)."""
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n).astype(np.float32) * 3
    y = rng.standard_normal(n).astype(np.float32)
    cols = 1024 if n % 1024 == 0 else n
    bias = rng.standard_normal(cols).astype(np.float32)
    if lib == "torch":
        import torch
        import torch.nn.functional as tF

        m, tensor = torch, torch.from_numpy
        gelu, silu = tF.gelu, tF.silu
    else:
        m, tensor = cr, cr.from_numpy
        gelu, silu = F.gelu, F.silu
    tx, ty, tb = tensor(x), tensor(y), tensor(bias)
    x2 = tx.reshape(n // cols, cols)
    out: dict[str, Callable[[], object]] = {
        "exp": lambda: m.exp(tx),
        "tanh": lambda: m.tanh(tx),
        "sigmoid": lambda: m.sigmoid(tx),
        "gelu": lambda: gelu(tx),
        "silu": lambda: silu(tx),
        "relu": lambda: m.relu(tx),
        "add": lambda: m.add(tx, ty),
        "add bias row": lambda: m.add(x2, tb),
        "mul scalar": lambda: m.mul(tx, 1.5),
    }
    # Backward: the graph is built once; each call runs the node's backward (retain_graph).
    for name, fn in (("gelu", gelu), ("relu", m.relu), ("tanh", m.tanh)):
        leaf = tensor(x.copy()).requires_grad_()
        res = fn(leaf)
        grad = tensor(y)

        def back(res=res, grad=grad, leaf=leaf) -> None:
            leaf.grad = None
            res.backward(grad, retain_graph=True)

        out[f"{name} backward"] = back
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--sizes", default=f"{1 << 20},{1 << 16}")
    ap.add_argument("--quick", action="store_true", help="fewer repeats (a smoke run)")
    args = ap.parse_args()
    import torch

    threads = [int(t) for t in args.threads.split(",")]
    sizes = [int(s) for s in args.sizes.split(",")]
    print(header(threads[0]))
    print(f"NumPy {np.__version__}; float32; times are medians of interleaved rounds")
    for t in threads:
        torch.set_num_threads(t)
        cr.set_num_threads(t)
        for n in sizes:
            crc, thc = cases("cr", n), cases("torch", n)
            timed: dict[str, Callable[[], object]] = {}
            for name in crc:
                timed["cr " + name] = crc[name]
                timed["torch " + name] = thc[name]
            number = 3 if args.quick else max(5, int(2e7 // (n * 20)))
            res = interleaved(timed, number=number, rounds=2 if args.quick else 5)
            print(f"\nthreads={t} n={n}")
            print(f"{'op':<18}{'chainrule':>12}{'torch':>12}{'torch/cr':>10}")
            for name in crc:
                a, b = res["cr " + name], res["torch " + name]
                print(f"{name:<18}{fmt_time(a):>12}{fmt_time(b):>12}{b / a:>10.2f}")


if __name__ == "__main__":
    main()
