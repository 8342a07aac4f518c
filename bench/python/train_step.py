"""One training step (forward, backward, Adam) of an MLP, chainrule against torch eager.

Run: python bench/python/train_step.py [--threads 1 2] [--quick] [--models small|all]
[--cpp-binary PATH]. Both libraries train the same architecture from the same weights on
the same batch, interleaved in one process at the same thread count; the table gives the
step time and its forward and backward parts (backward = forward+backward - forward), then
how each library's step scales from 1 to 2 threads.
Goals (issue #4): MLP 784-128-10 b32 >= 5x torch, 784-256-256-10 b128 >= 2.5x,
1024-4096-4096-1024 b512 >= 1.3x; backward <= 2x forward on the two larger MLPs; the
largest scales >= 1.8x from 1 to 2 threads.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from harness import fmt_time, header, interleaved

import chainrule as cr
import chainrule.nn as nn

MLPS = {
    "784-128-10 b32": ((784, 128, 10), 32),
    "784-256-256-10 b128": ((784, 256, 256, 10), 128),
    "1024-4096-4096-1024 b512": ((1024, 4096, 4096, 1024), 512),
}
LARGE = {"1024-4096-4096-1024 b512"}  # about a second a step: fewer repeats


def build(lib, sizes):  # the same layers in either library
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(lib.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(lib.nn.ReLU())
    return lib.nn.Sequential(*layers)


def cases(torch, sizes, batch):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    ours = build(cr, sizes)
    theirs = build(torch, sizes)
    ours.load_state_dict({k: cr.tensor(v.numpy()) for k, v in theirs.state_dict().items()})
    cx, cy = cr.tensor(x), cr.tensor(y)
    tx, ty = torch.tensor(x), torch.tensor(y)
    c_opt = cr.optim.Adam(ours.parameters(), lr=1e-3)
    t_opt = torch.optim.Adam(theirs.parameters(), lr=1e-3)
    c_loss, t_loss = nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()

    def c_step() -> None:
        c_opt.zero_grad()
        c_loss(ours(cx), cy).backward()
        c_opt.step()

    def t_step() -> None:
        t_opt.zero_grad()
        t_loss(theirs(tx), ty).backward()
        t_opt.step()

    def c_forward() -> None:
        c_loss(ours(cx), cy)

    def t_forward() -> None:
        t_loss(theirs(tx), ty)

    def c_fwd_bwd() -> None:
        c_opt.zero_grad()
        c_loss(ours(cx), cy).backward()

    def t_fwd_bwd() -> None:
        t_opt.zero_grad()
        t_loss(theirs(tx), ty).backward()

    return {
        "step": (c_step, t_step),
        "forward": (c_forward, t_forward),
        "forward+backward": (c_fwd_bwd, t_fwd_bwd),
    }


def python_vs_cpp(binary: str, threads: int, steps: int = 100) -> None:
    """The same MLP step through Python and from C++ (bench/cpp/train_mlp), alternating."""
    import re
    import subprocess
    import time

    cr.set_num_threads(threads)
    cr.manual_seed(0)
    model = build(cr, (784, 256, 256, 10))
    optimizer = cr.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x, y = cr.randn(128, 784), cr.randint(0, 10, (128,))

    def step() -> None:
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()

    for _ in range(20):
        step()
    py, cpp = [], []
    for _ in range(3):  # alternate so that drifts in machine speed hit both alike
        times = []
        for _ in range(steps):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        py.append(sorted(times)[len(times) // 2])
        out = subprocess.run(
            [binary, str(steps), str(threads)], capture_output=True, text=True, check=True
        ).stdout
        cpp.append(float(re.search(r"median step ([0-9.]+) ms", out).group(1)) / 1e3)
    p, c = sorted(py)[1], sorted(cpp)[1]
    print(f"| {threads} | {fmt_time(p)} | {fmt_time(c)} | {p / c - 1:+.1%} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke test)")
    parser.add_argument(
        "--models",
        choices=("small", "all"),
        default="all",
        help="small: skip MLP 1024-4096-4096-1024 (about a second a step)",
    )
    parser.add_argument(
        "--cpp-binary",
        help="path of bench/cpp/train_mlp: also compare training through Python with C++",
    )
    args = parser.parse_args()
    if args.cpp_binary:
        print("MLP 784-256-256-10, batch 128, Adam: median step through Python and from C++")
        print("| threads | Python | C++ | Python's extra cost (goal <= +10%) |")
        print("| --- | --- | --- | --- |")
        for threads in args.threads:
            python_vs_cpp(args.cpp_binary, threads, steps=20 if args.quick else 100)
        print()
    import torch

    models = [m for m in MLPS if args.models == "all" or m not in LARGE]
    steps: dict[tuple[str, int, str], float] = {}
    for threads in args.threads:
        cr.set_num_threads(threads)
        torch.set_num_threads(threads)
        print(header(threads))
        print()
        print("| model | part | chainrule | torch | speed-up (torch / chainrule) |")
        print("| --- | --- | --- | --- | --- |")
        for name in models:
            sizes, batch = MLPS[name]
            if args.quick:
                number, rounds = 1, 1
            else:
                number, rounds = (1, 3) if name in LARGE else (30, 5)
            pairs = cases(torch, sizes, batch)
            timed = interleaved(
                {
                    f"{part} {lib}": fn
                    for part, fns in pairs.items()
                    for lib, fn in zip(("cr", "torch"), fns, strict=True)
                },
                number=number,
                rounds=rounds,
            )
            for lib in ("cr", "torch"):
                both, forward = timed[f"forward+backward {lib}"], timed[f"forward {lib}"]
                timed[f"backward {lib}"] = both - forward
                steps[(name, threads, lib)] = timed[f"step {lib}"]
            for part in ("step", "forward", "backward"):
                c, t = timed[f"{part} cr"], timed[f"{part} torch"]
                print(f"| {name} | {part} | {fmt_time(c)} | {fmt_time(t)} | {t / c:.2f}x |")
            ratio = timed["backward cr"] / timed["forward cr"]
            print(
                f"| {name} | backward / forward | {ratio:.2f} | "
                f"{timed['backward torch'] / timed['forward torch']:.2f} | |"
            )
        print()
    if len(args.threads) > 1:
        lo, hi = min(args.threads), max(args.threads)
        print(f"Step speed-up from {lo} to {hi} threads")
        print()
        print("| model | chainrule | torch |")
        print("| --- | --- | --- |")
        for name in models:
            c = steps[(name, lo, "cr")] / steps[(name, hi, "cr")]
            t = steps[(name, lo, "torch")] / steps[(name, hi, "torch")]
            print(f"| {name} | {c:.2f}x | {t:.2f}x |")


if __name__ == "__main__":
    main()
