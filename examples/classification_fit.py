"""Classification with ``chainrule.train.fit``: digits, validation split, callbacks.

``python examples/classification_fit.py``: trains an MLP on the bundled digits with Adam,
early stopping on the validation loss and a best-model checkpoint, then reports the test
accuracy of the restored best weights.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import chainrule as cr
from chainrule import nn, optim
from chainrule.datasets import load_digits
from chainrule.train import EarlyStopping, ModelCheckpoint, evaluate, fit
from chainrule.utils.data import DataLoader, TensorDataset, random_split


def main() -> float:
    cr.manual_seed(0)
    (x_train, y_train), (x_test, y_test) = load_digits()
    train_set, val_set = random_split(
        TensorDataset(x_train, y_train), [0.85, 0.15], generator=cr.Generator().manual_seed(0)
    )
    train_loader = DataLoader(train_set, batch_size=32, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=256)

    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    optimizer = optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-2)
    with tempfile.TemporaryDirectory() as tmp:
        best = Path(tmp) / "best.crt"
        history = fit(
            model,
            train_loader,
            loss=nn.CrossEntropyLoss(label_smoothing=0.05),
            optimizer=optimizer,
            epochs=40,
            val_data=val_loader,
            metrics=["accuracy"],
            callbacks=[EarlyStopping(patience=5), ModelCheckpoint(best)],
        )
        print(f"stopped after {len(history.epoch)} epochs")
        model.load_state_dict(cr.load(best))
    result = evaluate(model, (x_test, y_test), metrics=["accuracy"])
    print(f"test accuracy of the best checkpoint: {result['accuracy']:.4f}")
    return float(result["accuracy"])


if __name__ == "__main__":
    main()
