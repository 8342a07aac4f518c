"""The op family is the unit in every layer: each family NAME below has exactly

    cpp/src/ops/NAME.cpp (and/or parts NAME_*.cpp)   the forward and derivative code
    cpp/include/chainrule/ops/NAME.h                 the C++ declarations
    cpp/bindings/bind_NAME.cpp                       the Python bindings
    tests/op_db_NAME.py                              the OpInfo entries

and nothing else lives in those four places. The families:

    activation   leaky_relu, elu/selu/celu, gelu, silu, mish, softplus, logsigmoid, hardtanh,
                 relu6, hardsigmoid, hardswish and their in-place forms
    attention    the fused scaled_dot_product_attention
    conv         conv1d / conv2d (im2col + GEMM) and F.pad
    creation     factories (zeros, ones, full, arange, linspace, eye), random draws (rand,
                 randn, randint, randperm) and wrapped Python scalars
    elementwise  arithmetic (and add_/sub_/mul_/div_), unary math, clamp, clamp_min/max,
                 comparisons, predicates (isnan, any, isclose, equal, ...), rounding division,
                 bitwise ops, where, dtype conversions and copies (to, clone, contiguous)
    embedding    embedding and one_hot
    inplace      fills and copies (zero_, fill_, copy_, masked_fill(_), clamp_), in-place unary
                 math (exp_, ..., pow_, clamp_min_/clamp_max_), detach_, random fills
    linalg       matmul, mm, bmm, addmm, outer, dot, mv
    loss         cross_entropy, nll_loss and the pointwise losses
    nn           linear and dropout
    norm         layer_norm and batch_norm
    pool         max, average and adaptive average 2-d pooling
    reduce       sum, mean, var/std, var_mean/std_mean, amax/amin, max/min, argmax/argmin, norm
    scan_sort    cumsum, sort, argsort, topk
    shape        views, joins and splits, index_select/gather/advanced indexing, selection
                 (unbind, masked_select, nonzero, repeat_interleave) and scatter
    softmax      softmax, log_softmax and logsumexp

The test also checks that every autograd node type the C++ sources name ("MulBackward0", ...)
is reached by some op_db entry, and that no source file passes 800 lines.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import chainrule as cr
from op_db import B, F, I, OpInfo, Sample, collect_ops

ROOT = Path(__file__).resolve().parent.parent
OPS_SRC = ROOT / "cpp" / "src" / "ops"
OPS_INCLUDE = ROOT / "cpp" / "include" / "chainrule" / "ops"
BINDINGS = ROOT / "cpp" / "bindings"
TESTS = ROOT / "tests"

FAMILIES = (
    "activation",
    "attention",
    "conv",
    "creation",
    "elementwise",
    "embedding",
    "inplace",
    "linalg",
    "loss",
    "nn",
    "norm",
    "pool",
    "reduce",
    "scan_sort",
    "shape",
    "softmax",
)

# bind_*.cpp files that bind no op family (the other binding files, args.cpp, module.cpp, ...,
# are not named bind_*).
NON_FAMILY_BINDINGS = {
    "autograd": "Node, hooks, backward(), grad mode and anomaly mode",
    "optim": "the fused optimizer steps of chainrule.optim",
    "runtime": "threads, seeds, generators and build information",
    "tensor": "the Tensor class itself: construction, properties, NumPy and pickling",
}

# Node types that no op_db entry can reach, each with the reason.
UNREACHED_NODES = {
    # dropout's mask is random: an OpInfo entry cannot be compared with torch (p=0 or eval
    # mode returns the input itself). test_nn_layers.py checks its gradient.
    "NativeDropoutBackward0": "random mask",
}

LINE_LIMIT = 800
SOURCE_SUFFIXES = {".py", ".pyi", ".cpp", ".cc", ".c", ".h", ".hpp"}
SOURCE_DIRS = ("cpp", "python", "tests", "bench", "examples", "tools")


def _family_of_part(stem: str) -> str | None:
    """The family whose NAME.cpp or NAME_*.cpp this is (the longest matching name)."""
    hits = [f for f in FAMILIES if stem == f or stem.startswith(f + "_")]
    return max(hits, key=len) if hits else None


# ---- the four files per family --------------------------------------------------------------
@pytest.mark.parametrize("family", FAMILIES)
def test_family_has_its_four_files(family: str) -> None:
    parts = [p.name for p in OPS_SRC.glob("*.cpp") if _family_of_part(p.stem) == family]
    assert parts, f"{family}: no cpp/src/ops/{family}.cpp or {family}_*.cpp"
    assert (OPS_INCLUDE / f"{family}.h").is_file(), f"{family}: no include/chainrule/ops/{family}.h"
    assert (BINDINGS / f"bind_{family}.cpp").is_file(), f"{family}: no bindings/bind_{family}.cpp"
    assert (TESTS / f"op_db_{family}.py").is_file(), f"{family}: no tests/op_db_{family}.py"


def test_every_file_belongs_to_a_family() -> None:
    stray = [
        f"cpp/src/ops/{p.name}" for p in OPS_SRC.glob("*.cpp") if _family_of_part(p.stem) is None
    ]
    stray += [
        f"cpp/include/chainrule/ops/{p.name}"
        for p in OPS_INCLUDE.glob("*")
        if p.suffix != ".h" or p.stem not in FAMILIES
    ]
    for p in BINDINGS.glob("bind_*.cpp"):
        name = p.stem.removeprefix("bind_")
        if name not in FAMILIES and name not in NON_FAMILY_BINDINGS:
            stray.append(f"cpp/bindings/{p.name}")
    stray += [
        f"tests/{p.name}"
        for p in TESTS.glob("op_db_*.py")
        if p.stem.removeprefix("op_db_") not in FAMILIES
    ]
    assert not stray, f"files in a family location that belong to no family: {stray}"


def test_non_family_bindings_exist() -> None:
    missing = [n for n in NON_FAMILY_BINDINGS if not (BINDINGS / f"bind_{n}.cpp").is_file()]
    assert not missing, f"stale NON_FAMILY_BINDINGS entries: {missing}"


# ---- every node type is exercised by an op_db entry -------------------------------------------
def _node_names_in_sources() -> set[str]:
    names: set[str] = set()
    pattern = re.compile(r'"([A-Za-z0-9_]*Backwards?[0-9]*)"')
    for path in (ROOT / "cpp").rglob("*"):
        if path.suffix in {".cpp", ".h"}:
            names.update(pattern.findall(path.read_text()))
    return names


def _input(spec: Any, rng: np.random.Generator, grad: bool) -> Any:
    if isinstance(spec, F):
        t = cr.tensor(rng.uniform(spec.low, spec.high, size=spec.shape).astype(np.float32))
        return t.requires_grad_(True) if grad and spec.grad else t
    if isinstance(spec, I):
        return cr.tensor(rng.integers(spec.low, spec.high, size=spec.shape).astype(np.int64))
    if isinstance(spec, B):
        return cr.tensor(rng.random(size=spec.shape) < 0.5)
    return spec


def _graph_names(result: Any) -> set[str]:
    outs = list(result) if isinstance(result, (tuple, list)) else [result]
    todo = [t.grad_fn for t in outs if isinstance(t, cr.Tensor) and t.grad_fn is not None]
    seen: set[str] = set()
    visited: set[Any] = set()
    while todo:
        node = todo.pop()
        if node in visited:
            continue
        visited.add(node)
        seen.add(node.name())
        todo += [n for n, _ in node.next_functions if n is not None]
    return seen


def _reached(op: OpInfo, sample: Sample) -> set[str]:
    rng = np.random.default_rng(0)
    args = [_input(s, rng, op.differentiable) for s in sample.args]
    return _graph_names(op.fn(cr, *args, **sample.kwargs))


def test_every_node_type_has_an_op_db_entry() -> None:
    reached: set[str] = set()
    for op in collect_ops():
        for sample in op.samples:
            reached |= _reached(op, sample)
    declared = _node_names_in_sources()
    missing = sorted(declared - reached - set(UNREACHED_NODES))
    assert not missing, f"node types no op_db entry reaches: {missing}"
    stale = sorted(n for n in UNREACHED_NODES if n not in declared or n in reached)
    assert not stale, f"UNREACHED_NODES entries to remove: {stale}"


# ---- no source file over 800 lines -----------------------------------------------------------
def test_no_source_file_over_800_lines() -> None:
    long = []
    for top in SOURCE_DIRS:
        for path in (ROOT / top).rglob("*"):
            if path.suffix not in SOURCE_SUFFIXES or not path.is_file():
                continue
            rel = path.relative_to(ROOT).as_posix()
            if "/build/" in f"/{rel}":
                continue
            n = len(path.read_text(errors="replace").splitlines())
            if n > LINE_LIMIT:
                long.append(f"{rel} ({n} lines)")
    assert not long, f"source files over {LINE_LIMIT} lines: {long}"
