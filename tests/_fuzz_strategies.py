"""Hypothesis strategies that turn one op_db Sample into a varied concrete case for the fuzz
(test_fuzz_ops.py): the sample's argument spec fixes the structure, the strategies vary the
rest.

- shapes: every distinct size of the sample's tensors (and an index spec's ``high`` that equals
  one of them) maps to a new size, the same one everywhere, so that related dims stay related
  (matmul's inner dims, a target's batch); sometimes one argument's shape is perturbed on top
  (a dim set to 1 or 0, a dim dropped or added, 0-d), which gives broadcasting and errors;
- dtypes: float32 / float64 (mixed at times), int64 or bool in place of floats, wrong dtypes
  for indices and masks;
- values: the spec's range, special values (NaN, +-Inf, -0.0, huge, tiny, denormal, kinks),
  a wide log-uniform range, small integers (ties, exact kinks); out-of-range indices;
- layouts: transposed, sliced with steps, negative-offset slices, expanded (stride 0), and
  nested; the gaps of a strided base hold junk (NaN), which a kernel reading past the view
  would pick up; two arguments sometimes view one storage (``x`` twice, ``x[:-1]`` and
  ``x[1:]``);
- plain arguments: dims turned negative or out of range, ints and floats nudged or replaced
  by special values, flags flipped, a keyword dropped.

A case is plain data (numpy arrays and view steps), so that the same case builds into torch
and into chainrule: ``build(lib, case)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from hypothesis import assume
from hypothesis import strategies as st

from op_db import B, F, I, Sample

MAX_NUMEL = 6000  # per tensor, so that an example costs about a millisecond

# Sizes a dim may take instead of the sample's: empty, 1 (broadcast), small, SIMD tails.
SIZES = (0, 1, 1, 2, 2, 3, 3, 4, 5, 6, 7, 8, 9, 16, 17, 33)


@dataclass
class Leaf:
    """A tensor created from ``values`` (C-contiguous); the arguments are views of it."""

    values: np.ndarray
    grad: bool
    kind: str = "F"  # the spec it stands for: F (float), I (index), B (mask)


@dataclass
class TArg:
    """A tensor argument: leaf ``leaf`` with the view steps applied in order."""

    leaf: int
    views: tuple[tuple[Any, ...], ...] = ()


@dataclass
class Case:
    leaves: list[Leaf]
    args: list[Any]  # TArg or a plain value
    kwargs: dict[str, Any]
    sample: str
    notes: list[str] = field(default_factory=list)  # what was varied, for the report

    def describe(self) -> str:
        def leaf(i: int) -> str:
            v = self.leaves[i].values
            flat = v.reshape(-1)
            shown = np.array2string(flat[:12], precision=4, separator=",", threshold=12)
            return f"L{i}:{v.dtype}{tuple(v.shape)}{'*' if self.leaves[i].grad else ''}={shown}"

        def arg(a: Any) -> str:
            if isinstance(a, TArg):
                return f"L{a.leaf}" + "".join(_view_str(s) for s in a.views)
            return repr(a)

        args = ", ".join(
            [arg(a) for a in self.args] + [f"{k}={v!r}" for k, v in self.kwargs.items()]
        )
        return (
            f"sample={self.sample!r} call=({args}) "
            f"leaves=[{'; '.join(leaf(i) for i in range(len(self.leaves)))}] "
            f"notes={self.notes}"
        )


def _view_str(step: tuple[Any, ...]) -> str:
    kind = step[0]
    if kind == "permute":
        return f".permute{step[1]}"
    if kind == "expand":
        return f".expand{step[1]}"
    if kind == "select":
        return f"[{':, ' * step[1]}{step[2]}]"
    _, dim, start, stop, stride = step
    s = f"{'' if start is None else start}:{'' if stop is None else stop}:{stride}"
    return f"[{':, ' * dim}{s}]"


def apply_view(t: Any, step: tuple[Any, ...]) -> Any:
    kind = step[0]
    if kind == "permute":
        return t.permute(*step[1])
    if kind == "expand":
        return t.expand(*step[1])
    if kind == "select":
        return t[(slice(None),) * step[1] + (step[2],)]
    _, dim, start, stop, stride = step
    return t[(slice(None),) * dim + (slice(start, stop, stride),)]


def build(lib: Any, case: Case) -> tuple[list[Any], list[Any], dict[str, Any]]:
    """The case's leaves (fresh tensors of ``lib``, float ones requiring grad where the spec
    says), its positional arguments and keyword arguments."""
    leaves = []
    for leaf in case.leaves:
        t = lib.from_numpy(leaf.values.copy())
        if leaf.grad and leaf.values.dtype.kind == "f":
            t.requires_grad_(True)
        leaves.append(t)
    args = []
    for a in case.args:
        if isinstance(a, TArg):
            t = leaves[a.leaf]
            for step in a.views:
                t = apply_view(t, step)
            args.append(t)
        else:
            args.append(a)
    return leaves, args, dict(case.kwargs)


# ---- shapes -------------------------------------------------------------------------
def _specs(sample: Sample) -> list[Any]:
    return [a for a in sample.args if isinstance(a, (F, I, B))]


@st.composite
def size_map(draw: Any, sample: Sample) -> dict[int, int]:
    sizes = sorted({d for spec in _specs(sample) for d in spec.shape})
    out = {}
    for s in sizes:
        out[s] = s if draw(st.booleans()) else draw(st.sampled_from(SIZES))
    return out


@st.composite
def perturb_shape(draw: Any, shape: tuple[int, ...]) -> tuple[tuple[int, ...], str]:
    kinds = ["to1", "to0", "drop", "add", "0d", "resize"]
    if len(shape) >= 2:
        kinds.append("swap")
    kind = draw(st.sampled_from(kinds))
    s = list(shape)
    if kind in ("to1", "to0", "resize", "drop") and not s:
        kind = "add"
    if kind == "add":
        s.insert(0, draw(st.sampled_from((1, 2, 3))))
    elif kind == "0d":
        s = []
    elif kind == "drop":
        s.pop(0)
    elif kind == "swap":
        s[-1], s[-2] = s[-2], s[-1]
    else:
        d = draw(st.integers(0, len(s) - 1))
        s[d] = {"to1": 1, "to0": 0}.get(kind) or draw(st.integers(0, 5))
    return tuple(s), kind


# ---- values ---------------------------------------------------------------------------
F32_SPECIALS = (
    math.nan,
    math.inf,
    -math.inf,
    0.0,
    -0.0,
    1.0,
    -1.0,
    1e30,
    -1e30,
    3.4e38,
    -3.4e38,
    1e-30,
    1e-40,
    -1e-42,
    1e-45,
    88.7,
    -103.0,
    1e7,
)
F64_SPECIALS = (*F32_SPECIALS, 1e300, -1e300, 1.7e308, 5e-324, 1e-310, 710.0, -745.0)
INT_SPECIALS = (0, -1, 1, 2**31, -(2**31) - 1, 2**62, 2**63 - 1, -(2**63))


@st.composite
def float_values(
    draw: Any, spec: F, shape: tuple[int, ...], dtype: np.dtype, rng: np.random.Generator
) -> tuple[np.ndarray, str]:
    mode = draw(st.sampled_from(["spec"] * 5 + ["specials", "specials", "wide", "ints"]))
    n = math.prod(shape)
    with np.errstate(over="ignore", under="ignore"):
        if mode == "wide":
            top = 40 if dtype == np.float32 else 310
            v = rng.choice([-1.0, 1.0], size=shape) * 10.0 ** rng.uniform(-top, top, size=shape)
        elif mode == "ints":
            v = rng.integers(-3, 4, size=shape).astype(np.float64)
        else:
            v = rng.uniform(spec.low, spec.high, size=shape)
        v = np.asarray(v, dtype=dtype)
        if mode == "specials" and n:
            pool = F32_SPECIALS if dtype == np.float32 else F64_SPECIALS
            pool = (*pool, *spec.away, spec.low, spec.high)
            k = draw(st.integers(1, 3))
            flat = v.reshape(-1)
            for _ in range(k):
                flat[rng.integers(0, n)] = draw(st.sampled_from(pool))
            v = flat.reshape(shape)
    return v, mode


@st.composite
def int_values(
    draw: Any, low: int, high: int, shape: tuple[int, ...], index: bool, rng: np.random.Generator
) -> tuple[np.ndarray, str]:
    n = math.prod(shape)
    v = rng.integers(low, max(high, low + 1), size=shape, dtype=np.int64)
    mode = "in_range"
    if n and draw(st.integers(0, 5)) == 0:  # out-of-range indices / extreme ints
        mode = "out_of_range"
        pool = INT_SPECIALS
        if index:
            pool = (high, high + 3, -1, -high, -high - 1, -100, *INT_SPECIALS)
        flat = v.reshape(-1)
        for _ in range(draw(st.integers(1, 2))):
            flat[rng.integers(0, n)] = draw(st.sampled_from(pool))
        v = flat.reshape(shape)
    return v, mode


def _junk(dtype: np.dtype) -> Any:
    # What the gaps of a strided base hold: NaN shows up in any float result that reads it.
    return {"f": np.nan, "i": 1 << 40, "b": True}[dtype.kind]


# ---- layouts ------------------------------------------------------------------------
@st.composite
def layout(draw: Any, v: np.ndarray, depth: int = 0) -> tuple[np.ndarray, tuple, str]:
    """A base array and view steps that give back ``v`` as a (usually) non-contiguous view."""
    kinds = ["contig"] * 3 + ["offset"]
    if v.ndim >= 1:
        kinds += ["step", "step"]
    if v.ndim >= 2:
        kinds += ["transpose", "transpose"]
    if any(d >= 2 for d in v.shape):
        kinds.append("expand")
    kind = draw(st.sampled_from(kinds)) if depth < 2 else "contig"
    if kind == "contig":
        return np.ascontiguousarray(v), (), "contig"
    if kind == "transpose":
        perm = tuple(draw(st.permutations(range(v.ndim))))
        inv = tuple(int(i) for i in np.argsort(perm))
        base, views, name = draw(layout(np.ascontiguousarray(v.transpose(perm)), depth + 1))
        return base, (*views, ("permute", inv)), f"{name}+transpose"
    if kind == "expand":
        dims = [d for d in range(v.ndim) if v.shape[d] >= 2]
        chosen = draw(st.lists(st.sampled_from(dims), min_size=1, max_size=len(dims), unique=True))
        small = v[tuple(slice(0, 1) if d in chosen else slice(None) for d in range(v.ndim))]
        base, views, name = draw(layout(np.ascontiguousarray(small), depth + 1))
        return base, (*views, ("expand", tuple(v.shape))), f"{name}+expand"
    if v.ndim == 0:  # an offset into a 1-d base, viewed back as 0-d through a slice
        kind = "offset"
        v1 = v.reshape(1)
    else:
        v1 = v
    d = draw(st.integers(0, v1.ndim - 1))
    n = v1.shape[d]
    shape = list(v1.shape)
    if kind == "step":
        k = draw(st.integers(2, 3))
        o = draw(st.integers(0, k - 1))
        shape[d] = o + n * k
        big = np.full(shape, _junk(v.dtype), dtype=v.dtype)
        big[(slice(None),) * d + (slice(o, None, k),)] = v1
        step: tuple[Any, ...] = ("slice", d, o, None, k)
    else:  # a slice with negative start/stop: a storage offset and a tail after the view
        pre, post = draw(st.integers(0, 3)), draw(st.integers(1, 3))
        shape[d] = pre + n + post
        big = np.full(shape, _junk(v.dtype), dtype=v.dtype)
        big[(slice(None),) * d + (slice(pre, pre + n),)] = v1
        step = ("slice", d, -(n + post), -post, 1)
    base, views, name = draw(layout(big, depth + 1))
    views = (*views, step)
    if v.ndim == 0:
        views = (*views, ("select", 0, 0))
    return base, views, f"{name}+{kind}"


# ---- plain arguments -------------------------------------------------------------------
@st.composite
def plain_value(draw: Any, v: Any, ndim: int) -> Any:
    """``v`` mostly as it is; else a nudged or special value of its kind (dims: negative
    equivalents and out-of-range ones)."""
    if isinstance(v, bool):
        return (not v) if draw(st.integers(0, 5)) == 0 else v
    if isinstance(v, int):
        if draw(st.integers(0, 3)):
            return v
        pool = [ndim, -ndim - 1, v + 1, v - 1, 0, -1]
        if 0 <= v < ndim:
            pool.append(v - ndim)
        return draw(st.sampled_from(pool) | st.integers(-4, 6))
    if isinstance(v, float):
        if draw(st.integers(0, 4)):
            return v
        return draw(
            st.sampled_from([0.0, -0.0, -v, 2 * v, math.nan, math.inf, -math.inf, 1e-12, 1e30])
        )
    if isinstance(v, (tuple, list)) and all(isinstance(x, int) for x in v):
        if not v or draw(st.integers(0, 3)):
            return v
        kind = draw(st.sampled_from(["one", "one", "dup", "empty", "reverse"]))
        out = list(v)
        if kind == "one":
            k = draw(st.integers(0, len(out) - 1))
            out[k] = draw(plain_value(out[k], ndim))
        elif kind == "dup":
            out.append(out[0])
        elif kind == "empty":
            out = []
        else:
            out.reverse()
        return type(v)(out)
    if isinstance(v, str):
        return "bogus" if draw(st.integers(0, 19)) == 0 else v
    return v


# ---- a whole case ----------------------------------------------------------------------
FLOATS = ("float32",) * 3 + ("float64",) * 2 + ("int64", "bool")


def _tensor_values(
    draw: Any,
    spec: Any,
    shape: tuple[int, ...],
    dtype: str,
    high: int,
    rng: np.random.Generator,
    notes: list[str],
) -> np.ndarray:
    if dtype == "bool":
        return rng.random(size=shape) < 0.5
    if isinstance(spec, I):
        v, mode = draw(int_values(spec.low, high, shape, True, rng))
        if mode != "in_range":
            notes.append("index:" + mode)
        return v if dtype == "int64" else v.astype(dtype)
    if isinstance(spec, B):
        return (rng.random(size=shape) < 0.5).astype(dtype)
    if dtype == "int64":
        v, mode = draw(int_values(-5, 6, shape, False, rng))
        if mode != "in_range":
            notes.append("ints:" + mode)
        return v
    v, mode = draw(float_values(spec, shape, np.dtype(dtype), rng))
    if mode != "spec":
        notes.append("values:" + mode)
    return v


@st.composite
def cases(draw: Any, sample: Sample) -> Case:
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    notes: list[str] = []
    smap = draw(size_map(sample))
    if any(k != v for k, v in smap.items()):
        notes.append("sizes:" + ",".join(f"{k}->{v}" for k, v in smap.items() if k != v))
    pos = [k for k, a in enumerate(sample.args) if isinstance(a, (F, I, B))]
    shapes = {k: tuple(smap[d] for d in sample.args[k].shape) for k in pos}
    if pos and draw(st.integers(0, 4)) == 0:
        k = draw(st.sampled_from(pos))
        shapes[k], kind = draw(perturb_shape(shapes[k]))
        notes.append(f"shape{k}:{kind}")
    assume(all(math.prod(s) <= MAX_NUMEL for s in shapes.values()))

    fdt = draw(st.sampled_from(FLOATS))
    leaves: list[Leaf] = []
    args: list[Any] = []
    logical: dict[int, np.ndarray] = {}
    for k, spec in enumerate(sample.args):
        if k not in shapes:
            args.append(spec)
            continue
        if isinstance(spec, F):
            dtype = fdt if draw(st.integers(0, 7)) else draw(st.sampled_from(FLOATS))
        elif draw(st.integers(0, 7)):
            dtype = "int64" if isinstance(spec, I) else "bool"
        else:
            dtype = draw(
                st.sampled_from(
                    ("float32", "bool") if isinstance(spec, I) else ("int64", "float32")
                )
            )
            notes.append(f"dtype{k}:{dtype}")
        high = smap.get(spec.high, spec.high) if isinstance(spec, I) else 0
        v = _tensor_values(draw, spec, shapes[k], dtype, high, rng, notes)
        base, views, name = draw(layout(v))
        if name != "contig":
            notes.append(f"layout{k}:{name}")
        logical[len(args)] = v
        args.append(TArg(len(leaves), views))
        leaves.append(Leaf(base, isinstance(spec, F) and spec.grad, type(spec).__name__))
    ndim = next((logical[k].ndim for k in sorted(logical)), 0)
    for k, a in enumerate(args):
        if not isinstance(a, TArg):
            args[k] = draw(plain_value(a, ndim))
            if args[k] is not a and args[k] != a:
                notes.append(f"arg{k}:{a!r}->{args[k]!r}")
    kwargs = {}
    for name, v in sample.kwargs.items():
        if draw(st.integers(0, 15)) == 0:
            notes.append(f"drop:{name}")
            continue
        kwargs[name] = draw(plain_value(v, ndim))
        if kwargs[name] is not v and kwargs[name] != v:
            notes.append(f"{name}:{v!r}->{kwargs[name]!r}")

    tens = sorted(logical)
    if len(tens) >= 2 and draw(st.integers(0, 5)) == 0:
        i, j = sorted(draw(st.lists(st.sampled_from(tens), min_size=2, max_size=2, unique=True)))
        v = logical[i]
        if v.ndim and draw(st.booleans()):  # x[:-1] and x[1:]: overlapping, not identical
            extra = np.zeros((1, *v.shape[1:]), dtype=v.dtype)
            w = np.concatenate([extra if v.shape[0] == 0 else v[-1:], v])
            src = leaves[args[i].leaf]
            leaves.append(Leaf(np.ascontiguousarray(w), src.grad, src.kind))
            args[i] = TArg(len(leaves) - 1, (("slice", 0, 1, None, 1),))
            args[j] = TArg(len(leaves) - 1, (("slice", 0, 0, -1, 1),))
            notes.append(f"alias{i},{j}:shifted")
        else:
            args[j] = args[i]
            notes.append(f"alias{i},{j}:same")
    return Case(leaves, args, kwargs, sample.name, notes)
