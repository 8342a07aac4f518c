"""The op database's shared parts: the input specs (F, I, B), Sample, OpInfo, the sample
builders used by several families, and collect_ops(), which gathers the OPS list of every
tests/op_db_<family>.py (one file per op family; see test_layout.py for the list).

Each entry's ``fn(lib, *args, **kwargs)`` is written once and called with ``lib`` being
chainrule or torch, which works because chainrule's API is PyTorch's. Sample arguments
describe inputs (``F`` float tensors that may require grad, ``I`` int64 and ``B`` bool
tensors); plain Python values pass through unchanged.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class F:
    """A float tensor input of ``shape``, drawn uniformly from [low, high).

    ``away`` lists kinks the values are kept at least 0.1 from (relu at 0, clamp bounds),
    so that finite differences do not straddle them. ``grad`` says whether it requires grad.
    """

    shape: tuple[int, ...]
    low: float = -2.0
    high: float = 2.0
    away: tuple[float, ...] = ()
    grad: bool = True


@dataclass(frozen=True)
class I:  # noqa: E742
    """An int64 tensor input of ``shape`` with values in [low, high)."""

    shape: tuple[int, ...]
    high: int = 5
    low: int = 0


@dataclass(frozen=True)
class B:
    """A bool tensor input of ``shape``."""

    shape: tuple[int, ...]


@dataclass
class Sample:
    args: tuple[Any, ...]
    kwargs: dict[str, Any] = field(default_factory=dict)
    name: str = ""


@dataclass
class OpInfo:
    name: str
    fn: Callable[..., Any]
    samples: Sequence[Sample]
    differentiable: bool = True
    gradcheck: bool = True
    noncontiguous: bool = True
    atol: float = 1e-5  # float32 forward/backward tolerances against torch
    rtol: float = 1e-4


def S(*args: Any, name: str = "", **kwargs: Any) -> Sample:
    return Sample(args, kwargs, name)


# Broadcasting, 0-d and empty shape pairs shared by the binary ops.
def binary_samples(
    low: float = -2.0, high: float = 2.0, away: tuple[float, ...] = ()
) -> list[Sample]:
    def f(shape: tuple[int, ...]) -> F:
        return F(shape, low, high, away)

    return [
        S(f((3, 4)), f((3, 4)), name="same"),
        S(f((3, 4)), f((4,)), name="row_broadcast"),
        S(f((3, 1)), f((1, 4)), name="outer_broadcast"),
        S(f((2, 3, 4)), f((3, 1)), name="3d_broadcast"),
        S(f(()), f(()), name="0d"),
        S(f((3, 4)), f(()), name="tensor_0d"),
        S(f((0, 4)), f((4,)), name="empty"),
        S(f((3, 4)), 1.5, name="scalar_right"),
        S(1.5 if low >= 0 else -0.75, f((3, 4)), name="scalar_left"),
    ]


def unary_samples(
    low: float = -2.0, high: float = 2.0, away: tuple[float, ...] = ()
) -> list[Sample]:
    return [
        S(F((3, 4), low, high, away), name="2d"),
        S(F((2, 3, 5), low, high, away), name="3d"),
        S(F((), low, high, away), name="0d"),
        S(F((0, 3), low, high, away), name="empty"),
    ]


POSITIVE = (0.1, 2.0)


def reduce_samples() -> list[Sample]:
    return [
        S(F((2, 3, 4)), name="3d"),
        S(F((3, 4)), name="2d"),
        S(F(()), name="0d"),
        S(F((0, 3)), name="empty"),
    ]


def dim_samples(**kwargs: Any) -> list[Sample]:
    return [
        S(F((2, 3, 4)), 1, name="dim1", **kwargs),
        S(F((2, 3, 4)), -1, name="dim_neg", **kwargs),
        S(F((2, 3, 4)), (0, 2), name="dims_tuple", **kwargs),
        S(F((2, 3, 4)), 0, name="keepdim", keepdim=True, **kwargs),
        S(F(()), 0, name="0d", **kwargs),
        S(F((0, 3)), 1, name="empty", **kwargs),
    ]


def collect_ops() -> list[OpInfo]:
    """The OPS of every tests/op_db_*.py, found by name (no list to keep up to date)."""
    ops: list[OpInfo] = []
    for path in sorted(Path(__file__).parent.glob("op_db_*.py")):
        ops += importlib.import_module(path.stem).OPS
    return ops
