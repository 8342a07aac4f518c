"""Trains a small MLP on the bundled handwritten digits with raw tensors: no nn, no optim.

``python examples/raw_autograd.py``. Written with raw tensors and autograd only (parameters,
matmul, log-softmax, a hand-written SGD-with-momentum step), to show every piece of a
training step. It prints the loss per epoch, the test accuracy and the time taken.
"""

from __future__ import annotations

import argparse
import math
import time

import chainrule as cr
from chainrule.datasets import load_digits


def init_linear(fan_in: int, fan_out: int) -> tuple[cr.Tensor, cr.Tensor]:
    """PyTorch's default Linear initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / math.sqrt(fan_in)
    w = (cr.rand(fan_in, fan_out) * (2 * bound) - bound).requires_grad_()
    b = (cr.rand(fan_out) * (2 * bound) - bound).requires_grad_()
    return w, b


def forward(params: list[cr.Tensor], x: cr.Tensor) -> cr.Tensor:
    w1, b1, w2, b2 = params
    return cr.relu(x @ w1 + b1) @ w2 + b2


def cross_entropy(logits: cr.Tensor, onehot: cr.Tensor) -> cr.Tensor:
    """Mean negative log-likelihood of the targets (given as one-hot rows)."""
    return -(cr.log_softmax(logits, dim=1) * onehot).sum() / logits.shape[0]


def main(argv: list[str] | None = None) -> float:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    cr.manual_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = load_digits()
    classes = cr.arange(10)
    onehot_train = (y_train.unsqueeze(1) == classes).float()
    params = [*init_linear(64, args.hidden), *init_linear(args.hidden, 10)]
    velocity = [cr.zeros_like(p) for p in params]
    n = x_train.shape[0]
    start = time.perf_counter()
    for epoch in range(1, args.epochs + 1):
        order = cr.randperm(n)
        total = 0.0
        for i in range(0, n, args.batch_size):
            idx = order[i : i + args.batch_size]
            loss = cross_entropy(forward(params, x_train[idx]), onehot_train[idx])
            for p in params:
                p.grad = None
            loss.backward()
            with cr.no_grad():
                for p, v in zip(params, velocity):
                    v.mul_(0.9).add_(p.grad)
                    p.sub_(v, alpha=args.lr)
            total += loss.item() * idx.shape[0]
        if epoch == 1 or epoch % 5 == 0 or epoch == args.epochs:
            print(f"epoch {epoch:3d}  train loss {total / n:.4f}")
    elapsed = time.perf_counter() - start
    with cr.no_grad():
        predicted = forward(params, x_test).argmax(dim=1)
    accuracy = (predicted == y_test).float().mean().item()
    print(f"test accuracy {accuracy:.4f} on {x_test.shape[0]} held-out digits")
    print(f"trained {args.epochs} epochs in {elapsed:.2f} s ({cr.get_num_threads()} threads)")
    return accuracy


if __name__ == "__main__":
    main()
