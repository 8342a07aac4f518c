"""grad_vs_torch: run one function on chainrule and on torch with the same float64 inputs and
compare the values, the node names and the gradients of a weighted sum of the outputs."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr


def grad_vs_torch(cr_fn, torch_fn, *arrays, weights=None) -> None:
    """Values and gradients of sum(w * f(inputs)) for each output, chainrule vs torch."""
    torch = pytest.importorskip("torch")
    xs = [cr.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    got, want = cr_fn(*xs), torch_fn(*ts)
    got = list(got) if isinstance(got, tuple) else [got]
    want = list(want) if isinstance(want, tuple) else [want]
    loss, tloss = 0, 0
    for k, (g, w) in enumerate(zip(got, want)):
        np.testing.assert_allclose(g.detach().numpy(), w.detach().numpy(), rtol=1e-12, atol=1e-12)
        if w.requires_grad:
            assert g.grad_fn.name() == w.grad_fn.name()
            c = np.random.default_rng(k).uniform(0.5, 1.5, size=w.shape)
            loss = loss + (g * cr.tensor(c)).sum()
            tloss = tloss + (w * torch.tensor(c)).sum()
    if isinstance(tloss, int):
        return
    loss.backward()
    tloss.backward()
    for x, t in zip(xs, ts):
        want_grad = np.zeros(t.shape) if t.grad is None else t.grad.numpy()
        got_grad = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
        np.testing.assert_allclose(got_grad, want_grad, rtol=1e-12, atol=1e-12)
