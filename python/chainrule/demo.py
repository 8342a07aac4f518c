"""``python -m chainrule.demo``: trains an MLP on the bundled handwritten digits.

The 1,797 UCI 8x8 digits ship inside the package (nothing is downloaded). The model is a
64-128-10 MLP trained with Adam and cross-entropy through ``chainrule.train.fit``, with a
progress bar per epoch when the output is a terminal. It prints the test accuracy and the
time taken, and exits with status 1 if the accuracy is below 0.96.
"""

from __future__ import annotations

import argparse
import sys
import time

import chainrule as cr
from chainrule import nn, optim
from chainrule.datasets import load_digits
from chainrule.train import evaluate, fit


def build_model(hidden: int) -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, hidden),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(hidden, 10),
    )


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0].strip("`: "))
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-progress", action="store_true", help="no progress bars")
    args = parser.parse_args(argv)

    cr.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_digits()
    model = build_model(args.hidden)
    print(model)
    optimizer = optim.Adam(model.parameters(), lr=args.lr)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    start = time.perf_counter()
    history = fit(
        model,
        (x_train, y_train),
        loss=nn.CrossEntropyLoss(),
        optimizer=optimizer,
        epochs=args.epochs,
        batch_size=args.batch_size,
        val_data=(x_test, y_test),
        metrics=["accuracy"],
        scheduler=scheduler,
        progress=not args.no_progress,
    )
    elapsed = time.perf_counter() - start
    result = evaluate(model, (x_test, y_test), loss=nn.CrossEntropyLoss(), metrics=["accuracy"])
    losses = history.history["loss"]
    print(f"train loss {losses[0]:.4f} (epoch 1) -> {losses[-1]:.4f} (epoch {len(losses)})")
    print(
        f"test accuracy {result['accuracy']:.4f} on {x_test.shape[0]} held-out digits "
        f"(test loss {result['loss']:.4f})"
    )
    print(
        f"trained {args.epochs} epochs on {x_train.shape[0]} digits in {elapsed:.2f} s "
        f"({cr.get_num_threads()} threads)"
    )
    return float(result["accuracy"])


if __name__ == "__main__":
    sys.exit(0 if main() >= 0.96 else 1)
