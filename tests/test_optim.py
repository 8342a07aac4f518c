"""chainrule.optim: every optimizer and option against torch.optim, plus the Optimizer API.

The trajectories run a small tanh MLP on fixed data for 20 steps from the same weights in
both libraries (float64, rtol 1e-5; float32 on a subset, looser).
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule._C import _optim

# ---- the problem ---------------------------------------------------------------------

SHAPES = [(4, 3), (4,), (2, 4), (2,)]
_rng = np.random.default_rng(1234)
WEIGHTS = [_rng.standard_normal(s) * 0.5 for s in SHAPES]
X = _rng.standard_normal((8, 3))
Y = _rng.standard_normal((8, 2))


@pytest.fixture
def torch():  # type: ignore[no-untyped-def]
    return pytest.importorskip("torch")


def make_params(lib, dtype_name="float64"):  # type: ignore[no-untyped-def]
    if lib is cr:
        dtype = getattr(cr, dtype_name)
        return [cr.tensor(w, dtype=dtype, requires_grad=True) for w in WEIGHTS]
    dtype = getattr(lib, dtype_name)
    return [lib.tensor(w, dtype=dtype, requires_grad=True) for w in WEIGHTS]


def loss_fn(lib, params, dtype_name="float64", step=0):  # type: ignore[no-untyped-def]
    w1, b1, w2, b2 = params
    dtype = getattr(lib, dtype_name)
    x = lib.tensor(X * (1 + 0.05 * step), dtype=dtype)  # the data drifts: no fixed point
    y = lib.tensor(Y, dtype=dtype)
    h = (x @ w1.T + b1).tanh()
    return ((h @ w2.T + b2 - y) ** 2).mean()


def train(lib, opt_cls, params, kwargs, steps=20, dtype_name="float64", zero_to_none=True):  # type: ignore[no-untyped-def]
    opt = opt_cls(params, **kwargs) if kwargs is not None else opt_cls(params)
    losses = []
    for i in range(steps):
        opt.zero_grad(set_to_none=zero_to_none)
        loss = loss_fn(lib, _flat(opt), dtype_name, i)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return opt, losses


def _flat(opt):  # type: ignore[no-untyped-def]
    return [p for g in opt.param_groups for p in g["params"]]


def to_np(t):  # type: ignore[no-untyped-def]
    return np.array(t.detach().tolist(), dtype=np.float64)


def assert_params_close(cr_params, torch_params, rtol=1e-5, atol=1e-8):  # type: ignore[no-untyped-def]
    for a, b in zip(cr_params, torch_params):
        np.testing.assert_allclose(to_np(a), to_np(b), rtol=rtol, atol=atol)


# ---- option grids -----------------------------------------------------------------------


def _sgd_cases():  # type: ignore[no-untyped-def]
    for momentum, dampening, nesterov, wd, maximize in itertools.product(
        (0.0, 0.9), (0.0, 0.5), (False, True), (0.0, 0.1), (False, True)
    ):
        if nesterov and (momentum == 0 or dampening != 0):
            continue
        yield {
            "lr": 0.05,
            "momentum": momentum,
            "dampening": dampening,
            "nesterov": nesterov,
            "weight_decay": wd,
            "maximize": maximize,
        }


def _adam_cases():  # type: ignore[no-untyped-def]
    for amsgrad, wd, maximize, decoupled in itertools.product(
        (False, True), (0.0, 0.1), (False, True), (False, True)
    ):
        yield {
            "lr": 0.02,
            "betas": (0.8, 0.99),
            "eps": 1e-6,
            "amsgrad": amsgrad,
            "weight_decay": wd,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled,
        }


def _adamw_cases():  # type: ignore[no-untyped-def]
    for amsgrad, wd, maximize in itertools.product((False, True), (0.0, 0.1), (False, True)):
        yield {"lr": 0.02, "amsgrad": amsgrad, "weight_decay": wd, "maximize": maximize}


def _rmsprop_cases():  # type: ignore[no-untyped-def]
    for centered, momentum, wd, maximize in itertools.product(
        (False, True), (0.0, 0.9), (0.0, 0.1), (False, True)
    ):
        yield {
            "lr": 0.005,
            "alpha": 0.9,
            "eps": 1e-6,
            "centered": centered,
            "momentum": momentum,
            "weight_decay": wd,
            "maximize": maximize,
        }


def _adagrad_cases():  # type: ignore[no-untyped-def]
    for lr_decay, wd, init, maximize in itertools.product(
        (0.0, 0.05), (0.0, 0.1), (0.0, 0.1), (False, True)
    ):
        yield {
            "lr": 0.05,
            "lr_decay": lr_decay,
            "weight_decay": wd,
            "initial_accumulator_value": init,
            "maximize": maximize,
        }


CASES = (
    [("SGD", kw) for kw in _sgd_cases()]
    + [("Adam", kw) for kw in _adam_cases()]
    + [("AdamW", kw) for kw in _adamw_cases()]
    + [("RMSprop", kw) for kw in _rmsprop_cases()]
    + [("Adagrad", kw) for kw in _adagrad_cases()]
)


def _case_id(case):  # type: ignore[no-untyped-def]
    name, kw = case
    opts = ",".join(f"{k}={v}" for k, v in kw.items() if k != "lr")
    return f"{name}({opts})"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_trajectory_float64_matches_torch(torch, case) -> None:  # type: ignore[no-untyped-def]
    name, kw = case
    cr_opt, cr_losses = train(cr, getattr(cr.optim, name), make_params(cr), kw)
    t_opt, t_losses = train(torch, getattr(torch.optim, name), make_params(torch), kw)
    np.testing.assert_allclose(cr_losses, t_losses, rtol=1e-5)
    assert_params_close(_flat(cr_opt), _flat(t_opt))
    # The state matches too, key by key.
    for p, q in zip(_flat(cr_opt), _flat(t_opt)):
        cs, ts = cr_opt.state[p], t_opt.state[q]
        assert list(cs) == list(ts)
        for key in ts:
            np.testing.assert_allclose(to_np(cs[key]), to_np(ts[key]), rtol=1e-5, atol=1e-10)


FLOAT32_CASES = [
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "maximize": True}),
    ("Adam", {"lr": 0.02, "amsgrad": True, "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.02, "maximize": True}),
    ("RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.9, "weight_decay": 0.1}),
    ("Adagrad", {"lr": 0.05, "lr_decay": 0.05, "initial_accumulator_value": 0.1}),
]


@pytest.mark.parametrize("case", FLOAT32_CASES, ids=[_case_id(c) for c in FLOAT32_CASES])
def test_trajectory_float32_matches_torch(torch, case) -> None:  # type: ignore[no-untyped-def]
    name, kw = case
    cr_opt, _ = train(
        cr, getattr(cr.optim, name), make_params(cr, "float32"), kw, dtype_name="float32"
    )
    t_opt, _ = train(
        torch, getattr(torch.optim, name), make_params(torch, "float32"), kw, dtype_name="float32"
    )
    for p in _flat(cr_opt):
        assert p.dtype == cr.float32
    assert_params_close(_flat(cr_opt), _flat(t_opt), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_defaults_match_torch(torch, name) -> None:  # type: ignore[no-untyped-def]
    kw = {} if name != "SGD" else {"lr": 0.01, "momentum": 0.5}
    cr_opt, _ = train(cr, getattr(cr.optim, name), make_params(cr), kw, steps=5)
    t_opt, _ = train(torch, getattr(torch.optim, name), make_params(torch), kw, steps=5)
    assert_params_close(_flat(cr_opt), _flat(t_opt))
    cr_groups = cr_opt.state_dict()["param_groups"]
    t_groups = t_opt.state_dict()["param_groups"]
    assert cr_groups == t_groups  # same keys, defaults and index layout


def test_param_groups_with_different_options(torch) -> None:  # type: ignore[no-untyped-def]
    def groups(params):  # type: ignore[no-untyped-def]
        return [
            {"params": params[:2], "lr": 0.05, "amsgrad": True},
            {"params": params[2:], "weight_decay": 0.2, "betas": (0.5, 0.9)},
        ]

    cr_p, t_p = make_params(cr), make_params(torch)
    cr_opt = cr.optim.Adam(groups(cr_p), lr=0.01)
    t_opt = torch.optim.Adam(groups(t_p), lr=0.01)
    for i in range(20):
        for opt, lib, ps in ((cr_opt, cr, cr_p), (t_opt, torch, t_p)):
            opt.zero_grad()
            loss_fn(lib, ps, step=i).backward()
            opt.step()
    assert_params_close(cr_p, t_p)
    assert cr_opt.param_groups[0]["lr"] == 0.05
    assert cr_opt.param_groups[1]["lr"] == 0.01
    assert "max_exp_avg_sq" in cr_opt.state[cr_p[0]]
    assert "max_exp_avg_sq" not in cr_opt.state[cr_p[2]]


def test_add_param_group_later(torch) -> None:  # type: ignore[no-untyped-def]
    cr_p, t_p = make_params(cr), make_params(torch)
    cr_opt = cr.optim.SGD(cr_p[:2], lr=0.05, momentum=0.9)
    t_opt = torch.optim.SGD(t_p[:2], lr=0.05, momentum=0.9)
    for i in range(10):
        if i == 4:
            cr_opt.add_param_group({"params": cr_p[2:], "lr": 0.1})
            t_opt.add_param_group({"params": t_p[2:], "lr": 0.1})
        for opt, lib, ps in ((cr_opt, cr, cr_p), (t_opt, torch, t_p)):
            opt.zero_grad()
            loss_fn(lib, ps, step=i).backward()
            opt.step()
    assert_params_close(cr_p, t_p)
    assert cr_opt.param_groups[1]["momentum"] == 0.9


def test_closure_is_called_with_grad_enabled_and_its_loss_returned(torch) -> None:  # type: ignore[no-untyped-def]
    cr_p, t_p = make_params(cr), make_params(torch)
    cr_opt = cr.optim.RMSprop(cr_p, lr=0.01, momentum=0.5)
    t_opt = torch.optim.RMSprop(t_p, lr=0.01, momentum=0.5)
    for i in range(10):

        def cr_closure(i=i):  # type: ignore[no-untyped-def]
            assert cr.is_grad_enabled()
            cr_opt.zero_grad()
            loss = loss_fn(cr, cr_p, step=i)
            loss.backward()
            return loss

        def t_closure(i=i):  # type: ignore[no-untyped-def]
            t_opt.zero_grad()
            loss = loss_fn(torch, t_p, step=i)
            loss.backward()
            return loss

        with cr.no_grad():
            cr_loss = cr_opt.step(cr_closure)
        t_loss = t_opt.step(t_closure)
        assert cr_loss.item() == pytest.approx(t_loss.item(), rel=1e-10)
    assert_params_close(cr_p, t_p)
    assert cr_opt.step() is None


def test_params_without_grad_are_skipped() -> None:
    ps = make_params(cr)
    opt = cr.optim.Adam(ps, lr=0.1)
    loss_fn(cr, ps).backward()
    ps[1].grad = None
    before = to_np(ps[1])
    opt.step()
    np.testing.assert_array_equal(to_np(ps[1]), before)
    assert len(opt.state[ps[1]]) == 0
    assert float(opt.state[ps[0]]["step"]) == 1.0
    opt.zero_grad()
    opt.step()  # no grads at all: nothing happens
    assert float(opt.state[ps[0]]["step"]) == 1.0


def test_zero_grad_both_ways(torch) -> None:  # type: ignore[no-untyped-def]
    ps = make_params(cr)
    opt = cr.optim.SGD(ps, lr=0.1)
    loss_fn(cr, ps).backward()
    grads = [p.grad for p in ps]
    opt.zero_grad(set_to_none=False)
    for p, g in zip(ps, grads):
        assert p.grad is g
        assert not p.grad.requires_grad
        assert to_np(p.grad).tolist() == np.zeros(p.shape).tolist()
    opt.zero_grad()
    assert all(p.grad is None for p in ps)
    # zero_grad(False) and set_to_none give torch's trajectory (SGD with a grad of 0 is a no-op).
    cr_opt, _ = train(
        cr, cr.optim.SGD, make_params(cr), {"lr": 0.05, "momentum": 0.9}, zero_to_none=False
    )
    t_opt, _ = train(
        torch,
        torch.optim.SGD,
        make_params(torch),
        {"lr": 0.05, "momentum": 0.9},
        zero_to_none=False,
    )
    assert_params_close(_flat(cr_opt), _flat(t_opt))


@pytest.mark.parametrize(
    ("name", "kw"),
    [
        ("SGD", {"lr": 0.05, "momentum": 0.9}),
        ("Adam", {"lr": 0.02, "amsgrad": True}),
        ("AdamW", {"lr": 0.02}),
        ("RMSprop", {"lr": 0.005, "centered": True, "momentum": 0.5}),
        ("Adagrad", {"lr": 0.05, "lr_decay": 0.01}),
    ],
)
def test_state_dict_round_trip_mid_training(torch, name, kw) -> None:  # type: ignore[no-untyped-def]
    # torch: 20 uninterrupted steps. chainrule: 10 steps, state_dict, a fresh optimizer on
    # copies of the weights loads it, 10 more steps.
    t_opt, _ = train(torch, getattr(torch.optim, name), make_params(torch), kw, steps=20)
    cr_opt, _ = train(cr, getattr(cr.optim, name), make_params(cr), kw, steps=10)
    sd = cr_opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert sorted(sd["state"]) == [0, 1, 2, 3]
    assert sd["param_groups"][0]["params"] == [0, 1, 2, 3]

    new_params = [cr.tensor(to_np(p), requires_grad=True) for p in _flat(cr_opt)]
    new_params = [p.double() if p.dtype != cr.float64 else p for p in new_params]
    new_opt = getattr(cr.optim, name)(new_params, **kw)
    new_opt.load_state_dict(sd)
    # Loaded state is a copy: it shares no tensor with the state dict.
    for i, p in enumerate(new_params):
        for key, value in new_opt.state[p].items():
            if isinstance(value, cr.Tensor):
                assert value is not sd["state"][i][key]
    for i in range(10, 20):
        new_opt.zero_grad()
        loss_fn(cr, new_params, step=i).backward()
        new_opt.step()
    assert_params_close(new_params, _flat(t_opt))
    # The step counters continued from the loaded ones.
    if name != "SGD":
        assert float(new_opt.state[new_params[0]]["step"]) == 20.0


def test_load_torch_state_dict(torch) -> None:  # type: ignore[no-untyped-def]
    """A torch Adam state dict (tensors converted) continues identically in chainrule."""
    kw = {"lr": 0.02, "amsgrad": True}
    t_opt, _ = train(torch, torch.optim.Adam, make_params(torch), kw, steps=10)
    t_sd = t_opt.state_dict()
    sd = {
        "state": {
            k: {n: cr.tensor(v.numpy()) for n, v in s.items()} for k, s in t_sd["state"].items()
        },
        "param_groups": [dict(g) for g in t_sd["param_groups"]],
    }
    cr_params = [cr.tensor(to_np(p), dtype=cr.float64, requires_grad=True) for p in _flat(t_opt)]
    cr_opt = cr.optim.Adam(cr_params, **kw)
    cr_opt.load_state_dict(sd)
    for i in range(10, 20):
        for opt, lib, ps in ((cr_opt, cr, cr_params), (t_opt, torch, _flat(t_opt))):
            opt.zero_grad()
            loss_fn(lib, ps, step=i).backward()
            opt.step()
    assert_params_close(cr_params, _flat(t_opt))


def test_state_dict_layout_matches_torch(torch) -> None:  # type: ignore[no-untyped-def]
    cr_opt, _ = train(cr, cr.optim.Adam, make_params(cr), {"lr": 0.01}, steps=3)
    t_opt, _ = train(torch, torch.optim.Adam, make_params(torch), {"lr": 0.01}, steps=3)
    cs, ts = cr_opt.state_dict(), t_opt.state_dict()
    assert cs["param_groups"] == ts["param_groups"]
    assert list(cs["state"]) == list(ts["state"])
    for k in ts["state"]:
        assert list(cs["state"][k]) == list(ts["state"][k])
        step = cs["state"][k]["step"]
        assert isinstance(step, cr.Tensor)
        assert step.dim() == 0
        assert step.dtype == cr.float32
        assert step.item() == 3.0


def test_load_state_dict_casts_to_param_dtype() -> None:
    ps = make_params(cr)
    opt, _ = train(cr, cr.optim.Adam, ps, {"lr": 0.01}, steps=2)
    sd = opt.state_dict()
    ps32 = make_params(cr, "float32")
    opt32 = cr.optim.Adam(ps32, lr=0.01)
    opt32.load_state_dict(sd)
    assert opt32.state[ps32[0]]["exp_avg"].dtype == cr.float32
    assert opt32.state[ps32[0]]["step"].dtype == cr.float32
    loss_fn(cr, ps32, "float32").backward()
    opt32.step()
    assert opt32.state[ps32[0]]["step"].item() == 3.0


def test_load_state_dict_validation_is_all_or_nothing() -> None:
    ps = make_params(cr)
    opt, _ = train(cr, cr.optim.Adam, ps, {"lr": 0.01}, steps=2)
    good = opt.state_dict()
    other = cr.optim.Adam([{"params": ps[:2]}, {"params": ps[2:]}], lr=0.5)
    before_groups = [dict(g) for g in other.param_groups]

    with pytest.raises(ValueError, match="different number of parameter groups"):
        other.load_state_dict(good)
    smaller = cr.optim.Adam(ps[:3], lr=0.01)
    with pytest.raises(ValueError, match="doesn't match the size of optimizer's group"):
        smaller.load_state_dict(good)

    bad = opt.state_dict()
    bad = {"state": dict(bad["state"]), "param_groups": bad["param_groups"]}
    bad["state"][3] = dict(bad["state"][3])
    bad["state"][3]["exp_avg"] = cr.zeros(7, dtype=cr.float64)
    fresh_params = make_params(cr)
    fresh = cr.optim.Adam(fresh_params, lr=0.5)
    with pytest.raises(ValueError, match="exp_avg"):
        fresh.load_state_dict(bad)
    # Nothing was loaded: no state, the old options.
    assert len(fresh.state) == 0
    assert fresh.param_groups[0]["lr"] == 0.5
    assert [g["lr"] for g in other.param_groups] == [g["lr"] for g in before_groups]
    with pytest.raises(ValueError, match="state"):
        fresh.load_state_dict({"param_groups": []})


def test_state_dict_keeps_param_names() -> None:
    ps = make_params(cr)
    opt = cr.optim.SGD([("w1", ps[0]), ("b1", ps[1])], lr=0.1)
    assert opt.param_groups[0]["param_names"] == ["w1", "b1"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w1", "b1"]
    with pytest.raises(ValueError, match="with/without names"):
        cr.optim.SGD([("w1", ps[0]), ps[1]], lr=0.1)


def test_step_bumps_version_counters() -> None:
    ps = make_params(cr)
    opt = cr.optim.Adam(ps, lr=0.1)
    loss_fn(cr, ps).backward()
    versions = [p._version for p in ps]
    opt.step()
    assert all(p._version > v for p, v in zip(ps, versions))
    step_version = opt.state[ps[0]]["step"]._version
    exp_avg_version = opt.state[ps[0]]["exp_avg"]._version
    opt.step()
    assert opt.state[ps[0]]["step"]._version > step_version
    assert opt.state[ps[0]]["exp_avg"]._version > exp_avg_version


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_stale_saved_tensor_raises_after_step(name) -> None:  # type: ignore[no-untyped-def]
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    opt = getattr(cr.optim, name)([w], lr=0.1)
    (w * w).sum().backward()
    pending = (w * w).sum()  # saves w for its backward
    opt.step()
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        pending.backward()


def test_non_contiguous_param(torch) -> None:  # type: ignore[no-untyped-def]
    base = np.arange(12.0).reshape(3, 4) / 10
    cw = cr.tensor(base, dtype=cr.float64).T.detach().requires_grad_(True)
    tw = torch.tensor(base, dtype=torch.float64).T.detach().requires_grad_(True)
    assert not cw.is_contiguous()
    copt = cr.optim.Adam([cw], lr=0.1, weight_decay=0.1)
    topt = torch.optim.Adam([tw], lr=0.1, weight_decay=0.1)
    for _ in range(5):
        for opt, w in ((copt, cw), (topt, tw)):
            opt.zero_grad()
            ((w * w * w).sum() + (w[0] * 2).sum()).backward()
            opt.step()
    np.testing.assert_allclose(to_np(cw), to_np(tw), rtol=1e-10)
    assert not cw.is_contiguous()


def test_duplicate_param_in_group_warns_and_updates_twice(torch) -> None:  # type: ignore[no-untyped-def]
    cw = cr.tensor([1.0, -2.0], dtype=cr.float64, requires_grad=True)
    tw = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        copt = cr.optim.SGD([cw, cw], lr=0.1, momentum=0.9)
    with pytest.warns(UserWarning, match="duplicate parameters"):
        topt = torch.optim.SGD([tw, tw], lr=0.1, momentum=0.9)
    for _ in range(3):
        for opt, w in ((copt, cw), (topt, tw)):
            opt.zero_grad()
            (w * w).sum().backward()
            opt.step()
    np.testing.assert_allclose(to_np(cw), to_np(tw), rtol=1e-12)


def test_tensor_lr(torch) -> None:  # type: ignore[no-untyped-def]
    cr_opt, _ = train(cr, cr.optim.Adam, make_params(cr), {"lr": cr.tensor(0.02)}, steps=5)
    t_opt, _ = train(
        torch, torch.optim.Adam, make_params(torch), {"lr": torch.tensor(0.02)}, steps=5
    )
    assert_params_close(_flat(cr_opt), _flat(t_opt))


def test_threads_give_the_same_bits() -> None:
    n = 200_000  # above the parallel grain
    g = cr.randn(n, dtype=cr.float64)
    start = cr.randn(n, dtype=cr.float64)
    results = []
    threads = cr.get_num_threads()
    try:
        for nt in (1, 2):
            cr.set_num_threads(nt)
            w = start.clone().requires_grad_(True)
            opt = cr.optim.Adam([w, cr.zeros(3, requires_grad=True)], lr=0.01, amsgrad=True)
            for _ in range(3):
                w.grad = g
                opt.step()
            results.append(to_np(w))
    finally:
        cr.set_num_threads(threads)
    np.testing.assert_array_equal(results[0], results[1])


# ---- construction errors (torch's types and messages) ------------------------------------


@pytest.mark.parametrize(
    ("name", "kw", "match"),
    [
        ("SGD", {"lr": -1}, "Invalid learning rate: -1"),
        ("SGD", {"momentum": -0.5}, "Invalid momentum value: -0.5"),
        ("SGD", {"weight_decay": -1e-3}, "Invalid weight_decay value: -0.001"),
        ("SGD", {"nesterov": True}, "Nesterov momentum requires a momentum and zero dampening"),
        ("SGD", {"nesterov": True, "momentum": 0.9, "dampening": 0.1}, "Nesterov momentum"),
        ("Adam", {"lr": -1}, "Invalid learning rate: -1"),
        ("Adam", {"eps": -1.0}, "Invalid epsilon value: -1.0"),
        ("Adam", {"betas": (1.0, 0.999)}, "Invalid beta parameter at index 0: 1.0"),
        ("Adam", {"betas": (0.9, -0.1)}, "Invalid beta parameter at index 1: -0.1"),
        ("Adam", {"weight_decay": -1}, "Invalid weight_decay value: -1"),
        ("Adam", {"betas": (0.9, cr.tensor(0.99))}, "betas must be either both floats"),
        ("AdamW", {"lr": -0.1}, "Invalid learning rate: -0.1"),
        ("RMSprop", {"alpha": -0.1}, "Invalid alpha value: -0.1"),
        ("RMSprop", {"momentum": -1}, "Invalid momentum value: -1"),
        ("RMSprop", {"eps": -1}, "Invalid epsilon value: -1"),
        ("Adagrad", {"lr_decay": -1}, "Invalid lr_decay value: -1"),
        (
            "Adagrad",
            {"initial_accumulator_value": -1},
            "Invalid initial_accumulator_value value: -1",
        ),
        ("Adagrad", {"eps": -1}, "Invalid epsilon value: -1"),
        ("Adam", {"differentiable": True}, "differentiable"),
        ("Adam", {"capturable": True}, "capturable"),
        ("SGD", {"lr": cr.tensor([0.1, 0.2])}, "Tensor lr must be 1-element"),
    ],
)
def test_invalid_hyper_parameters(name, kw, match) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        getattr(cr.optim, name)(make_params(cr), **kw)


def test_fused_and_foreach_together() -> None:
    with pytest.raises(RuntimeError, match="cannot be `True` together"):
        cr.optim.Adam(make_params(cr), fused=True, foreach=True)
    cr.optim.Adam(make_params(cr), fused=True)  # accepted: the update is always fused
    cr.optim.SGD(make_params(cr), foreach=False)


def test_param_list_errors() -> None:
    ps = make_params(cr)
    with pytest.raises(ValueError, match="optimizer got an empty parameter list"):
        cr.optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="should be an iterable of Tensors or dicts"):
        cr.optim.SGD(ps[0], lr=0.1)
    with pytest.raises(TypeError, match="ordered collections"):
        cr.optim.SGD([{"params": set(ps)}], lr=0.1)
    with pytest.raises(TypeError, match="can only optimize Tensors"):
        cr.optim.SGD([ps[0], 1.0], lr=0.1)
    with pytest.raises(ValueError, match="can't optimize a non-leaf Tensor"):
        cr.optim.SGD([ps[0] * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        cr.optim.SGD([{"params": ps[:2]}, {"params": ps[1:]}], lr=0.1)
    opt = cr.optim.SGD(ps[:2], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        opt.add_param_group({"params": [ps[0]]})
    with pytest.raises(TypeError, match="param_group must be a dict"):
        opt.add_param_group([ps[3]])  # type: ignore[arg-type]
    opt.add_param_group({"params": ps[3]})  # a single tensor
    assert opt.param_groups[1]["params"] == [ps[3]]
    assert isinstance(cr.optim.SGD(iter(ps), lr=0.1).param_groups[0]["params"], list)


def test_required_option() -> None:
    from chainrule.optim.optimizer import required

    class Plain(cr.optim.Optimizer):
        def __init__(self, params, lr=required):  # type: ignore[no-untyped-def]
            super().__init__(params, {"lr": lr})

    with pytest.raises(ValueError, match="didn't specify a value of required"):
        Plain(make_params(cr))
    opt = Plain([{"params": make_params(cr), "lr": 0.1}])
    with pytest.raises(NotImplementedError):
        opt.step()


def test_repr() -> None:
    opt = cr.optim.SGD(make_params(cr), lr=0.1)
    text = repr(opt)
    assert text.startswith("SGD (\nParameter Group 0\n")
    assert "    lr: 0.1\n" in text
    assert "    momentum: 0\n" in text


# ---- the C++ entry points check everything before writing ---------------------------------


def _adam_args(ps, grads, m, v, steps):  # type: ignore[no-untyped-def]
    return (ps, grads, m, v, None, steps, 0.1, 0.9, 0.999, 1e-8, 0.0, False, False, False)


def test_fused_step_validates_before_writing() -> None:
    ps = [cr.randn(3), cr.randn(2, 2)]
    grads = [cr.randn(3), cr.randn(2, 2)]
    m = [cr.zeros(3), cr.zeros(2, 2)]
    v = [cr.zeros(3), cr.zeros(2, 2)]
    steps = [cr.tensor(0.0), cr.tensor(0.0)]
    snapshot = [p.tolist() for p in ps]

    def unchanged() -> None:
        assert [p.tolist() for p in ps] == snapshot
        assert [s.item() for s in steps] == [0.0, 0.0]
        assert m[0].tolist() == [0.0, 0.0, 0.0]

    with pytest.raises(ValueError, match=r"adam_step: the grad of parameter 1 has shape \(4,\)"):
        _optim.adam_step(*_adam_args(ps, [grads[0], cr.randn(4)], m, v, steps))
    unchanged()
    with pytest.raises(TypeError, match="adam_step: the grad of parameter 0 has dtype float64"):
        _optim.adam_step(*_adam_args(ps, [grads[0].double(), grads[1]], m, v, steps))
    unchanged()
    with pytest.raises(ValueError, match="adam_step: exp_avg_sq of parameter 1 has shape"):
        _optim.adam_step(*_adam_args(ps, grads, m, [v[0], cr.zeros(4)], steps))
    unchanged()
    with pytest.raises(ValueError, match="adam_step: expected one exp_avg per parameter"):
        _optim.adam_step(*_adam_args(ps, grads, m[:1], v, steps))
    unchanged()
    with pytest.raises(ValueError, match="adam_step: exp_avg of parameter 1 must be contiguous"):
        _optim.adam_step(*_adam_args(ps, grads, [m[0], cr.zeros(2, 2).T], v, steps))
    unchanged()
    with pytest.raises(TypeError, match="adam_step: the step counter of parameter 0"):
        _optim.adam_step(*_adam_args(ps, grads, m, v, [cr.zeros(2), steps[1]]))
    unchanged()
    with pytest.raises(ValueError, match="adam_step: parameter 1 is the same tensor"):
        _optim.adam_step(
            *_adam_args(
                [ps[0], ps[0]],
                [grads[0], grads[0]],
                [m[0], cr.zeros(3)],
                [v[0], cr.zeros(3)],
                steps,
            )
        )
    unchanged()
    with pytest.raises(TypeError, match="adam_step: parameter 0 must be a float32 or float64"):
        _optim.adam_step(*_adam_args([cr.tensor([1, 2, 3]), ps[1]], grads, m, v, steps))
    with pytest.raises(ValueError, match="adam_step: expected one max_exp_avg_sq per parameter"):
        _optim.adam_step(
            ps, grads, m, v, None, steps, 0.1, 0.9, 0.999, 1e-8, 0.0, True, False, False
        )
    with pytest.raises(ValueError, match=r"adam_step: grads\[1\] is None"):
        _optim.adam_step(*_adam_args(ps, [grads[0], None], m, v, steps))
    with pytest.raises(TypeError, match="adamw_step: params must be a list"):
        _optim.adam_step(
            ps[0], grads, m, v, None, steps, 0.1, 0.9, 0.999, 1e-8, 0.0, False, False, True
        )
    unchanged()
    with pytest.raises(ValueError, match="sgd_step: expected one grad per parameter"):
        _optim.sgd_step(ps, grads[:1], None, 0.1, 0.0, 0.0, 0.0, False, False)
    with pytest.raises(ValueError, match="sgd_step: momentum_buffer of parameter 0 has shape"):
        _optim.sgd_step(ps, grads, [cr.zeros(5), None], 0.1, 0.9, 0.0, 0.0, False, False)
    with pytest.raises(ValueError, match="rmsprop_step: expected one grad_avg per parameter"):
        _optim.rmsprop_step(ps, grads, v, None, [], steps, 0.1, 0.9, 1e-8, 0.0, 0.0, True, False)
    with pytest.raises(ValueError, match="adagrad_step: sum of parameter 0 shares memory"):
        _optim.adagrad_step(ps, grads, [ps[0], v[1]], steps, 0.1, 0.0, 0.0, 1e-10, False)
    unchanged()


def test_step_with_bad_state_leaves_optimizer_unchanged() -> None:
    ps = make_params(cr)
    opt = cr.optim.Adam(ps, lr=0.1)
    loss_fn(cr, ps).backward()
    opt.step()
    snapshot = [to_np(p) for p in ps]
    opt.state[ps[2]]["exp_avg"] = cr.zeros(3, dtype=cr.float64)
    with pytest.raises(ValueError, match=r"adam_step: exp_avg of parameter 2 has shape \(3,\)"):
        opt.step()
    for p, s in zip(ps, snapshot):
        np.testing.assert_array_equal(to_np(p), s)
    assert all(opt.state[p]["step"].item() == 1.0 for p in ps)


def test_sgd_first_step_buffer_is_the_gradient() -> None:
    w = cr.tensor([1.0, 2.0], dtype=cr.float64, requires_grad=True)
    opt = cr.optim.SGD([w], lr=0.1, momentum=0.9, dampening=0.5, weight_decay=0.5)
    (w * w).sum().backward()
    opt.step()
    buf = opt.state[w]["momentum_buffer"]
    assert buf.tolist() == pytest.approx([2.5, 5.0])  # 2w + 0.5w, dampening not applied
    assert not buf.requires_grad
    assert math.isclose(w.tolist()[0], 1.0 - 0.1 * 2.5)


def test_with_nn_module_parameters(torch) -> None:  # type: ignore[no-untyped-def]
    from chainrule import nn

    model = nn.Sequential(nn.Linear(3, 5), nn.Linear(5, 2))
    t_model = torch.nn.Sequential(torch.nn.Linear(3, 5), torch.nn.Linear(5, 2))
    with torch.no_grad():
        for p, q in zip(model.parameters(), t_model.parameters()):
            q.copy_(torch.tensor(to_np(p)))
    opt = cr.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    t_opt = torch.optim.SGD(t_model.parameters(), lr=0.1, momentum=0.9, nesterov=True)
    x = X.astype(np.float32)
    y = Y.astype(np.float32)
    for _ in range(10):
        opt.zero_grad()
        ((model(cr.tensor(x)) - cr.tensor(y)) ** 2).mean().backward()
        opt.step()
        t_opt.zero_grad()
        ((t_model(torch.tensor(x)) - torch.tensor(y)) ** 2).mean().backward()
        t_opt.step()
    assert_params_close(list(model.parameters()), list(t_model.parameters()), rtol=1e-4, atol=1e-6)
    assert all(isinstance(p, nn.Parameter) for p in model.parameters())
    names = [n for n, _ in model.named_parameters()]
    named = cr.optim.Adam(model.named_parameters())
    assert named.param_groups[0]["param_names"] == names


def test_non_contiguous_grad(torch) -> None:  # type: ignore[no-untyped-def]
    w0 = np.linspace(-1.0, 1.0, 12).reshape(3, 4)
    g0 = np.linspace(0.5, -0.5, 12).reshape(4, 3)
    cw = cr.tensor(w0, dtype=cr.float64, requires_grad=True)
    tw = torch.tensor(w0, dtype=torch.float64, requires_grad=True)
    cw.grad = cr.tensor(g0, dtype=cr.float64).T
    tw.grad = torch.tensor(g0, dtype=torch.float64).T
    assert not cw.grad.is_contiguous()
    copt = cr.optim.RMSprop([cw], lr=0.01, centered=True)
    topt = torch.optim.RMSprop([tw], lr=0.01, centered=True)
    for _ in range(3):
        copt.step()
        topt.step()
    np.testing.assert_allclose(to_np(cw), to_np(tw), rtol=1e-12)
    np.testing.assert_array_equal(to_np(cw.grad), g0.T)  # the grad itself is left alone
