"""Out of memory at every allocation of a training step: a clean exception, then business as usual.

`_C._fail_allocation_after(n)` makes the n-th tensor allocation from now fail as if the
system were out of memory. A step is run with the failure at each of its allocations in
turn; every failure must surface as the RuntimeError naming out of memory, and the process
must keep working: the same step, run again without the failure, gives the gradients and
the weights of an undisturbed run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import _C


@contextmanager
def failing_allocation(n: int) -> Iterator[None]:
    _C._fail_allocation_after(n)
    try:
        yield
    finally:
        _C._fail_allocation_after(-1)


def fail_everywhere(run: Callable[[], object], limit: int = 2000) -> int:
    """Runs `run` with the n-th allocation failing for n = 0, 1, ... until a run completes
    without reaching its failure; returns how many allocations the run makes."""
    for n in range(limit):
        with failing_allocation(n):
            try:
                run()
            except RuntimeError as e:
                message = str(e)
            else:
                message = None
            if message is not None:
                assert "out of memory" in message, message
                assert not _C._allocation_failure_pending()
                continue
            if _C._allocation_failure_pending():
                return n
    raise AssertionError(f"the run still allocated after {limit} allocations")


def mlp() -> nn.Module:
    cr.manual_seed(0)
    return nn.Sequential(nn.Linear(12, 16), nn.Tanh(), nn.Linear(16, 4))


def cnn() -> nn.Module:
    cr.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 4, 3, padding=1),
        nn.BatchNorm2d(4),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(4 * 4 * 4, 3),
    )


def transformer() -> nn.Module:
    cr.manual_seed(0)
    return nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, dropout=0.0, batch_first=True)


CASES = {
    "mlp-adam": (
        mlp,
        lambda: cr.randn(5, 12),
        lambda: cr.randint(0, 4, (5,)),
        lambda m, y: F.cross_entropy(m, y),
        cr.optim.Adam,
    ),
    "cnn-sgd": (
        cnn,
        lambda: cr.randn(2, 1, 8, 8),
        lambda: cr.randint(0, 3, (2,)),
        lambda m, y: F.cross_entropy(m, y),
        lambda p: cr.optim.SGD(p, lr=0.1, momentum=0.9),
    ),
    "transformer-adamw": (
        transformer,
        lambda: cr.randn(2, 5, 8),
        lambda: cr.randn(2, 5, 8),
        lambda m, y: F.mse_loss(m, y),
        cr.optim.AdamW,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_allocation_of_a_training_step_can_fail(case: str) -> None:
    make, make_x, make_y, loss_fn, make_opt = CASES[case]
    cr.manual_seed(1)
    x, y = make_x(), make_y()

    def train(model: nn.Module, opt: cr.optim.Optimizer) -> None:
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    reference = make()
    ref_opt = make_opt(reference.parameters())
    train(reference, ref_opt)
    train(reference, ref_opt)

    model = make()
    opt = make_opt(model.parameters())
    train(model, opt)
    # The second step (optimizer state exists) at every allocation. A failed step may leave
    # gradients half-accumulated or the optimizer partly stepped, as in torch; from saved
    # weights and optimizer state, the step then runs cleanly.
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    opt_state = opt.state_dict()

    def restore() -> None:
        model.load_state_dict(weights)
        opt.load_state_dict(opt_state)

    def failing_step() -> None:
        restore()
        train(model, opt)

    count = fail_everywhere(failing_step)
    assert count > 10
    restore()
    train(model, opt)
    for (name, got), want in zip(model.state_dict().items(), reference.state_dict().values()):
        np.testing.assert_array_equal(got.numpy(), want.numpy(), err_msg=name)


def test_failed_allocation_leaves_the_allocator_usable() -> None:
    # Every size class, and blocks from the large cache: fail, then allocate that size again.
    for numel in [1, 3, 16, 1000, 10_000, 300_000, 3_000_000]:
        with failing_allocation(0), pytest.raises(RuntimeError, match="out of memory"):
            cr.ones(numel)
        for _ in range(3):
            t = cr.full((numel,), 2.0)
            assert float(t.sum()) == 2.0 * numel


def test_huge_allocation_fails_cleanly_and_small_ones_still_work() -> None:
    # Small blocks held alive empty the per-thread cache, so that anything the failed
    # allocation left in it would be handed out next.
    held = [cr.ones(3) for _ in range(200)]
    with pytest.raises(RuntimeError, match="out of memory"):
        cr.zeros(2**40)
    with pytest.raises(RuntimeError, match="out of memory"):
        cr.empty(2**38, dtype=cr.float64)
    del held
    fresh = [cr.full((3,), float(i)) for i in range(200)]
    assert [t.tolist() for t in fresh] == [[float(i)] * 3 for i in range(200)]


def test_backward_failing_midway_leaves_graph_reusable_with_retain_graph() -> None:
    model = mlp()
    x = cr.randn(4, 12)
    loss = model(x).pow(2).sum()
    loss.backward(retain_graph=True)
    expected = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()

    def run() -> None:
        model.zero_grad()
        loss.backward(retain_graph=True)

    fail_everywhere(run)
    model.zero_grad()
    loss.backward(retain_graph=True)
    for p, e in zip(model.parameters(), expected):
        np.testing.assert_array_equal(p.grad.numpy(), e.numpy())
