"""conv2d forward and backward throughput, chainrule against torch eager (GFLOP/s).

Run: python bench/python/conv.py [--threads 1 2] [--quick]. The shapes are the two LeNet
convolutions (batch 64) and a ResNet-like 3x3, 64-channel, 32x32 layer (batch 16). Forward
counts 2*N*O*OH*OW*C*kh*kw flops; backward computes the input and the weight gradients
(twice the forward's flops) plus the bias gradient. Both libraries run the same tensors,
interleaved in one process at the same thread count.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from harness import fmt_time, header, interleaved

import chainrule as cr

# name: (input shape, (out_channels, kernel), padding, input needs grad)
SHAPES = {
    "LeNet conv1 64x1x28x28 -> 6, 5x5": ((64, 1, 28, 28), (6, 5), 0, False),
    "LeNet conv2 64x6x12x12 -> 16, 5x5": ((64, 6, 12, 12), (16, 5), 0, True),
    "ResNet 16x64x32x32 -> 64, 3x3 pad 1": ((16, 64, 32, 32), (64, 3), 1, True),
}


def flops(shape, out_channels, kernel, padding) -> float:  # type: ignore[no-untyped-def]
    n, c, h, w = shape
    oh, ow = h + 2 * padding - kernel + 1, w + 2 * padding - kernel + 1
    return 2.0 * n * out_channels * oh * ow * c * kernel * kernel


def passes(lib, x, w, b, padding):  # type: ignore[no-untyped-def]
    conv = lib.nn.functional.conv2d
    dy = lib.ones_like(conv(x, w, b, padding=padding))

    def forward() -> None:
        with lib.no_grad():
            conv(x, w, b, padding=padding)

    def fwd_bwd() -> None:
        conv(x, w, b, padding=padding).backward(dy)

    return forward, fwd_bwd


def cases(torch, shape, out_channels, kernel, padding, input_grad):  # type: ignore[no-untyped-def]
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    w = (rng.standard_normal((out_channels, shape[1], kernel, kernel)) * 0.1).astype(np.float32)
    b = rng.standard_normal(out_channels).astype(np.float32)
    fns = {}
    for name, lib in (("cr", cr), ("torch", torch)):
        xt = lib.tensor(x, requires_grad=input_grad)
        wt, bt = lib.tensor(w, requires_grad=True), lib.tensor(b, requires_grad=True)
        fns[f"forward {name}"], fns[f"forward+backward {name}"] = passes(lib, xt, wt, bt, padding)
    return fns


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke test)")
    args = parser.parse_args()
    import torch

    for threads in args.threads:
        cr.set_num_threads(threads)
        torch.set_num_threads(threads)
        print(header(threads))
        print()
        print(
            "| shape | pass | chainrule | GFLOP/s | torch | GFLOP/s "
            "| speed-up (torch / chainrule) |"
        )
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for name, (shape, (out_channels, kernel), padding, input_grad) in SHAPES.items():
            timed = interleaved(
                cases(torch, shape, out_channels, kernel, padding, input_grad),
                number=1 if args.quick else 20,
                rounds=1 if args.quick else 5,
            )
            fl = flops(shape, out_channels, kernel, padding)
            for lib in ("cr", "torch"):
                both = timed[f"forward+backward {lib}"]
                timed[f"backward {lib}"] = both - timed[f"forward {lib}"]
            for part, work in (("forward", fl), ("backward", fl * (2 if input_grad else 1))):
                c, t = timed[f"{part} cr"], timed[f"{part} torch"]
                print(
                    f"| {name} | {part} | {fmt_time(c)} | {work / c / 1e9:.1f} | "
                    f"{fmt_time(t)} | {work / t / 1e9:.1f} | {t / c:.2f}x |"
                )
        print()
    print(
        "backward: the weight gradient, plus the input gradient where the input needs one "
        "(not for conv1, whose input is the data); the flops column counts those GEMMs."
    )


if __name__ == "__main__":
    main()
