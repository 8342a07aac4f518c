"""One Adam step on 25 M float32 parameters: chainrule's fused step against torch.optim.Adam.

The parameters are those of an MLP 1024-4096-4096-1024 (three weights and three biases,
25,175,040 values), each with a gradient; both libraries start from the same values and
step in the same process, interleaved, at 1 and 2 threads. torch uses its default Adam
(``torch.optim.Adam(params)``: the implementation torch picks for CPU tensors).

Run: python bench/python/optim_step.py [--small]   (--small: a 1 M-parameter smoke run)
Goal (issue #3): chainrule >= 3x faster than torch.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from harness import fmt_time, header, interleaved

import chainrule as cr

MLP = (1024, 4096, 4096, 1024)


def mlp_shapes(widths: tuple[int, ...]) -> list[tuple[int, ...]]:
    shapes: list[tuple[int, ...]] = []
    for fan_in, fan_out in zip(widths[:-1], widths[1:]):
        shapes += [(fan_out, fan_in), (fan_out,)]
    return shapes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="1 M parameters, few repeats")
    args = parser.parse_args()

    import numpy as np

    widths = (256, 1024, 512, 256) if args.small else MLP
    shapes = mlp_shapes(widths)
    rng = np.random.default_rng(0)
    values = [rng.standard_normal(s, dtype=np.float32) * 0.02 for s in shapes]
    grads = [rng.standard_normal(s, dtype=np.float32) * 0.01 for s in shapes]
    n = sum(v.size for v in values)

    cr_params = [cr.tensor(v, requires_grad=True) for v in values]
    for p, g in zip(cr_params, grads):
        p.grad = cr.tensor(g)
    cr_opt = cr.optim.Adam(cr_params)
    cases = {"cr": cr_opt.step}

    try:
        import torch
    except ImportError:
        torch = None
    if torch is not None:
        t_params = [torch.tensor(v, requires_grad=True) for v in values]
        for p, g in zip(t_params, grads):
            p.grad = torch.tensor(g)
        t_opt = torch.optim.Adam(t_params)
        cases["torch"] = t_opt.step

    number, rounds = (5, 3) if args.small else (2, 3)
    print(
        f"Adam step, {len(shapes)} tensors, {n:,} float32 parameters "
        f"(MLP {'-'.join(map(str, widths))})"
    )
    rows = []
    for threads in (1, 2):
        cr.set_num_threads(threads)
        if torch is not None:
            torch.set_num_threads(threads)
        times = interleaved(cases, number=number, rounds=rounds)
        rows.append((threads, times))
    print(header(threads=rows[-1][0]).replace("threads: 2", "threads: 1 and 2"))
    if hasattr(os, "getloadavg"):
        print("load average during the run: {:.1f} {:.1f} {:.1f}".format(*os.getloadavg()))
    print()
    print("| threads | chainrule | torch | speed-up (torch / chainrule) | goal |")
    print("| --- | --- | --- | --- | --- |")
    for threads, times in rows:
        c = times["cr"]
        t = times.get("torch")
        ratio = f"{t / c:.2f}x" if t else "n/a"
        print(f"| {threads} | {fmt_time(c)} | {fmt_time(t) if t else 'n/a'} | {ratio} | >= 3x |")


if __name__ == "__main__":
    main()
