"""Reductions, softmax and cross-entropy: chainrule against torch in one process.

Cases (float32): x.sum(), x.sum(0), x.sum(1), x.mean(-1) on (512, 1024); x.sum() on (1M,);
softmax / log_softmax forward and backward on (512, 1000); cross_entropy forward and
forward+backward on (512, 1000) and (128, 10) logits. Each case runs interleaved
(harness.interleaved) at 1 and 2 threads; the table gives the median time of each library
and torch / chainrule (> 1: chainrule is faster).

Run: python bench/python/reduce_softmax.py [--threads 1 2] [--only sum,softmax,ce]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import numpy as np
from harness import fmt_time, header, interleaved

import chainrule as cr


def cases(lib, mod, only):
    """name -> (callable, calls per timing) for one library (mod is cr or torch)."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal((512, 1024), dtype=np.float32)
    v = rng.standard_normal(1 << 20, dtype=np.float32)
    s = rng.standard_normal((512, 1000), dtype=np.float32)
    small = rng.standard_normal((128, 10), dtype=np.float32)
    yb = rng.integers(0, 1000, 512)
    ys = rng.integers(0, 10, 128)
    out = {}
    t = mod.tensor
    if "sum" in only:
        A, V = t(a), t(v)
        out["sum() (512,1024)"] = (lambda: A.sum(), 200)
        out["sum(0) (512,1024)"] = (lambda: A.sum(0), 200)
        out["sum(1) (512,1024)"] = (lambda: A.sum(1), 200)
        out["mean(-1) (512,1024)"] = (lambda: A.mean(-1), 200)
        out["sum() (1M,)"] = (lambda: V.sum(), 200)
    if "softmax" in only:
        S = t(s)
        Sg = t(s, requires_grad=True)
        dy = t(rng.standard_normal((512, 1000), dtype=np.float32))
        F = mod.nn.functional
        out["softmax fwd (512,1000)"] = (lambda: mod.softmax(S, 1), 100)
        out["log_softmax fwd (512,1000)"] = (lambda: mod.log_softmax(S, 1), 100)
        out["softmax fwd+bwd (512,1000)"] = (lambda: F.softmax(Sg, 1).backward(dy), 50)
        out["log_softmax fwd+bwd (512,1000)"] = (lambda: F.log_softmax(Sg, 1).backward(dy), 50)
    if "ce" in only:
        F = mod.nn.functional
        for name, x, y, n in (("(512,1000)", s, yb, 50), ("(128,10)", small, ys, 500)):
            X = t(x)
            Xg = t(x, requires_grad=True)
            Y = t(y)
            out[f"cross_entropy fwd {name}"] = (lambda X=X, Y=Y: F.cross_entropy(X, Y), n)
            out[f"cross_entropy fwd+bwd {name}"] = (
                lambda Xg=Xg, Y=Y: F.cross_entropy(Xg, Y).backward(),
                n,
            )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", default="sum,softmax,ce")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    only = set(args.only.split(","))

    import torch

    c = cases("cr", cr, only)
    tc = cases("torch", torch, only)
    for threads in args.threads:
        cr.set_num_threads(threads)
        torch.set_num_threads(threads)
        print(header(threads))
        print(f"{'case':34s} {'chainrule':>11s} {'torch':>11s} {'torch/cr':>9s}")
        for name, (fn, number) in c.items():
            res = interleaved({"cr": fn, "torch": tc[name][0]}, number, rounds=args.rounds)
            print(
                f"{name:34s} {fmt_time(res['cr']):>11s} {fmt_time(res['torch']):>11s} "
                f"{res['torch'] / res['cr']:9.2f}"
            )
        print()


if __name__ == "__main__":
    main()
