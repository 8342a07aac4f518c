"""One training step of a LeNet-style CNN and of a transformer encoder block, against torch.

Run: python bench/python/train_step_cnn_transformer.py [--threads 1 2] [--quick]
[--models lenet transformer].
Both libraries train the same architecture from the same weights on the same batch,
interleaved in one process at the same thread count; the table gives the step (forward,
backward, Adam) and its forward and backward parts (backward = forward+backward - forward).
Goals (issue #5): LeNet on 1x28x28, batch 64 (conv 1->6 5x5, relu, maxpool 2, conv 6->16 5x5,
relu, maxpool 2, fc 256-120-84-10) >= 1.5x torch; transformer encoder block (batch 16,
sequence 64, d_model 128, 4 heads, MLP 512, pre-norm LayerNorm, GELU) >= 1.2x torch.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from harness import fmt_time, header, interleaved

import chainrule as cr


def lenet(lib: Any) -> Any:
    nn = lib.nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(256, 120),
        nn.ReLU(),
        nn.Linear(120, 84),
        nn.ReLU(),
        nn.Linear(84, 10),
    )


def transformer_block(lib: Any) -> Any:
    return lib.nn.TransformerEncoderLayer(
        128,
        4,
        dim_feedforward=512,
        dropout=0.0,
        activation="gelu",
        batch_first=True,
        norm_first=True,
    )


def lenet_data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    return rng.standard_normal((64, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, 64)


def transformer_data(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    # a regression target of the block's own shape: the loss is the mean squared error
    x = rng.standard_normal((16, 64, 128)).astype(np.float32)
    return x, rng.standard_normal((16, 64, 128)).astype(np.float32)


MODELS = {
    "LeNet b64": (lenet, lenet_data, "cross_entropy"),
    "transformer block b16 s64 d128": (transformer_block, transformer_data, "mse_loss"),
}


def step_functions(lib: Any, model: Any, x: Any, y: Any, loss_name: str) -> dict[str, Any]:
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = getattr(lib.nn.functional, loss_name)

    def step() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    def forward() -> None:
        loss_fn(model(x), y)

    def fwd_bwd() -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()

    return {"step": step, "forward": forward, "forward+backward": fwd_bwd}


def cases(torch: Any, name: str) -> dict[str, tuple[Callable[[], None], Callable[[], None]]]:
    build, data, loss_name = MODELS[name]
    x, y = data(np.random.default_rng(0))
    theirs = build(torch)
    ours = build(cr)
    ours.load_state_dict({k: cr.tensor(v.detach().numpy()) for k, v in theirs.state_dict().items()})
    fns: dict[str, list[Callable[[], None]]] = {"step": [], "forward": [], "forward+backward": []}
    for lib, model in ((cr, ours), (torch, theirs)):
        for part, fn in step_functions(lib, model, lib.tensor(x), lib.tensor(y), loss_name).items():
            fns[part].append(fn)
    return {part: (f[0], f[1]) for part, f in fns.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--quick", action="store_true", help="fewer repeats (smoke test)")
    parser.add_argument(
        "--models", nargs="+", choices=("lenet", "transformer"), default=["lenet", "transformer"]
    )
    args = parser.parse_args()
    import torch

    names = [n for n in MODELS if n.split()[0].lower() in args.models]
    for threads in args.threads:
        cr.set_num_threads(threads)
        torch.set_num_threads(threads)
        print(header(threads))
        print()
        print("| model | part | chainrule | torch | speed-up (torch / chainrule) |")
        print("| --- | --- | --- | --- | --- |")
        for name in names:
            pairs = cases(torch, name)
            timed = interleaved(
                {
                    f"{part} {lib}": fn
                    for part, fs in pairs.items()
                    for lib, fn in zip(("cr", "torch"), fs, strict=True)
                },
                number=1 if args.quick else 20,
                rounds=1 if args.quick else 5,
            )
            for lib in ("cr", "torch"):
                both = timed[f"forward+backward {lib}"]
                timed[f"backward {lib}"] = both - timed[f"forward {lib}"]
            for part in ("step", "forward", "backward"):
                c, t = timed[f"{part} cr"], timed[f"{part} torch"]
                print(f"| {name} | {part} | {fmt_time(c)} | {fmt_time(t)} | {t / c:.2f}x |")
        print()


if __name__ == "__main__":
    main()
