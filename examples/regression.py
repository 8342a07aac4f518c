"""Regression with nn.Linear layers, MSELoss and SGD with momentum, written as a plain loop.

``python examples/regression.py``: fits y = sin(3x) + noise with a 1-32-32-1 MLP and prints
the loss falling and the final mean absolute error.
"""

from __future__ import annotations

import chainrule as cr
from chainrule import nn, optim


def main() -> float:
    cr.manual_seed(0)
    x = cr.rand(512, 1) * 4 - 2
    y = (3 * x).sin() + 0.05 * cr.randn(512, 1)
    model = nn.Sequential(
        nn.Linear(1, 32), nn.Tanh(), nn.Linear(32, 32), nn.Tanh(), nn.Linear(32, 1)
    )
    optimizer = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = nn.MSELoss()
    for step in range(1, 1501):
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        if step == 1 or step % 300 == 0:
            print(f"step {step:5d}  mse {loss.item():.5f}")
    with cr.no_grad():
        mae = (model(x) - y).abs().mean().item()
    print(f"mean absolute error {mae:.4f} (noise std 0.05)")
    return mae


if __name__ == "__main__":
    main()
