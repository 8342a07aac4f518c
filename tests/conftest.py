"""Shared fixtures: a fixed seed per test and the optional torch oracle."""

from __future__ import annotations

import pytest

import chainrule as cr
from _isa_levels import SIMD_SCRIPT, run_at


@pytest.fixture(autouse=True)
def _seed() -> None:
    cr.manual_seed(0)


@pytest.fixture(autouse=True, scope="session")
def _torch_single_thread():  # type: ignore[no-untyped-def]
    """torch's thread pool spins for milliseconds on tiny ops when the machine is busy; the
    oracle's values do not depend on its thread count."""
    try:
        import torch
    except ImportError:
        yield
        return
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture(scope="session")
def best_level() -> str:
    """The CPU level a process picks without the override: the best this CPU and build support."""
    out, err = run_at(None, SIMD_SCRIPT)
    assert err == ""
    return str(out["simd"])
