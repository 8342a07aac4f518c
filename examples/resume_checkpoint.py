"""Resuming training from a checkpoint: model, optimizer and scheduler state in one file.

``python examples/resume_checkpoint.py``: trains 10 epochs, saves, "crashes", rebuilds
everything from the file and trains 10 more; the resumed run ends exactly where an
uninterrupted 20-epoch run does.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import chainrule as cr
from chainrule import nn, optim
from chainrule.datasets import load_digits
from chainrule.utils.data import DataLoader, TensorDataset


def make_run() -> tuple[nn.Module, optim.Optimizer, optim.lr_scheduler.LRScheduler]:
    model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = optim.Adam(model.parameters(), lr=1e-3)
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=5, gamma=0.5)
    return model, optimizer, scheduler


def train(model, optimizer, scheduler, loader, epochs: int) -> None:  # type: ignore[no-untyped-def]
    loss_fn = nn.CrossEntropyLoss()
    for _ in range(epochs):
        for x, y in loader:
            optimizer.zero_grad()
            loss_fn(model(x), y).backward()
            optimizer.step()
        scheduler.step()


def main() -> None:
    (x_train, y_train), _ = load_digits()
    data = TensorDataset(x_train, y_train)

    cr.manual_seed(0)
    reference = make_run()
    train(*reference, DataLoader(data, batch_size=64, shuffle=True), epochs=20)

    cr.manual_seed(0)
    model, optimizer, scheduler = make_run()
    loader = DataLoader(data, batch_size=64, shuffle=True)
    train(model, optimizer, scheduler, loader, epochs=10)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "checkpoint.crt"
        rng = cr.get_rng_state()  # the shuffling stream, so epoch 11 sees the same order
        cr.save(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scheduler": scheduler.state_dict(),
                "epoch": 10,
            },
            path,
        )
        del model, optimizer, scheduler  # the "crash"
        checkpoint = cr.load(path)
    model, optimizer, scheduler = make_run()
    model.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    cr.set_rng_state(rng)
    print(f"resumed at epoch {checkpoint['epoch']}, lr {scheduler.get_last_lr()[0]:.2e}")
    train(model, optimizer, scheduler, loader, epochs=10)
    diff = max(
        (a - b).abs().max().item()
        for a, b in zip(model.state_dict().values(), reference[0].state_dict().values())
    )
    print(f"largest weight difference from the uninterrupted run: {diff:.3g}")


if __name__ == "__main__":
    main()
