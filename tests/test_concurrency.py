"""Several Python threads training and inferring at once.

backward releases the GIL, so walks on different threads overlap: they must neither crash
nor lose gradients, whether their graphs share leaves (one model used by every thread) or
nothing at all. Inputs are small integers so that every gradient sum is exact in floating
point: a threaded run must then match a serial one bit for bit, whatever the order in which
the threads' contributions were added.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np
import pytest

import chainrule as cr
import chainrule.nn as nn

THREADS = 4
ITERS = 200


def run_threads(work: Callable[[int], None], n: int = THREADS) -> None:
    """Runs work(i) on n threads started together; re-raises the first error."""
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def body(i: int) -> None:
        try:
            barrier.wait()
            work(i)
        except BaseException as e:  # reported to the main thread below
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]


def integer_inputs(seed: int, shape: tuple[int, ...]) -> cr.Tensor:
    rng = np.random.default_rng(seed)
    return cr.tensor(rng.integers(-3, 4, size=shape).astype(np.float32))


def make_mlp(seed: int) -> nn.Module:
    # Weights that are multiples of 1/8 keep every product and sum exact in float32.
    cr.manual_seed(seed)
    model = nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8))
    with cr.no_grad():
        for p in model.parameters():
            p.copy_(cr.tensor(np.round(p.detach().numpy() * 8) / 8))
    return model


def loss_of(model: nn.Module, x: cr.Tensor) -> cr.Tensor:
    y = model(x)
    return (y * y).sum()


def step(model: nn.Module, x: cr.Tensor) -> None:
    loss_of(model, x).backward()


def grads_of(model: nn.Module) -> list[np.ndarray]:
    return [p.grad.numpy().copy() for p in model.parameters()]


@pytest.mark.parametrize("repeat", range(3))
def test_shared_linear_accumulates_every_backward(repeat: int) -> None:
    lin = nn.Linear(64, 64)
    x = integer_inputs(repeat, (8, 64))

    def work(_: int) -> None:
        for _ in range(ITERS):
            lin(x).sum().backward()

    run_threads(work)
    # d(sum(x W^T + b))/dW[i, j] = sum over the batch of x[:, j], for every one of the
    # THREADS * ITERS passes.
    passes = THREADS * ITERS
    expected_w = np.broadcast_to(x.numpy().sum(0), (64, 64)) * passes
    np.testing.assert_array_equal(lin.weight.grad.numpy(), expected_w)
    np.testing.assert_array_equal(lin.bias.grad.numpy(), np.full(64, 8.0 * passes))


@pytest.mark.parametrize("repeat", range(3))
def test_shared_model_matches_serial_run(repeat: int) -> None:
    model = make_mlp(repeat)
    inputs = [integer_inputs(100 * repeat + i, (4, 16)) for i in range(THREADS)]

    def work(i: int) -> None:
        for _ in range(ITERS):
            step(model, inputs[i])

    run_threads(work)
    threaded = grads_of(model)
    model.zero_grad()
    for i in range(THREADS):
        for _ in range(ITERS):
            step(model, inputs[i])
    for got, want in zip(threaded, grads_of(model)):
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("repeat", range(3))
def test_separate_models_lose_no_gradient(repeat: int) -> None:
    models = [make_mlp(10 * repeat + i) for i in range(THREADS)]
    inputs = [integer_inputs(200 + i, (4, 16)) for i in range(THREADS)]

    def work(i: int) -> None:
        for _ in range(ITERS):
            step(models[i], inputs[i])

    run_threads(work)
    for i, model in enumerate(models):
        threaded = grads_of(model)
        model.zero_grad()
        for _ in range(ITERS):
            step(model, inputs[i])
        for got, want in zip(threaded, grads_of(model)):
            np.testing.assert_array_equal(got, want)


def test_concurrent_autograd_grad_on_shared_leaves() -> None:
    model = make_mlp(7)
    params = list(model.parameters())
    inputs = [integer_inputs(300 + i, (4, 16)) for i in range(THREADS)]
    expected = []
    for x in inputs:
        expected.append([g.numpy().copy() for g in cr.autograd.grad(loss_of(model, x), params)])
    results: dict[int, list[list[np.ndarray]]] = {i: [] for i in range(THREADS)}

    def work(i: int) -> None:
        for _ in range(50):
            gs = cr.autograd.grad(loss_of(model, inputs[i]), params)
            results[i].append([g.numpy().copy() for g in gs])

    run_threads(work)
    for i in range(THREADS):
        for gs in results[i]:
            for got, want in zip(gs, expected[i]):
                np.testing.assert_array_equal(got, want)
    assert all(p.grad is None for p in params)


def test_backward_with_python_hooks_on_shared_leaves() -> None:
    # Hooks take the GIL inside a walk that released it: no deadlock, every call seen.
    lin = nn.Linear(8, 8)
    calls = []
    lin.weight.register_hook(lambda g: calls.append(1))
    x = integer_inputs(1, (2, 8))

    def work(_: int) -> None:
        for _ in range(50):
            lin(x).sum().backward()

    run_threads(work)
    assert len(calls) == THREADS * 50
    np.testing.assert_array_equal(lin.bias.grad.numpy(), np.full(8, 2.0 * THREADS * 50))


def test_concurrent_backward_through_one_retained_graph() -> None:
    w = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (w * w).sum() * 2
    y.backward(retain_graph=True)
    w.grad = None

    def work(_: int) -> None:
        for _ in range(100):
            y.backward(retain_graph=True)

    run_threads(work)
    np.testing.assert_array_equal(w.grad.numpy(), 4 * np.array([1.0, 2.0, 3.0]) * THREADS * 100)


def test_concurrent_no_grad_inference() -> None:
    model = make_mlp(3)
    model.eval()
    inputs = [integer_inputs(400 + i, (32, 16)) for i in range(THREADS)]
    with cr.no_grad():
        expected = [model(x).numpy().copy() for x in inputs]
    failures = []

    def work(i: int) -> None:
        with cr.no_grad():
            for _ in range(ITERS):
                out = model(inputs[i])
                if not np.array_equal(out.numpy(), expected[i]):
                    failures.append(i)

    run_threads(work)
    assert failures == []


def test_concurrent_training_steps_with_separate_optimizers() -> None:
    models = [make_mlp(20 + i) for i in range(THREADS)]
    inputs = [integer_inputs(500 + i, (4, 16)) for i in range(THREADS)]
    serial = [make_mlp(20 + i) for i in range(THREADS)]

    def train(model: nn.Module, x: cr.Tensor) -> None:
        opt = cr.optim.SGD(model.parameters(), lr=1 / 1024)
        for _ in range(20):
            opt.zero_grad()
            step(model, x)
            opt.step()

    run_threads(lambda i: train(models[i], inputs[i]))
    for i in range(THREADS):
        train(serial[i], inputs[i])
        for a, b in zip(models[i].parameters(), serial[i].parameters()):
            np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
