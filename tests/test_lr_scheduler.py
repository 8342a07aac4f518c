"""chainrule.optim.lr_scheduler against torch.optim.lr_scheduler: learning-rate trajectories,
get_last_lr, last_epoch, momentum cycling and state dicts over 30 steps."""

from __future__ import annotations

import math
from typing import Any

import pytest

import chainrule as cr
from chainrule.optim import lr_scheduler


@pytest.fixture
def torch():  # type: ignore[no-untyped-def]
    return pytest.importorskip("torch")


def make_optimizer(lib, kind="SGD"):  # type: ignore[no-untyped-def]
    """Two parameter groups with different learning rates."""
    a = lib.zeros(2, requires_grad=True)
    b = lib.zeros(3, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.5}]
    if kind == "SGD":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups, lr=0.1)


SCHEDULERS = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}, "SGD"),
    ("StepLR", {"step_size": 1}, "SGD"),
    ("MultiStepLR", {"milestones": [3, 10, 10, 25], "gamma": 0.3}, "SGD"),
    ("ExponentialLR", {"gamma": 0.9}, "SGD"),
    ("CosineAnnealingLR", {"T_max": 10}, "SGD"),  # 30 steps: down, up, down again
    ("CosineAnnealingLR", {"T_max": 12, "eta_min": 0.01}, "Adam"),
    ("LambdaLR", {"lr_lambda": "halving"}, "SGD"),
    ("LambdaLR", {"lr_lambda": "per_group"}, "SGD"),
    ("LinearLR", {}, "SGD"),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 0.8, "total_iters": 12}, "Adam"),
    ("OneCycleLR", {"max_lr": 1.0, "total_steps": 30}, "SGD"),
    (
        "OneCycleLR",
        {
            "max_lr": [1.0, 2.0],
            "epochs": 3,
            "steps_per_epoch": 10,
            "anneal_strategy": "linear",
            "three_phase": True,
        },
        "SGD",
    ),
    ("OneCycleLR", {"max_lr": 0.01, "total_steps": 30, "pct_start": 0.25}, "Adam"),
    (
        "OneCycleLR",
        {
            "max_lr": 0.01,
            "total_steps": 30,
            "cycle_momentum": False,
            "div_factor": 10.0,
            "final_div_factor": 100.0,
        },
        "Adam",
    ),
]


def _lambda(kind, lib):  # type: ignore[no-untyped-def]
    if kind == "halving":
        return lambda epoch: 0.5 ** (epoch // 4)
    return [lambda epoch: 1.0 / (1 + epoch), lambda epoch: 0.95**epoch]


def _make_scheduler(lib, name, kw, opt):  # type: ignore[no-untyped-def]
    kw = dict(kw)
    if name == "LambdaLR":
        kw["lr_lambda"] = _lambda(kw["lr_lambda"], lib)
    return getattr(lib.optim.lr_scheduler, name)(opt, **kw)


def _momenta(opt):  # type: ignore[no-untyped-def]
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in opt.param_groups]


def _ids(cases):  # type: ignore[no-untyped-def]
    return [f"{n}-{k}-{o}" for n, k, o in cases]


@pytest.mark.parametrize(("name", "kw", "kind"), SCHEDULERS, ids=_ids(SCHEDULERS))
def test_trajectory_matches_torch(torch, name, kw, kind) -> None:  # type: ignore[no-untyped-def]
    cr_opt, t_opt = make_optimizer(cr, kind), make_optimizer(torch, kind)
    cr_s = _make_scheduler(cr, name, kw, cr_opt)
    t_s = _make_scheduler(torch, name, kw, t_opt)
    assert cr_s.get_last_lr() == pytest.approx(t_s.get_last_lr(), rel=1e-12)
    assert cr_s.last_epoch == t_s.last_epoch == 0
    for _ in range(30):
        cr_opt.step()
        t_opt.step()
        cr_s.step()
        t_s.step()
        assert cr_s.get_last_lr() == pytest.approx(t_s.get_last_lr(), rel=1e-12, abs=1e-15)
        assert [g["lr"] for g in cr_opt.param_groups] == pytest.approx(
            [g["lr"] for g in t_opt.param_groups], rel=1e-12, abs=1e-15
        )
        assert _momenta(cr_opt) == pytest.approx(_momenta(t_opt), rel=1e-12)
        assert cr_s.last_epoch == t_s.last_epoch
    for cg, tg in zip(cr_opt.param_groups, t_opt.param_groups):
        assert set(cg) == set(tg)  # initial_lr, max_lr, min_lr, max_momentum, ...
        assert cg["initial_lr"] == pytest.approx(tg["initial_lr"], rel=1e-12)


def _comparable(state):  # type: ignore[no-untyped-def]
    return {k: v for k, v in state.items() if k not in ("lr_lambdas", "_get_lr_called_within_step")}


def _assert_close(ours: Any, theirs: Any, where: str) -> None:
    """Numbers compared with rel 1e-12, recursing through lists and dicts (OneCycleLR's
    phases); everything else must be equal."""
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), where
        assert set(ours) == set(theirs), where
        for k, v in theirs.items():
            _assert_close(ours[k], v, f"{where}[{k!r}]")
    elif isinstance(theirs, (list, tuple)):
        assert len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs, strict=True)):
            _assert_close(a, b, f"{where}[{i}]")
    elif isinstance(theirs, float):
        assert ours == pytest.approx(theirs, rel=1e-12), where
    else:
        assert ours == theirs, where


@pytest.mark.parametrize(("name", "kw", "kind"), SCHEDULERS, ids=_ids(SCHEDULERS))
def test_state_dict_matches_torch_and_resumes(torch, name, kw, kind) -> None:  # type: ignore[no-untyped-def]
    cr_opt, t_opt = make_optimizer(cr, kind), make_optimizer(torch, kind)
    cr_s = _make_scheduler(cr, name, kw, cr_opt)
    t_s = _make_scheduler(torch, name, kw, t_opt)
    for _ in range(12):
        cr_opt.step()
        t_opt.step()
        cr_s.step()
        t_s.step()
    cr_sd, t_sd = cr_s.state_dict(), t_s.state_dict()
    assert set(cr_sd) == set(t_sd)
    for key, value in _comparable(t_sd).items():
        _assert_close(cr_sd[key], value, key)

    # Resume as PyTorch recommends: a new optimizer and scheduler, then their states (the
    # scheduler's constructor rewrites the lrs, so the optimizer's state is loaded after it).
    opt2 = make_optimizer(cr, kind)
    s2 = _make_scheduler(cr, name, kw, opt2)
    opt2.load_state_dict(cr_opt.state_dict())
    s2.load_state_dict(cr_sd)
    for _ in range(12, 30):
        opt2.step()
        t_opt.step()
        s2.step()
        t_s.step()
        assert s2.get_last_lr() == pytest.approx(t_s.get_last_lr(), rel=1e-12, abs=1e-15)
    assert s2.last_epoch == t_s.last_epoch == 30


def test_state_dict_entries() -> None:
    opt = make_optimizer(cr)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    sd = sched.state_dict()
    assert "optimizer" not in sd
    assert sd["step_size"] == 2
    assert sd["base_lrs"] == [0.1, 0.5]
    assert sd["last_epoch"] == 0
    assert sd["_last_lr"] == [0.1, 0.5]
    assert opt.param_groups[0]["initial_lr"] == 0.1
    lam = lr_scheduler.LambdaLR(make_optimizer(cr), lambda e: 1.0)
    assert lam.state_dict()["lr_lambdas"] == [None, None]


def test_lambda_lr_saves_callable_objects() -> None:
    class Factor:
        def __init__(self, f: float) -> None:
            self.f = f

        def __call__(self, epoch: int) -> float:
            return self.f**epoch

    opt = make_optimizer(cr)
    sched = lr_scheduler.LambdaLR(opt, [Factor(0.5), Factor(0.9)])
    sd = sched.state_dict()
    assert sd["lr_lambdas"] == [{"f": 0.5}, {"f": 0.9}]
    other = lr_scheduler.LambdaLR(make_optimizer(cr), [Factor(1.0), Factor(1.0)])
    other.load_state_dict(sd)
    assert [fn.f for fn in other.lr_lambdas] == [0.5, 0.9]
    assert "lr_lambdas" in sd  # the caller's dict is left as it was


METRICS = [
    1.0,
    0.9,
    0.95,
    0.91,
    0.9,
    0.9,
    0.89,
    0.95,
    0.96,
    0.97,
    0.98,
    0.85,
    0.86,
    0.87,
    0.88,
    0.89,
    0.9,
    0.91,
    0.5,
    0.51,
    0.52,
    0.53,
    0.54,
    0.55,
    0.56,
    0.57,
    0.58,
    0.59,
    0.6,
    0.61,
]

PLATEAU_CASES = [
    {},
    {"patience": 2},
    {"patience": 1, "factor": 0.5, "cooldown": 2},
    {"patience": 0, "threshold": 0.05, "threshold_mode": "abs"},
    {"mode": "max", "patience": 1, "factor": 0.2},
    {"mode": "max", "threshold_mode": "abs", "threshold": 0.01, "patience": 2},
    {"patience": 0, "min_lr": 0.02, "factor": 0.5},
    {"patience": 0, "min_lr": [0.05, 0.001], "factor": 0.5},
    {"patience": 0, "eps": 0.02, "factor": 0.9},
]


@pytest.mark.parametrize("kw", PLATEAU_CASES, ids=[str(k) for k in PLATEAU_CASES])
def test_reduce_lr_on_plateau_matches_torch(torch, kw) -> None:  # type: ignore[no-untyped-def]
    cr_opt, t_opt = make_optimizer(cr), make_optimizer(torch)
    cr_s = lr_scheduler.ReduceLROnPlateau(cr_opt, **kw)
    t_s = torch.optim.lr_scheduler.ReduceLROnPlateau(t_opt, **kw)
    for i, metric in enumerate(METRICS):
        cr_s.step(cr.tensor(metric) if i % 2 else metric)
        t_s.step(metric)
        assert cr_s.get_last_lr() == pytest.approx(t_s.get_last_lr(), rel=1e-12)
        assert [g["lr"] for g in cr_opt.param_groups] == pytest.approx(
            [g["lr"] for g in t_opt.param_groups], rel=1e-12
        )
        assert (cr_s.num_bad_epochs, cr_s.cooldown_counter, cr_s.last_epoch) == (
            t_s.num_bad_epochs,
            t_s.cooldown_counter,
            t_s.last_epoch,
        )
        assert cr_s.best == pytest.approx(t_s.best)
    sd = cr_s.state_dict()
    assert set(sd) == set(t_s.state_dict())
    resumed = lr_scheduler.ReduceLROnPlateau(make_optimizer(cr))
    resumed.load_state_dict(sd)
    assert (resumed.mode, resumed.patience, resumed.best) == (cr_s.mode, cr_s.patience, cr_s.best)


def test_scheduler_drives_optimizer_updates(torch) -> None:  # type: ignore[no-untyped-def]
    """The scheduled lr (and OneCycle's beta1) reach the fused update: same weights as torch."""
    import numpy as np

    w0 = np.linspace(-1.0, 1.0, 6)
    cw = cr.tensor(w0, dtype=cr.float64, requires_grad=True)
    tw = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    copt, topt = cr.optim.Adam([cw], lr=0.01), torch.optim.Adam([tw], lr=0.01)
    cs = lr_scheduler.OneCycleLR(copt, max_lr=0.1, total_steps=20)
    ts = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.1, total_steps=20)
    for _ in range(20):
        for opt, w, s in ((copt, cw, cs), (topt, tw, ts)):
            opt.zero_grad()
            ((w * w * w).sum() + (w * w).sum()).backward()
            opt.step()
            s.step()
    np.testing.assert_allclose(cw.detach().tolist(), tw.detach().tolist(), rtol=1e-10)


def test_warnings_like_torch() -> None:
    opt = make_optimizer(cr)
    sched = lr_scheduler.StepLR(opt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        sched.step()
    with pytest.warns(UserWarning, match="get_last_lr"):
        sched.get_lr()
    with pytest.warns(UserWarning, match="epoch parameter"):
        sched.step(5)
    assert sched.last_epoch == 5
    assert sched.get_last_lr() == pytest.approx([0.1 * 0.1**2, 0.5 * 0.1**2])  # closed form


def test_step_wrapper_tracks_optimizer_calls() -> None:
    opt = make_optimizer(cr)
    lr_scheduler.ExponentialLR(opt, gamma=0.5)
    assert getattr(opt.step, "_wrapped_by_lr_sched", False)
    lr_scheduler.StepLR(opt, step_size=3)  # a second scheduler does not wrap again
    opt.step()
    assert opt._opt_called


def test_resume_with_last_epoch() -> None:
    opt = make_optimizer(cr)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, step_size=2, last_epoch=3)
    for g in opt.param_groups:
        g["initial_lr"] = g["lr"]
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5, last_epoch=3)
    assert sched.last_epoch == 4
    assert sched.get_last_lr() == [0.1, 0.5]  # the constructor's step does not decay again


def test_tensor_lr_is_filled_in_place() -> None:
    w = cr.zeros(2, requires_grad=True)
    lr = cr.tensor(0.1, dtype=cr.float64)
    opt = cr.optim.Adam([w], lr=lr)
    sched = lr_scheduler.ExponentialLR(opt, gamma=0.5)
    opt.step()
    sched.step()
    assert opt.param_groups[0]["lr"] is lr
    assert lr.item() == pytest.approx(0.05)
    last = sched.get_last_lr()[0]
    assert isinstance(last, cr.Tensor)
    assert last is not lr


@pytest.mark.parametrize(
    ("make", "error", "match"),
    [
        (lambda o: lr_scheduler.StepLR(object(), 3), TypeError, "is not an Optimizer"),
        (
            lambda o: lr_scheduler.LambdaLR(o, [lambda e: 1.0]),
            ValueError,
            "Expected 2 lr_lambdas, but got 1",
        ),
        (
            lambda o: lr_scheduler.LinearLR(o, start_factor=0),
            ValueError,
            "Starting multiplicative factor",
        ),
        (
            lambda o: lr_scheduler.LinearLR(o, end_factor=1.5),
            ValueError,
            "Ending multiplicative factor",
        ),
        (
            lambda o: lr_scheduler.ReduceLROnPlateau(o, factor=1.0),
            ValueError,
            "Factor should be < 1.0.",
        ),
        (
            lambda o: lr_scheduler.ReduceLROnPlateau(o, mode="avg"),
            ValueError,
            "mode avg is unknown!",
        ),
        (
            lambda o: lr_scheduler.ReduceLROnPlateau(o, threshold_mode="x"),
            ValueError,
            "threshold mode x is unknown!",
        ),
        (
            lambda o: lr_scheduler.ReduceLROnPlateau(o, min_lr=[0.1]),
            ValueError,
            "expected 2 min_lrs, got 1",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0),
            ValueError,
            "You must define either total_steps OR",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=0),
            ValueError,
            "Expected positive integer total_steps, but got 0",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, epochs=2, steps_per_epoch=-1),
            ValueError,
            "Expected positive integer steps_per_epoch",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=5, pct_start=1.5),
            ValueError,
            "Expected float between 0 and 1 pct_start",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=1.0, total_steps=5, anneal_strategy="x"),
            ValueError,
            "anneal_strategy must be one of 'cos' or 'linear'",
        ),
        (
            lambda o: lr_scheduler.OneCycleLR(o, max_lr=[1.0], total_steps=5),
            ValueError,
            "max_lr must have the same length as optimizer.param_groups",
        ),
    ],
)
def test_errors(make, error, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(error, match=match):
        make(make_optimizer(cr))


def test_one_cycle_errors() -> None:
    opt = cr.optim.Adagrad([cr.zeros(2, requires_grad=True)])
    with pytest.raises(ValueError, match="optimizer must support momentum or beta1"):
        lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=5)
    sgd = make_optimizer(cr)
    sched = lr_scheduler.OneCycleLR(sgd, max_lr=1.0, total_steps=2)
    for _ in range(2):
        sgd.step()
        sched.step()
    sgd.step()
    with pytest.raises(ValueError, match="Tried to step 3 times"):
        sched.step()


def test_plateau_param_groups_changed() -> None:
    opt = make_optimizer(cr)
    sched = lr_scheduler.ReduceLROnPlateau(opt, patience=0, min_lr=[0.0, 0.0])
    opt.add_param_group({"params": [cr.zeros(1, requires_grad=True)], "lr": 1.0})
    sched.step(1.0)
    with pytest.raises(RuntimeError, match="number of param groups"):
        sched.step(2.0)
    default = lr_scheduler.ReduceLROnPlateau(make_optimizer(cr), patience=0)
    default.optimizer.add_param_group({"params": [cr.zeros(1, requires_grad=True)], "lr": 1.0})
    default.step(1.0)
    default.step(2.0)
    assert default.get_last_lr() == pytest.approx([0.01, 0.05, 0.1])


def test_cosine_closed_form() -> None:
    opt = make_optimizer(cr)
    sched = lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.0)
    for _ in range(5):
        opt.step()
        sched.step()
    assert sched.get_last_lr()[0] == pytest.approx(0.1 * (1 + math.cos(math.pi * 5 / 10)) / 2)
