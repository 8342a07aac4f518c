"""chainrule.train: the callbacks (hook order, early stopping, checkpoints, LR schedules,
gradient flow, clipping), progress output and History."""

from __future__ import annotations

import io
import math
import sys
from typing import Any

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn.utils as nn_utils
from _train_helpers import MLP, CountingSGD, blobs, scripted, train
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
    predict,
)

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

    X, y = blobs(20)
    train(MLP(4, 3), (X, y), epochs=2, batch_size=10, val_data=(X, y), callbacks=[Recorder()])
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
    X, y = blobs(100)
    model = MLP(4, 3)
    opt = CountingSGD(model.parameters())

    def stop_after_three(state: FitState) -> None:
        if state.batch == 2:
            state.stop_training = True

    def extra(state: FitState) -> None:
        state.logs["custom"] = 1.5

    hist = train(
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
    X, y = blobs(20)
    es = EarlyStopping(monitor="score", patience=2)
    scores = [5.0, 4.0, 3.0, 3.5, 3.2, 1.0, 0.5]
    hist = train(MLP(4, 3), (X, y), epochs=7, callbacks=[scripted("score", scores), es])
    # Best at epoch 2; epochs 3 and 4 do not improve -> stop after epoch 4.
    assert hist.epoch == [0, 1, 2, 3, 4]
    assert es.stopped_epoch == 4
    assert es.best_epoch == 2
    assert es.best == 3.0


def test_early_stopping_min_delta_and_max_mode() -> None:
    X, y = blobs(20)
    es = EarlyStopping(monitor="score", patience=1, min_delta=0.5)
    hist = train(MLP(4, 3), (X, y), epochs=5, callbacks=[scripted("score", [5, 4, 3.8, 2, 1]), es])
    assert hist.epoch == [0, 1, 2]  # 3.8 is not 0.5 better than 4
    es = EarlyStopping(monitor="val_accuracy", patience=0)
    assert es.mode == "max"
    accs = [0.5, 0.7, 0.6, 0.9]
    hist = train(MLP(4, 3), (X, y), epochs=4, callbacks=[scripted("val_accuracy", accs), es])
    assert hist.epoch == [0, 1, 2]


def test_early_stopping_restores_best_weights() -> None:
    X, y = blobs(40)
    model = MLP(4, 3)
    snapshots: list[dict[str, np.ndarray]] = []

    def snap(state: FitState) -> None:
        snapshots.append({k: v.numpy().copy() for k, v in state.model.state_dict().items()})

    es = EarlyStopping(monitor="score", patience=2, restore_best_weights=True)
    scores = [3.0, 1.0, 2.0, 2.5, 0.1]
    train(
        model,
        (X, y),
        epochs=5,
        callbacks=[scripted("score", scores), LambdaCallback(on_epoch_end=snap), es],
    )
    assert len(snapshots) == 4
    for key, value in model.state_dict().items():
        assert np.array_equal(value.numpy(), snapshots[1][key])
        assert not np.array_equal(value.numpy(), snapshots[3][key])


def test_early_stopping_missing_monitor() -> None:
    X, y = blobs(20)
    with pytest.raises(ValueError, match="EarlyStopping: monitor 'val_loss' is not among"):
        train(MLP(4, 3), (X, y), callbacks=[EarlyStopping()])
    with pytest.raises(ValueError, match="EarlyStopping: mode"):
        EarlyStopping(mode="up")
    with pytest.raises(ValueError, match="EarlyStopping: patience"):
        EarlyStopping(patience=-1)


def test_model_checkpoint_saves_best(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> None:
    saved: list[tuple[dict[str, np.ndarray], str]] = []

    def fake_save(obj: dict[str, cr.Tensor], path: str) -> None:
        saved.append(({k: v.numpy().copy() for k, v in obj.items()}, path))

    monkeypatch.setattr(cr, "save", fake_save, raising=False)
    X, y = blobs(20)
    model = MLP(4, 3)
    path = str(tmp_path / "best-{epoch:02d}-{score:.1f}.crpt")
    ckpt = ModelCheckpoint(path, monitor="score")
    train(model, (X, y), epochs=5, callbacks=[scripted("score", [3, 2, 2.5, 1, 4]), ckpt])
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
    train(model, (X, y), epochs=3, callbacks=[every])
    assert [p for _, p in saved] == [str(tmp_path / "last.crpt")] * 3


def test_model_checkpoint_round_trip(tmp_path: Any) -> None:
    X, y = blobs(30)
    model = MLP(4, 3)
    snapshots: list[dict[str, np.ndarray]] = []

    def snap(state: FitState) -> None:
        snapshots.append({k: v.numpy().copy() for k, v in state.model.state_dict().items()})

    path = tmp_path / "best.crpt"
    callbacks = [
        scripted("score", [2.0, 1.0, 3.0]),
        LambdaCallback(on_epoch_end=snap),
        ModelCheckpoint(path, monitor="score"),
    ]
    train(model, (X, y), epochs=3, callbacks=callbacks)
    state = cr.load(path)
    assert set(state) == {"layers.0.weight", "layers.0.bias"}
    for key, value in state.items():
        assert np.array_equal(value.numpy(), snapshots[1][key])
    fresh = MLP(4, 3)
    fresh.load_state_dict(state)


def test_reduce_lr_on_plateau_callback() -> None:
    X, y = blobs(20)
    model = MLP(4, 3)
    opt = CountingSGD(model.parameters(), lr=1.0)
    cb = ReduceLROnPlateau(monitor="score", factor=0.5, patience=2, min_lr=0.2)
    scores = [1.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5]
    hist = train(model, (X, y), optimizer=opt, epochs=9, callbacks=[scripted("score", scores), cb])
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

    X, y = blobs(30)
    plateau = Plateau()
    hist = train(MLP(4, 3), (X, y), epochs=2, val_data=(X, y), scheduler=plateau)
    assert plateau.seen == hist["val_loss"]
    plateau = Plateau()
    hist = train(MLP(4, 3), (X, y), epochs=2, scheduler=plateau)
    assert plateau.seen == hist["loss"]
    epochly = Epochly()
    train(MLP(4, 3), (X, y), epochs=3, scheduler=epochly)
    assert epochly.count == 3
    cycle = OneCycle()
    train(MLP(4, 3), (X, y), epochs=2, batch_size=10, scheduler=cycle)
    assert cycle.count == 6


def test_real_lr_schedulers() -> None:
    X, y = blobs(40)
    model = MLP(4, 3)
    opt = optim.SGD(model.parameters(), lr=1.0)
    step = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    train(model, (X, y), optimizer=opt, epochs=5, scheduler=step)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.25)

    def flat_loss(output: cr.Tensor, target: cr.Tensor) -> cr.Tensor:
        return (output * 0).sum() + 1.0  # never improves

    opt = optim.SGD(model.parameters(), lr=1.0)
    plateau = optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=0)
    lrs: list[float] = []
    record = LambdaCallback(on_epoch_end=lambda s: lrs.append(s.optimizer.param_groups[0]["lr"]))
    train(
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
    train(model, (X, y), optimizer=opt, epochs=3, batch_size=10, scheduler=cycle)
    assert cycle.last_epoch == 12  # stepped after every batch, never past total_steps


def test_gradient_flow(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = blobs(40)
    flow = GradientFlow(verbose=True)
    hist = train(MLP(4, 5, 3), (X, y), epochs=2, batch_size=10, callbacks=[flow])
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
    X, y = blobs(30)
    train(MLP(4, 3), (X, y), epochs=1, batch_size=10, clip_grad_norm=0.5)
    assert calls == [(2, 0.5)] * 3


def test_clip_grad_norm_clips() -> None:
    norms: list[float] = []

    def record(state: FitState) -> None:
        grads = [p.grad for p in state.model.parameters()]
        norms.append(nn_utils.get_total_norm(grads).item())

    X, y = blobs(30)
    X = X * 100  # large gradients
    train(
        MLP(4, 3),
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
    X, y = blobs(30)
    train(MLP(4, 3), (X, y), epochs=2, val_data=(X, y), metrics=["accuracy"], progress=False)
    evaluate(MLP(4, 3), (X, y), metrics=["accuracy"])
    predict(MLP(4, 3), X)
    assert capsys.readouterr() == ("", "")


def test_progress_off_a_terminal_prints_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    X, y = blobs(30)
    train(MLP(4, 3), (X, y), epochs=2, val_data=(X, y), progress=True)
    assert capsys.readouterr() == ("", "")


def test_progress_bar_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("tqdm")

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    term = Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    X, y = blobs(30)
    train(MLP(4, 3), (X, y), epochs=2, val_data=(X, y), metrics=["accuracy"], progress=True)
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
    X, y = blobs(10)
    train(MLP(4, 3), (X, y), progress=True)
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
    X, y = blobs(30)
    hist = train(
        MLP(4, 3),
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
