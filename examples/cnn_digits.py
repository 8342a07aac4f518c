"""A small CNN on the bundled digits as 1x8x8 images.

``python examples/cnn_digits.py``: two conv blocks (Conv2d, BatchNorm2d, ReLU, MaxPool2d),
then Flatten, Dropout and Linear, trained with Adam and cross-entropy through
``chainrule.train.fit``. Prints the training time and, as its last line, the test accuracy
(0.986 with the default seed, in about two seconds on two cores).
"""

from __future__ import annotations

import argparse
import time

import chainrule as cr
from chainrule import nn, optim
from chainrule.datasets import load_digits
from chainrule.train import evaluate, fit


def build_model() -> nn.Module:
    # (N, 1, 8, 8) -> (N, 16, 4, 4) -> (N, 32, 2, 2) -> (N, 128) -> (N, 10)
    return nn.Sequential(
        nn.Conv2d(1, 16, kernel_size=3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, kernel_size=3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Dropout(0.1),
        nn.Linear(32 * 2 * 2, 10),
    )


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    cr.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_digits(as_images=True)  # (N, 1, 8, 8)
    model = build_model()
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
        scheduler=scheduler,
        progress=False,
    )
    elapsed = time.perf_counter() - start
    losses = history.history["loss"]
    print(
        f"trained {len(losses)} epochs in {elapsed:.1f} s; train loss "
        f"{losses[0]:.3f} -> {losses[-1]:.3f}"
    )
    result = evaluate(model, (x_test, y_test), metrics=["accuracy"])
    accuracy = float(result["accuracy"])
    print(f"test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
