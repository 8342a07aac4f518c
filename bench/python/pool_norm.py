"""Pooling and normalisation: chainrule against torch in one process.

Cases (float32): max_pool2d 2x2 on (64,6,24,24) and (64,16,8,8) (the LeNet pools), forward
and forward+backward; avg_pool2d 2x2 on (64,6,24,24); adaptive_avg_pool2d to 1x1 on
(64,64,8,8); layer_norm on (16*64,128) and (512,1024) forward and forward+backward;
batch_norm 2-D training on (64,16,16,16) forward+backward. Each case runs interleaved
(harness.interleaved) at 1 and 2 threads; the table gives the median time of each library
and torch / chainrule (> 1: chainrule is faster).

Run: python bench/python/pool_norm.py [--threads 1 2] [--only pool,norm] [--rounds 5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import numpy as np
from harness import fmt_time, header, interleaved

import chainrule as cr


def cases(mod, only):
    """name -> (callable, calls per timing) for one library (mod is cr or torch)."""
    rng = np.random.default_rng(0)
    F = mod.nn.functional
    t = mod.tensor
    out = {}

    def fwd_bwd(make, x, shape_out, n, name):
        X = t(x)
        Xg = t(x, requires_grad=True)
        dy = t(rng.standard_normal(shape_out, dtype=np.float32))
        out[f"{name} fwd"] = (lambda: make(X), n)
        out[f"{name} fwd+bwd"] = (lambda: make(Xg).backward(dy), n)

    if "pool" in only:
        a1 = rng.standard_normal((64, 6, 24, 24), dtype=np.float32)
        a2 = rng.standard_normal((64, 16, 8, 8), dtype=np.float32)
        a3 = rng.standard_normal((64, 64, 8, 8), dtype=np.float32)
        fwd_bwd(lambda x: F.max_pool2d(x, 2), a1, (64, 6, 12, 12), 200, "max_pool2d 2 (64,6,24,24)")
        fwd_bwd(lambda x: F.max_pool2d(x, 2), a2, (64, 16, 4, 4), 500, "max_pool2d 2 (64,16,8,8)")
        fwd_bwd(lambda x: F.avg_pool2d(x, 2), a1, (64, 6, 12, 12), 200, "avg_pool2d 2 (64,6,24,24)")
        fwd_bwd(
            lambda x: F.adaptive_avg_pool2d(x, 1),
            a3,
            (64, 64, 1, 1),
            200,
            "adaptive_avg 1x1 (64,64,8,8)",
        )
    if "norm" in only:
        for shape, n in (((16 * 64, 128), 200), ((512, 1024), 50)):
            x = rng.standard_normal(shape, dtype=np.float32)
            w = t(rng.standard_normal(shape[1:], dtype=np.float32), requires_grad=True)
            b = t(rng.standard_normal(shape[1:], dtype=np.float32), requires_grad=True)
            fwd_bwd(
                lambda x, w=w, b=b, d=shape[1]: F.layer_norm(x, (d,), w, b),
                x,
                shape,
                n,
                f"layer_norm {shape}",
            )
        x = rng.standard_normal((64, 16, 16, 16), dtype=np.float32)
        w = t(rng.standard_normal(16, dtype=np.float32), requires_grad=True)
        b = t(rng.standard_normal(16, dtype=np.float32), requires_grad=True)
        rm, rv = mod.zeros(16), mod.ones(16)
        fwd_bwd(
            lambda x: F.batch_norm(x, rm, rv, w, b, training=True),
            x,
            x.shape,
            100,
            "batch_norm2d train (64,16,16,16)",
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--only", default="pool,norm")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    only = set(args.only.split(","))

    import torch

    c = cases(cr, only)
    tc = cases(torch, only)
    for threads in args.threads:
        cr.set_num_threads(threads)
        torch.set_num_threads(threads)
        print(header(threads))
        print()
        print("| case | chainrule | torch | torch/cr |")
        print("|---|---:|---:|---:|")
        for name, (fn, number) in c.items():
            res = interleaved({"cr": fn, "torch": tc[name][0]}, number, rounds=args.rounds)
            print(
                f"| {name} | {fmt_time(res['cr'])} | {fmt_time(res['torch'])} | "
                f"{res['torch'] / res['cr']:.2f} |",
                flush=True,
            )
        print()


if __name__ == "__main__":
    main()
