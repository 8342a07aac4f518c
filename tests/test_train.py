"""chainrule.train: fit/evaluate/predict, History, metrics, callbacks and progress output."""

from __future__ import annotations

import io
import math
import sys
from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.utils as nn_utils
from chainrule import optim
from chainrule.train import (
    Callback,
    EarlyStopping,
    FitState,
    GradientFlow,
    History,
    LambdaCallback,
    ModelCheckpoint,
    ReduceLROnPlateau,
    evaluate,
    fit,
    predict,
)
from chainrule.train.metrics import MAE, RMSE, Accuracy, TopKAccuracy, get_metric
from chainrule.utils.data import DataLoader, TensorDataset

# ---- a model on nn.Module, a step-counting optim.SGD, nn losses ----------------------------


class _MLP(nn.Module):
    """Linear layers with ReLU between; records (training, grad enabled) of each call."""

    def __init__(self, *sizes: int) -> None:
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
        self.calls: list[tuple[bool, bool]] = []

    def forward(self, x: cr.Tensor) -> cr.Tensor:
        self.calls.append((self.training, cr.is_grad_enabled()))
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = cr.relu(x)
        return x


class _SGD(optim.SGD):
    """optim.SGD that counts its steps."""

    def __init__(self, params: Any, lr: float = 0.1, momentum: float = 0.0) -> None:
        super().__init__(params, lr=lr, momentum=momentum)
        self.steps = 0

    def step(self, closure: Any = None) -> Any:
        self.steps += 1
        return super().step(closure)


_cross_entropy = nn.CrossEntropyLoss()
_mse = nn.MSELoss()


# ---- data -------------------------------------------------------------------------------------


def _blobs(n: int = 120, seed: int = 0) -> tuple[cr.Tensor, cr.Tensor]:
    """Three well-separated Gaussian blobs in 4-d: (n, 4) float32 and (n,) int64 labels."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    centers = np.array([[3, 0, 0, 0], [0, 3, 0, 0], [0, 0, 3, 0]], dtype=np.float32)
    x = centers[y] + rng.normal(0, 0.5, (n, 4)).astype(np.float32)
    return cr.tensor(x), cr.tensor(y)


def _fit(model: _MLP, data: Any, **kw: Any) -> History:
    kw.setdefault("loss", _cross_entropy)
    kw.setdefault("optimizer", _SGD(model.parameters(), lr=0.1))
    kw.setdefault("progress", False)
    return fit(model, data, **kw)


def _scripted(key: str, values: list[float]) -> LambdaCallback:
    """Sets ``logs[key]`` to ``values[epoch]`` at each epoch's end (before later callbacks)."""

    def hook(state: FitState) -> None:
        state.logs[key] = values[state.epoch]

    return LambdaCallback(on_epoch_end=hook)


# ---- fit ------------------------------------------------------------------------------------


def test_fit_decreases_loss_and_fills_history() -> None:
    X, y = _blobs()
    model = _MLP(4, 16, 3)
    hist = _fit(model, (X, y), epochs=5, batch_size=16, metrics=["accuracy"])
    assert isinstance(hist, History)
    assert hist.epoch == [0, 1, 2, 3, 4]
    assert set(hist.history) == {"loss", "accuracy"}
    losses = hist.history["loss"]
    assert len(losses) == 5
    assert losses[-1] < 0.5 * losses[0]
    assert hist.history["accuracy"][-1] > 0.9
    assert hist["loss"] is losses
    assert "History(epochs=5" in repr(hist)


def test_fit_is_deterministic_under_a_seed() -> None:
    X, y = _blobs()

    def run() -> list[float]:
        cr.manual_seed(42)
        model = _MLP(4, 8, 3)
        return _fit(model, (X, y), epochs=3, batch_size=10)["loss"]

    assert run() == run()


def test_fit_val_data_and_metrics() -> None:
    X, y = _blobs(150)
    Xv, yv = _blobs(45, seed=1)
    model = _MLP(4, 16, 3)
    hist = _fit(
        model,
        (X, y),
        epochs=3,
        batch_size=32,
        val_data=(Xv, yv),
        metrics=["accuracy", "top2_accuracy"],
    )
    assert list(hist.history) == [
        "loss",
        "accuracy",
        "top2_accuracy",
        "val_loss",
        "val_accuracy",
        "val_top2_accuracy",
    ]
    assert all(len(v) == 3 for v in hist.history.values())
    # The last epoch's validation figures are those of the final model.
    final = evaluate(model, (Xv, yv), loss=_cross_entropy, metrics=["accuracy", "top2_accuracy"])
    assert hist["val_loss"][-1] == pytest.approx(final["loss"], rel=1e-6)
    assert hist["val_accuracy"][-1] == pytest.approx(final["accuracy"])
    assert hist["val_top2_accuracy"][-1] == pytest.approx(final["top2_accuracy"])


def test_fit_modes_and_grad_during_train_and_val() -> None:
    X, y = _blobs(40)
    model = _MLP(4, 3)
    model.eval()
    _fit(model, (X, y), epochs=2, batch_size=20, val_data=(X, y))
    # Per epoch: 2 training calls in train mode with grad, 1 val call in eval without.
    assert model.calls == [(True, True), (True, True), (False, False)] * 2
    assert model.training is False  # the caller's mode is back
    assert cr.is_grad_enabled()


def test_fit_restores_mixed_submodule_modes() -> None:
    X, y = _blobs(20)
    model = _MLP(4, 5, 3)
    model.layers[0].training = False
    _fit(model, (X, y), epochs=1, val_data=(X, y))
    assert [m.training for m in model.modules()] == [True, True, False, True]


def test_fit_accepts_numpy_arrays() -> None:
    X, y = _blobs(60)
    Xn = X.numpy().astype(np.float64)
    yn = y.numpy().astype(np.int32)
    model = _MLP(4, 3)
    seen: list[tuple[Any, Any]] = []

    def loss(output: cr.Tensor, target: cr.Tensor) -> cr.Tensor:
        seen.append((output.dtype, target.dtype))
        return _cross_entropy(output, target)

    hist = _fit(model, (Xn, yn), loss=loss, epochs=1, batch_size=30, val_data=(Xn, yn))
    assert seen[0] == (cr.float32, cr.int64)
    assert len(hist["val_loss"]) == 1
    assert predict(model, Xn).dtype == cr.float32


def test_fit_with_dataloader_and_dataset() -> None:
    X, y = _blobs(50)
    model = _MLP(4, 3)
    loader = DataLoader(TensorDataset(X, y), batch_size=25)
    opt = _SGD(model.parameters())
    _fit(model, loader, optimizer=opt, epochs=2, batch_size=1000)  # batch_size: loader wins
    assert opt.steps == 4
    opt = _SGD(model.parameters())
    _fit(model, TensorDataset(X, y), optimizer=opt, epochs=1, batch_size=10)
    assert opt.steps == 5
    opt = _SGD(model.parameters())
    _fit(model, [(X[:20], y[:20]), (X[20:], y[20:])], optimizer=opt, epochs=2)  # any iterable
    assert opt.steps == 4


def test_fit_batch_count_and_shuffle_flag() -> None:
    X, y = _blobs(50)
    model = _MLP(4, 3)
    opt = _SGD(model.parameters(), lr=0.0)
    hist = _fit(model, (X, y), optimizer=opt, epochs=2, batch_size=16, shuffle=False)
    assert opt.steps == 8  # ceil(50 / 16) per epoch
    # lr 0 and no shuffling: the same batches, the same loss.
    assert hist["loss"][0] == pytest.approx(hist["loss"][1], rel=1e-6)
    expected = evaluate(model, (X, y), loss=_cross_entropy)["loss"]
    assert hist["loss"][0] == pytest.approx(expected, rel=1e-5)


def test_fit_multi_input_batches() -> None:
    class TwoInputs(_MLP):
        def forward(self, a: cr.Tensor, b: cr.Tensor) -> cr.Tensor:  # type: ignore[override]
            return super().forward(a + b)

    X, y = _blobs(30)
    model = TwoInputs(4, 3)
    loader = DataLoader(TensorDataset(X, X * 0, y), batch_size=10)
    hist = _fit(model, loader, epochs=1, metrics=["accuracy"])
    assert len(hist["accuracy"]) == 1
    assert predict(model, loader).shape == (30, 3)


def test_fit_epochs_zero() -> None:
    X, y = _blobs(10)
    hist = _fit(_MLP(4, 3), (X, y), epochs=0)
    assert hist.epoch == []
    assert hist.history == {}


def test_fit_errors() -> None:
    X, y = _blobs(10)
    model = _MLP(4, 3)
    with pytest.raises(ValueError, match="fit: epochs"):
        _fit(model, (X, y), epochs=-1)
    with pytest.raises(ValueError, match="fit: batch_size"):
        _fit(model, (X, y), batch_size=0)
    with pytest.raises(ValueError, match=r"fit: train_data X and y .*\(10, 4\) and \(9,\)"):
        _fit(model, (X, y[:9]))
    with pytest.raises(TypeError, match="fit: train_data must be"):
        _fit(model, X)
    with pytest.raises(TypeError, match="fit: train_data as an"):
        _fit(model, ([1, 2], [3, 4]))
    with pytest.raises(TypeError, match="fit: optimizer"):
        _fit(model, (X, y), optimizer=object())
    with pytest.raises(TypeError, match="fit: loss"):
        _fit(model, (X, y), loss=None)
    with pytest.raises(ValueError, match="fit: clip_grad_norm"):
        _fit(model, (X, y), clip_grad_norm=-1.0)
    with pytest.raises(ValueError, match="fit: train_data yielded no samples"):
        _fit(model, (X[:0], y[:0]))
    with pytest.raises(ValueError, match="metrics: unknown metric 'f1'"):
        _fit(model, (X, y), metrics=["f1"])
    with pytest.raises(TypeError, match="fit: each batch"):
        _fit(model, [X, X, X])
    with pytest.raises(TypeError, match="fit: scheduler"):
        _fit(model, (X, y), scheduler=object())
    assert model.training is True


def test_fit_digits_mlp_reaches_96_percent() -> None:
    cr.manual_seed(0)
    (X, y), (Xt, yt) = cr.datasets.load_digits()
    model = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
    # 460 steps; seeds 0..5 all reach 0.961..0.972 with this setting.
    opt = optim.SGD(model.parameters(), lr=0.2, momentum=0.9)
    hist = fit(
        model,
        (X, y),
        loss=nn.CrossEntropyLoss(),
        optimizer=opt,
        epochs=20,
        batch_size=64,
        val_data=(Xt, yt),
        metrics=["accuracy"],
        progress=False,
    )
    assert hist["loss"][-1] < 0.05
    assert hist["val_accuracy"][-1] >= 0.96
    assert evaluate(model, (Xt, yt), metrics=["accuracy"])["accuracy"] >= 0.96


# ---- evaluate / predict -----------------------------------------------------------------------


def _fixed_linear(n_in: int, n_out: int) -> tuple[_MLP, np.ndarray, np.ndarray]:
    model = _MLP(n_in, n_out)
    rng = np.random.default_rng(3)
    w = rng.normal(size=(n_out, n_in)).astype(np.float32)
    b = rng.normal(size=n_out).astype(np.float32)
    model.load_state_dict({"layers.0.weight": cr.tensor(w), "layers.0.bias": cr.tensor(b)})
    return model, w, b


def test_evaluate_metrics_match_numpy() -> None:
    model, w, b = _fixed_linear(6, 5)
    rng = np.random.default_rng(4)
    X = rng.normal(size=(31, 6)).astype(np.float32)
    y = rng.integers(0, 5, 31)
    logits = X @ w.T + b
    shifted = logits - logits.max(1, keepdims=True)
    logp = shifted - np.log(np.exp(shifted).sum(1, keepdims=True))
    expected_loss = -logp[np.arange(31), y].mean()
    expected_acc = (logits.argmax(1) == y).mean()
    top3 = np.argsort(-logits, 1)[:, :3]
    expected_top3 = (top3 == y[:, None]).any(1).mean()

    def hits(output: cr.Tensor, target: cr.Tensor) -> float:
        return float((output.argmax(1) == target).double().mean().item())

    # batch_size 7 does not divide 31: figures must still be per-sample means.
    got = evaluate(
        model,
        (X, y),
        loss=_cross_entropy,
        metrics=["accuracy", "top3_accuracy", hits],
        batch_size=7,
    )
    assert set(got) == {"loss", "accuracy", "top3_accuracy", "hits"}
    assert got["loss"] == pytest.approx(expected_loss, rel=1e-5)
    assert got["accuracy"] == pytest.approx(expected_acc)
    assert got["top3_accuracy"] == pytest.approx(expected_top3)
    assert got["hits"] == pytest.approx(expected_acc)


def test_evaluate_regression_metrics_match_numpy() -> None:
    model, w, b = _fixed_linear(3, 1)
    rng = np.random.default_rng(5)
    X = rng.normal(size=(23, 3)).astype(np.float32)
    y = rng.normal(size=23).astype(np.float32)
    pred = (X @ w.T + b)[:, 0]
    err = pred - y
    got = evaluate(model, (X, y[:, None]), loss=_mse, metrics=["mae", "rmse", "mse"], batch_size=5)
    # Metrics also take a (N,) target for an (N, 1) output.
    assert evaluate(model, (X, y), metrics=["rmse"], batch_size=5)["rmse"] == got["rmse"]
    assert got["mae"] == pytest.approx(np.abs(err).mean(), rel=1e-5)
    # The RMSE of the whole set, not the mean of the batch RMSEs.
    assert got["rmse"] == pytest.approx(np.sqrt((err**2).mean()), rel=1e-5)
    assert got["mse"] == pytest.approx((err**2).mean(), rel=1e-5)
    assert got["loss"] == pytest.approx((err**2).mean(), rel=1e-5)
    batch_rmse = np.mean([np.sqrt((err[i : i + 5] ** 2).mean()) for i in range(0, 23, 5)])
    assert abs(got["rmse"] - batch_rmse) > 1e-4


def test_evaluate_without_loss_and_modes() -> None:
    X, y = _blobs(20)
    model = _MLP(4, 3)
    got = evaluate(model, (X, y), metrics="accuracy")
    assert list(got) == ["accuracy"]
    assert model.calls == [(False, False)]
    assert model.training is True
    with pytest.raises(ValueError, match="evaluate: the data holds no samples"):
        evaluate(model, (X[:0], y[:0]), metrics=["accuracy"])
    with pytest.raises(ValueError, match="evaluate: batch_size"):
        evaluate(model, (X, y), batch_size=0)


def test_predict_shapes_values_and_modes() -> None:
    X, y = _blobs(37)
    model = _MLP(4, 6, 3)
    model.eval()
    with cr.no_grad():
        direct = model(X)
    model.train()
    model.calls.clear()
    out = predict(model, X, batch_size=10)
    assert out.shape == (37, 3)
    assert not out.requires_grad
    assert np.allclose(out.numpy(), direct.numpy(), atol=1e-6)
    assert model.calls == [(False, False)] * 4
    assert model.training is True
    assert predict(model, (X, y)).shape == (37, 3)
    assert predict(model, X.numpy()).shape == (37, 3)
    assert predict(model, DataLoader(TensorDataset(X), batch_size=8)).shape == (37, 3)
    model.eval()
    predict(model, X)
    assert model.training is False
    with pytest.raises(ValueError, match="predict: the data holds no samples"):
        predict(model, X[:0])
    with pytest.raises(TypeError, match="predict: data must be"):
        predict(model, "X")


# ---- metrics ------------------------------------------------------------------------------


def test_accuracy_forms() -> None:
    acc = Accuracy()
    acc.update(cr.tensor([0.9, 0.2, 0.6, 0.4]), cr.tensor([1.0, 0.0, 0.0, 0.0]))  # binary probs
    assert acc.compute() == pytest.approx(0.75)
    acc = Accuracy(threshold=0.0)
    acc.update(cr.tensor([[2.0], [-1.0]]), cr.tensor([1, 1]))  # logits (N, 1), int targets
    assert acc.compute() == pytest.approx(0.5)
    acc = Accuracy()
    acc.update(cr.tensor([1, 2, 3]), cr.tensor([1, 2, 0]))  # predicted labels
    assert acc.compute() == pytest.approx(2 / 3)
    acc = Accuracy()
    acc.update(cr.zeros(2, 3, 4), cr.zeros(2, 4, dtype=cr.int64))  # (N, C, L)
    assert acc.compute() == 1.0
    with pytest.raises(ValueError, match="accuracy: output of shape"):
        Accuracy().update(cr.zeros(4, 3), cr.zeros(5, dtype=cr.int64))
    assert math.isnan(Accuracy().compute())


def test_topk_and_metric_errors() -> None:
    with pytest.raises(ValueError, match="top5_accuracy: k=5 is larger"):
        TopKAccuracy(5).update(cr.zeros(2, 3), cr.zeros(2, dtype=cr.int64))
    with pytest.raises(ValueError, match="top2_accuracy: expected output"):
        TopKAccuracy(2).update(cr.zeros(3), cr.zeros(3, dtype=cr.int64))
    with pytest.raises(ValueError, match="TopKAccuracy: k"):
        TopKAccuracy(0)
    with pytest.raises(ValueError, match="mae: output of shape"):
        MAE().update(cr.zeros(3), cr.zeros(4))
    with pytest.raises(ValueError, match="metrics: names must be distinct"):
        evaluate(_MLP(4, 3), _blobs(5), metrics=["accuracy", "acc"])
    with pytest.raises(TypeError, match="metrics: a metric must be"):
        get_metric(3)  # type: ignore[arg-type]
    assert get_metric("top10_accuracy").name == "top10_accuracy"
    assert isinstance(get_metric(RMSE()), RMSE)


# ---- callbacks ----------------------------------------------------------------------------


def test_callback_hook_order_and_state() -> None:
    events: list[str] = []

    class Recorder(Callback):
        def on_train_begin(self, state: FitState) -> None:
            events.append("train_begin")

        def on_epoch_begin(self, state: FitState) -> None:
            events.append(f"epoch_begin {state.epoch}")

        def on_batch_end(self, state: FitState) -> None:
            assert state.batch_size == 10
            assert state.batch_loss > 0
            events.append(f"batch {state.batch}")

        def on_epoch_end(self, state: FitState) -> None:
            assert set(state.logs) == {"loss", "val_loss"}
            assert len(state.history.epoch) == state.epoch  # this epoch not yet recorded
            events.append(f"epoch_end {state.epoch}")

        def on_train_end(self, state: FitState) -> None:
            events.append("train_end")

    X, y = _blobs(20)
    _fit(_MLP(4, 3), (X, y), epochs=2, batch_size=10, val_data=(X, y), callbacks=[Recorder()])
    assert events == [
        "train_begin",
        "epoch_begin 0",
        "batch 0",
        "batch 1",
        "epoch_end 0",
        "epoch_begin 1",
        "batch 0",
        "batch 1",
        "epoch_end 1",
        "train_end",
    ]


def test_callback_can_stop_mid_epoch_and_add_figures() -> None:
    X, y = _blobs(100)
    model = _MLP(4, 3)
    opt = _SGD(model.parameters())

    def stop_after_three(state: FitState) -> None:
        if state.batch == 2:
            state.stop_training = True

    def extra(state: FitState) -> None:
        state.logs["custom"] = 1.5

    hist = _fit(
        model,
        (X, y),
        optimizer=opt,
        epochs=5,
        batch_size=10,
        callbacks=[LambdaCallback(on_batch_end=stop_after_three, on_epoch_end=extra)],
    )
    assert opt.steps == 3
    assert hist.epoch == [0]
    assert hist["custom"] == [1.5]


def test_early_stopping_stops_at_the_right_epoch() -> None:
    X, y = _blobs(20)
    es = EarlyStopping(monitor="score", patience=2)
    scores = [5.0, 4.0, 3.0, 3.5, 3.2, 1.0, 0.5]
    hist = _fit(_MLP(4, 3), (X, y), epochs=7, callbacks=[_scripted("score", scores), es])
    # Best at epoch 2; epochs 3 and 4 do not improve -> stop after epoch 4.
    assert hist.epoch == [0, 1, 2, 3, 4]
    assert es.stopped_epoch == 4
    assert es.best_epoch == 2
    assert es.best == 3.0


def test_early_stopping_min_delta_and_max_mode() -> None:
    X, y = _blobs(20)
    es = EarlyStopping(monitor="score", patience=1, min_delta=0.5)
    hist = _fit(_MLP(4, 3), (X, y), epochs=5, callbacks=[_scripted("score", [5, 4, 3.8, 2, 1]), es])
    assert hist.epoch == [0, 1, 2]  # 3.8 is not 0.5 better than 4
    es = EarlyStopping(monitor="val_accuracy", patience=0)
    assert es.mode == "max"
    accs = [0.5, 0.7, 0.6, 0.9]
    hist = _fit(_MLP(4, 3), (X, y), epochs=4, callbacks=[_scripted("val_accuracy", accs), es])
    assert hist.epoch == [0, 1, 2]


def test_early_stopping_restores_best_weights() -> None:
    X, y = _blobs(40)
    model = _MLP(4, 3)
    snapshots: list[dict[str, np.ndarray]] = []

    def snap(state: FitState) -> None:
        snapshots.append({k: v.numpy().copy() for k, v in state.model.state_dict().items()})

    es = EarlyStopping(monitor="score", patience=2, restore_best_weights=True)
    scores = [3.0, 1.0, 2.0, 2.5, 0.1]
    _fit(
        model,
        (X, y),
        epochs=5,
        callbacks=[_scripted("score", scores), LambdaCallback(on_epoch_end=snap), es],
    )
    assert len(snapshots) == 4
    for key, value in model.state_dict().items():
        assert np.array_equal(value.numpy(), snapshots[1][key])
        assert not np.array_equal(value.numpy(), snapshots[3][key])


def test_early_stopping_missing_monitor() -> None:
    X, y = _blobs(20)
    with pytest.raises(ValueError, match="EarlyStopping: monitor 'val_loss' is not among"):
        _fit(_MLP(4, 3), (X, y), callbacks=[EarlyStopping()])
    with pytest.raises(ValueError, match="EarlyStopping: mode"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="EarlyStopping: patience"):
        EarlyStopping(patience=-1)


def test_model_checkpoint_saves_best(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    saved: list[tuple[dict[str, np.ndarray], str]] = []

    def fake_save(obj: dict[str, cr.Tensor], path: str) -> None:
        saved.append(({k: v.numpy().copy() for k, v in obj.items()}, path))

    monkeypatch.setattr(cr, "save", fake_save, raising=False)
    X, y = _blobs(20)
    model = _MLP(4, 3)
    path = str(tmp_path / "best-{epoch:02d}-{score:.1f}.crpt")
    ckpt = ModelCheckpoint(path, monitor="score")
    _fit(model, (X, y), epochs=5, callbacks=[_scripted("score", [3, 2, 2.5, 1, 4]), ckpt])
    assert [p for _, p in saved] == [
        str(tmp_path / "best-01-3.0.crpt"),
        str(tmp_path / "best-02-2.0.crpt"),
        str(tmp_path / "best-04-1.0.crpt"),
    ]
    assert ckpt.best == 1.0
    assert ckpt.best_epoch == 3
    assert ckpt.last_path == saved[-1][1]
    assert set(saved[0][0]) == {"layers.0.weight", "layers.0.bias"}

    saved.clear()
    every = ModelCheckpoint(tmp_path / "last.crpt", save_best_only=False)
    _fit(model, (X, y), epochs=3, callbacks=[every])
    assert [p for _, p in saved] == [str(tmp_path / "last.crpt")] * 3


def test_model_checkpoint_round_trip(tmp_path: Any) -> None:
    X, y = _blobs(30)
    model = _MLP(4, 3)
    snapshots: list[dict[str, np.ndarray]] = []

    def snap(state: FitState) -> None:
        snapshots.append({k: v.numpy().copy() for k, v in state.model.state_dict().items()})

    path = tmp_path / "best.crpt"
    callbacks = [
        _scripted("score", [2.0, 1.0, 3.0]),
        LambdaCallback(on_epoch_end=snap),
        ModelCheckpoint(path, monitor="score"),
    ]
    _fit(model, (X, y), epochs=3, callbacks=callbacks)
    state = cr.load(path)
    assert set(state) == {"layers.0.weight", "layers.0.bias"}
    for key, value in state.items():
        assert np.array_equal(value.numpy(), snapshots[1][key])
    fresh = _MLP(4, 3)
    fresh.load_state_dict(state)


def test_reduce_lr_on_plateau_callback() -> None:
    X, y = _blobs(20)
    model = _MLP(4, 3)
    opt = _SGD(model.parameters(), lr=1.0)
    cb = ReduceLROnPlateau(monitor="score", factor=0.5, patience=2, min_lr=0.2)
    scores = [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    hist = _fit(model, (X, y), optimizer=opt, epochs=9, callbacks=[_scripted("score", scores), cb])
    assert hist["lr"] == [1.0, 1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2]
    assert opt.param_groups[0]["lr"] == 0.2
    with pytest.raises(ValueError, match="ReduceLROnPlateau: factor"):
        ReduceLROnPlateau(factor=1.0)


def test_schedulers_are_stepped() -> None:
    class Plateau:
        def __init__(self) -> None:
            self.seen: list[float] = []

        def step(self, metrics: float, epoch: int | None = None) -> None:
            self.seen.append(metrics)

    class Epochly:
        def __init__(self) -> None:
            self.count = 0

        def step(self, epoch: int | None = None) -> None:
            self.count += 1

    class OneCycle(Epochly):
        total_steps = 100

    X, y = _blobs(30)
    plateau = Plateau()
    hist = _fit(_MLP(4, 3), (X, y), epochs=2, val_data=(X, y), scheduler=plateau)
    assert plateau.seen == hist["val_loss"]
    plateau = Plateau()
    hist = _fit(_MLP(4, 3), (X, y), epochs=2, scheduler=plateau)
    assert plateau.seen == hist["loss"]
    epochly = Epochly()
    _fit(_MLP(4, 3), (X, y), epochs=3, scheduler=epochly)
    assert epochly.count == 3
    cycle = OneCycle()
    _fit(_MLP(4, 3), (X, y), epochs=2, batch_size=10, scheduler=cycle)
    assert cycle.count == 6


def test_real_lr_schedulers() -> None:
    X, y = _blobs(40)
    model = _MLP(4, 3)
    opt = optim.SGD(model.parameters(), lr=1.0)
    step = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    _fit(model, (X, y), optimizer=opt, epochs=5, scheduler=step)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.25)

    def flat_loss(output: cr.Tensor, target: cr.Tensor) -> cr.Tensor:
        return (output * 0).sum() + 1.0  # never improves

    opt = optim.SGD(model.parameters(), lr=1.0)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    lrs: list[float] = []
    record = LambdaCallback(on_epoch_end=lambda s: lrs.append(s.optimizer.param_groups[0]["lr"]))
    _fit(
        model,
        (X, y),
        loss=flat_loss,
        optimizer=opt,
        epochs=4,
        scheduler=plateau,
        callbacks=[record],
    )
    assert lrs == [1.0, 0.5, 0.25, 0.125]
    assert plateau.best == 1.0

    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    cycle = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, epochs=3, steps_per_epoch=4)
    _fit(model, (X, y), optimizer=opt, epochs=3, batch_size=10, scheduler=cycle)
    assert cycle.last_epoch == 12  # stepped after every batch, never past total_steps


def test_gradient_flow(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = _blobs(40)
    flow = GradientFlow(verbose=True)
    hist = _fit(_MLP(4, 5, 3), (X, y), epochs=2, batch_size=10, callbacks=[flow])
    names = ["layers.0.weight", "layers.0.bias", "layers.1.weight", "layers.1.bias"]
    assert list(flow.norms) == names
    for name in names:
        values = hist["grad_norm/" + name]
        assert len(values) == 2
        assert all(v > 0 and math.isfinite(v) for v in values)
        assert flow.norms[name] == values
    out = capsys.readouterr().out
    assert "layers.0.weight" in out
    assert "first" in out
    with pytest.raises(ValueError, match="GradientFlow: every"):
        GradientFlow(every=0)


def test_clip_grad_norm_is_applied(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, float]] = []

    def fake_clip(params: Any, max_norm: float) -> None:
        params = list(params)
        assert all(p.grad is not None for p in params)
        calls.append((len(params), max_norm))

    monkeypatch.setattr(nn_utils, "clip_grad_norm_", fake_clip, raising=False)
    X, y = _blobs(30)
    _fit(_MLP(4, 3), (X, y), epochs=1, batch_size=10, clip_grad_norm=0.5)
    assert calls == [(2, 0.5)] * 3


def test_clip_grad_norm_clips() -> None:
    norms: list[float] = []

    def record(state: FitState) -> None:
        grads = [p.grad for p in state.model.parameters()]
        norms.append(nn_utils.get_total_norm(grads).item())

    X, y = _blobs(30)
    X = X * 100  # large gradients
    _fit(
        _MLP(4, 3),
        (X, y),
        epochs=1,
        batch_size=10,
        clip_grad_norm=0.25,
        callbacks=[LambdaCallback(on_batch_end=record)],
    )
    assert len(norms) == 3
    assert all(n <= 0.25 + 1e-5 for n in norms)


# ---- progress output and History ------------------------------------------------------------


def test_progress_false_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = _blobs(30)
    _fit(_MLP(4, 3), (X, y), epochs=2, val_data=(X, y), metrics=["accuracy"], progress=False)
    evaluate(_MLP(4, 3), (X, y), metrics=["accuracy"])
    predict(_MLP(4, 3), X)
    assert capsys.readouterr() == ("", "")


def test_progress_off_a_terminal_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = _blobs(30)
    _fit(_MLP(4, 3), (X, y), epochs=2, val_data=(X, y), progress=True)
    assert capsys.readouterr() == ("", "")


def test_progress_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tqdm")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    X, y = _blobs(30)
    _fit(_MLP(4, 3), (X, y), epochs=2, val_data=(X, y), metrics=["accuracy"], progress=True)
    text = term.getvalue()
    assert "Epoch 1/2" in text
    assert "Epoch 2/2" in text
    assert "30/30" in text
    assert "val_accuracy" in text
    assert "samples/s" in text


def test_progress_without_tqdm_is_silent(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True, raising=False)
    X, y = _blobs(10)
    _fit(_MLP(4, 3), (X, y), progress=True)
    assert capsys.readouterr().out == ""


def test_history_alignment() -> None:
    h = History()
    h._append(0, {"loss": 1.0})
    h._append(1, {"loss": 0.5, "lr": 0.1})
    h._append(2, {"lr": 0.1})
    assert h.epoch == [0, 1, 2]
    assert h["lr"][0] != h["lr"][0]  # NaN before first seen
    assert h["lr"][1:] == [0.1, 0.1]
    assert math.isnan(h["loss"][2])
    assert len(h) == 3


def test_history_plot_needs_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    h = History()
    h._append(0, {"loss": 1.0})
    with pytest.raises(ImportError, match="pip install matplotlib"):
        h.plot()


def test_history_plot_saves(tmp_path: Any) -> None:
    pytest.importorskip("matplotlib")
    X, y = _blobs(30)
    hist = _fit(
        _MLP(4, 3),
        (X, y),
        epochs=2,
        val_data=(X, y),
        metrics=["accuracy"],
        callbacks=[GradientFlow()],
    )
    assert hist._panels() == [
        ["loss", "val_loss"],
        ["accuracy", "val_accuracy"],
        ["grad_norm/layers.0.weight", "grad_norm/layers.0.bias"],
    ]
    path = tmp_path / "history.png"
    fig = hist.plot(path)
    assert path.stat().st_size > 0
    assert len(fig.axes) == 3
    with pytest.raises(ValueError, match=r"History\.plot: no epoch"):
        History().plot(path)
