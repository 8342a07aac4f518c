"""The fuzz oracle: one case (see _fuzz_strategies.py) runs in torch and in chainrule, and
``check`` says whether chainrule behaved.

- torch raises: chainrule must raise one of ALLOWED (the pair of classes is recorded);
- torch succeeds: chainrule gives the same outputs (structure, shapes, dtypes, values with
  NaN == NaN and tolerances of the dtype), leaves the inputs as torch leaves them, and where
  outputs require grad, the same gradients for a random grad_output; or it raises
  NotImplementedError, or an error that UNSUPPORTED lists as a documented gap (reported);
- float32 values that miss torch's are judged against torch in float64: chainrule passes if it
  is within a few times torch's own float32 error (a different summation order is not a bug,
  a NaN, an overflow or a wrong element is).

KNOWN lists bugs someone else is fixing: cases that hit them are counted, not failed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import numpy as np

from _fuzz_strategies import Case, Leaf, build
from op_db import OpInfo

ALLOWED = (TypeError, ValueError, RuntimeError, IndexError, NotImplementedError)

# Index outputs (and gradients routed by them) of these ops depend on which of equal values
# wins; torch does not promise an order among ties, so they are compared only without ties.
TIE_OPS = {"max_dim", "min_dim", "argmax", "argmin_dim", "sort", "argsort", "topk"}


# ---- documented gaps, torch's own quirks, and bugs fixed elsewhere ---------------------------
@dataclass
class Ctx:
    """What a predicate of KNOWN / UNSUPPORTED sees about a mismatch."""

    op: OpInfo
    case: Case
    t: Ran  # torch's run
    c: Ran  # chainrule's run
    what: str  # the mismatch, as the failure would report it
    torch_raised: bool = False  # torch raised (forward or backward) and chainrule did not
    cr_raised: bool = False  # chainrule raised and torch did not
    backward: bool = False  # the mismatch is in backward

    def dtypes(self, kind: str | None = None) -> set[str]:
        return {str(lf.values.dtype) for lf in self.case.leaves if kind in (None, lf.kind)}

    def inputs(self) -> list[np.ndarray]:
        """The argument tensors' values as torch saw them (views, not whole leaves)."""
        return [_np(a) for a in self.t.args if hasattr(a, "detach")]


def _conv_same_even_kernel(x: Ctx) -> bool:
    if not x.op.name.startswith("F.conv") or x.case.kwargs.get("padding") != "same":
        return False
    return any(d % 2 == 0 for d in _arg_shape(x, 1)[2:])


def _conv_empty_kernel(x: Ctx) -> bool:
    return x.op.name.startswith("F.conv") and 0 in _arg_shape(x, 1)


def _empty_input(x: Ctx) -> bool:
    return (x.torch_raised or x.cr_raised) and any(v.size == 0 for v in x.inputs())


def _wrong_kind_dtype(x: Ctx) -> bool:
    """An int64/bool tensor where the spec has a float, or a float index/mask."""
    if not x.cr_raised or not ("TypeError" in x.what or "dtype" in x.what):
        return False
    return any(
        (lf.kind == "F") != (lf.values.dtype.kind == "f")
        or (lf.kind == "B" and lf.values.dtype != np.bool_)
        for lf in x.case.leaves
    )


def _mixed_float_loss(x: Ctx) -> bool:
    return (
        x.op.fn.__qualname__.startswith(("_fn.", "_weighted."))
        and {"float32", "float64"} <= x.dtypes()
    )


def _torch_backward_only(x: Ctx) -> bool:
    return x.backward and x.torch_raised


def _subnormal_f64(x: Ctx) -> bool:
    tiny = np.finfo(np.float64).tiny
    return (
        "float64" in x.dtypes()
        and "elements differ" in x.what
        and any(((np.abs(v) < tiny) & (v != 0)).any() for v in x.inputs() if v.dtype == np.float64)
    )


def _welford_mean(x: Ctx) -> bool:
    return (
        x.op.name in ("var_mean", "var_mean_all", "std_mean")
        and "torch=np.float" in x.what
        and any(np.isinf(v).any() for v in x.inputs() if v.dtype.kind == "f")
    )


def _remainder_overflow(x: Ctx) -> bool:
    return (
        x.op.name.startswith(("remainder", "rremainder"))
        and "torch=np.float" in x.what
        and "(nan)" in x.what
    )


def _norm_flat_group(x: Ctx) -> bool:
    """A normalised group of (nearly) equal values: the gradient is roundoff times 1/sqrt(eps)
    (normalisations) or the sign of roundoff over roundoff (std at 0 spread)."""
    if not (x.backward and x.op.name.startswith(("F.layer_norm", "F.batch_norm", "std", "var"))):
        return False
    if x.op.name.startswith(("std", "var")):  # a flat group over any set of dims
        v = x.inputs()[0].astype(np.float64)
        if v.size == 0 or v.ndim == 0:
            return False
        tol = 1e-6 * max(1.0, float(np.abs(v).max()))
        return any(
            bool((np.ptp(v, axis=axes) <= tol).any())
            for r in range(1, v.ndim + 1)
            for axes in combinations(range(v.ndim), r)
        )
    v = x.inputs()[0].astype(np.float64)
    if v.ndim == 0 or v.size == 0:
        return False
    if x.op.name.startswith("F.layer_norm"):
        return bool((v.var(axis=-1) < 1e-4).any())
    axes = tuple(d for d in range(v.ndim) if d != 1)
    return v.ndim >= 2 and bool((v.var(axis=axes) < 1e-4).any())


def _var_empty_dims(x: Ctx) -> bool:
    dims = [a for a in x.case.args[1:2] if isinstance(a, (tuple, list))]
    return x.backward and x.op.name.startswith(("var", "std")) and dims in ([()], [[]])


def _sum_overflows(x: Ctx) -> bool:
    """Values near the dtype's largest (their sum overflows), or for var/std beyond its square
    root (the squared deviations, even those of a mean's roundoff, overflow)."""
    if not x.op.name.startswith(("var", "std", "mean")):
        return False
    for v in x.inputs():
        if v.dtype.kind != "f" or not v.size:
            continue
        top, m = np.finfo(v.dtype).max, float(np.nanmax(np.abs(np.where(np.isfinite(v), v, 0))))
        if m * v.size > top or (not x.op.name.startswith("mean") and m > np.sqrt(top)):
            return True
    return False


def _big(v: np.ndarray) -> bool:
    """Holds a value whose square overflows its dtype (or a non-finite one)."""
    if v.dtype.kind != "f" or v.size == 0:
        return False
    return bool((~np.isfinite(v)).any() or np.abs(v).max() > np.sqrt(np.finfo(v.dtype).max))


def _norm_squares_overflow(x: Ctx) -> bool:
    """2-norms of values whose squares overflow or underflow (float64: beyond 1e154, below
    1e-154)."""
    if not x.op.name.startswith("norm"):
        return False
    for v in x.inputs():
        if v.dtype.kind == "f" and v.size:
            a = np.abs(v[np.isfinite(v)])
            if _big(v) or ((a > 0) & (a < np.sqrt(np.finfo(v.dtype).tiny))).any():
                return True
    return False


def _norm_overflow(x: Ctx) -> bool:
    return x.op.name.startswith(("F.layer_norm", "F.batch_norm")) and any(
        _big(v) for v in x.inputs()
    )


def _first_arg_ndim(x: Ctx) -> int:
    return x.inputs()[0].ndim if x.inputs() else -1


def _arg_shape(x: Ctx, k: int) -> tuple[int, ...]:
    a = x.t.args[k] if k < len(x.t.args) else None
    return tuple(a.shape) if hasattr(a, "shape") else ()


def _log_softmax_large(x: Ctx) -> bool:
    """log_softmax(x) = x - logsumexp(x) loses the small terms when |x| is large (the spacing
    of float32 numbers near 1e4 is 1e-3); cross_entropy computes through it."""
    if not x.op.name.replace("F.", "").startswith(("log_softmax", "cross_entropy", "softmin")):
        return False
    f64 = all(getattr(w, "dtype", None) != _torch().float32 for w in x.t.outs)
    big = 1e12 if f64 else 1e4  # where the spacing of the output dtype's numbers nears 1e-3
    return any(
        v.dtype.kind in "fiu"
        and v.size
        and np.nanmax(np.abs(np.where(np.isfinite(v), v, 0))) >= big
        for v in x.inputs()
    )


def _torch() -> Any:
    import torch

    return torch


def _nonfinite_into_int(x: Ctx) -> bool:
    plain = [*x.case.args, *x.case.kwargs.values()]
    return "int64" in x.dtypes() and any(
        isinstance(v, float) and not abs(v) < 2.0**63 for v in plain
    )


KNOWN: list[tuple[str, Callable[[Ctx], bool]]] = [
    ("conv padding='same' with even kernels (being fixed elsewhere)", _conv_same_even_kernel),
    ("log_softmax precision at large magnitudes (being fixed elsewhere)", _log_softmax_large),
    (
        "non-finite (or beyond int64) into int64 tensors (being fixed elsewhere)",
        _nonfinite_into_int,
    ),
]


def _huge_one_hot(op: OpInfo, case: Case) -> bool:
    """one_hot inferring a huge class count: torch runs out of memory, and after an allocation
    failure chainrule's allocator crashes the process later (allocator/OOM, being fixed
    elsewhere), so the case is not run."""
    return op.name == "F.one_hot" and any(
        lf.values.dtype.kind in "iu" and lf.values.size and lf.values.max() >= 2**20
        for lf in case.leaves
    )


# Cases that are not run at all (they would crash or exhaust memory for a known reason).
NOT_RUN: list[tuple[str, Callable[[OpInfo, Case], bool]]] = [
    ("allocator/OOM (being fixed elsewhere)", _huge_one_hot),
]

# Each entry: why the difference is not a chainrule bug, and the predicate that recognises it.
# Those marked "torch:" are torch's own quirks or bugs (chainrule's result is the right one).
UNSUPPORTED: list[tuple[str, Callable[[Ctx], bool]]] = [
    # torch validates zero-size inputs in some ops and skips validation in others (an empty
    # result needs no computation); chainrule validates the same way for every size
    ("zero-size input: only one library validates it", _empty_input),
    # API.md: int64 is for indices and labels, bool for masks; float ops raise TypeError
    ("int64/bool tensor where the op computes in floating point", _wrong_kind_dtype),
    # torch's losses disagree among themselves on float32/float64 mixes (some raise, some
    # return the target's dtype); chainrule promotes as for arithmetic
    ("loss with mixed float32/float64 arguments", _mixed_float_loss),
    # torch's forward accepted arguments its own backward then rejects (nll_loss 1-d with a
    # (1,) target, scatter with src larger than index, mixed dtypes): nothing to compare
    ("torch: its backward rejects what its forward accepted", _torch_backward_only),
    # torch's float64 kernels lose precision on subnormal inputs (kl_div's target gradient)
    ("torch: float64 subnormal inputs (torch approximates)", _subnormal_f64),
    # torch's var_mean uses Welford's update, which turns an infinite input's mean into NaN;
    # chainrule returns the true mean (inf)
    ("torch: var_mean/std_mean of infinite values (torch's mean is NaN)", _welford_mean),
    # torch's conv gives inconsistent output shapes for a zero-size kernel
    ("torch: conv with a zero-size weight", _conv_empty_kernel),
    # API.md: __setitem__ works on tensors that do not require grad
    (
        "setitem on a tensor that requires grad",
        lambda x: x.op.name == "setitem" and "requires grad" in x.what,
    ),
    # torch's var/std backward over dim=() (all dims) divides by 1 instead of N
    ("torch: var/std gradient over dim=()", _var_empty_dims),
    # torch's batch_norm backward reads a strided weight (or running stats) as if it were
    # contiguous
    (
        "torch: batch_norm backward with a non-contiguous weight or running stats",
        lambda x: (
            x.backward
            and x.op.name.startswith("F.batch_norm")
            and any(hasattr(a, "is_contiguous") and not a.is_contiguous() for a in x.t.args[1:])
        ),
    ),
    # chainrule rejects label_smoothing outside [0, 1], NaN included; torch's check lets NaN
    # through and returns NaN
    (
        "label_smoothing=nan (chainrule rejects it)",
        lambda x: x.cr_raised and "label_smoothing" in x.what and "nan" in x.what,
    ),
    # torch's composed attention returns query's batch shape for empty operands without
    # broadcasting it against value's
    (
        "torch: scaled_dot_product_attention's shape for empty operands",
        lambda x: (
            x.op.name == "F.scaled_dot_product_attention"
            and "shape" in x.what
            and any(v.size == 0 for v in x.inputs())
        ),
    ),
    # values within a factor N of the dtype's largest: chainrule's sum for the mean
    # overflows, or beyond its square root: the squared deviations do; torch's Welford
    # update does not (and gives exactly 0 for equal values)
    ("mean/var of values near the dtype's largest (the sum overflows)", _sum_overflows),
    # torch adds the attention mask to the scores, so a NaN in a masked-out key still makes
    # the row NaN; chainrule leaves masked positions out. And a score whose products overflow
    # (inf - inf with separate multiply and add) can stay finite or -inf with chainrule's
    # fused multiply-add.
    (
        "torch: scaled_dot_product_attention with non-finite or overflowing scores",
        lambda x: (
            x.op.name == "F.scaled_dot_product_attention"
            and "torch=np.float" in x.what
            and "(nan)" in x.what
            and any(_big(v) for v in x.inputs())
        ),
    ),
    # torch's logsumexp over dim=() fails to write its 0-d result
    (
        "torch: logsumexp over dim=()",
        lambda x: (
            x.torch_raised
            and x.op.name.startswith("logsumexp")
            and [a for a in x.case.args[1:2]] in ([()], [[]])
        ),
    ),
    # squares beyond the dtype's range: torch returns |x| for a single element and inf (or 0)
    # for more; chainrule's sum of squares is inf (or 0)
    ("torch: 2-norm of values whose squares overflow or underflow", _norm_squares_overflow),
    # normalising values whose squares overflow, or with infinite parameters: both give
    # non-finite or meaningless outputs, in different places
    (
        "layer_norm/batch_norm of values whose squares overflow, or infinite parameters",
        _norm_overflow,
    ),
    # chainrule asks for one float dtype where torch casts some arguments (conv's bias)
    (
        "mixed float32/float64 arguments that chainrule rejects",
        lambda x: x.cr_raised and "dtype" in x.what and {"float32", "float64"} <= x.dtypes(),
    ),
    # class weights that sum to 0: the weighted mean divides by 0 (torch NaN, chainrule inf)
    (
        "weighted loss whose weights sum to 0 or less",
        lambda x: (
            "weight" in x.op.name
            and "torch=np.float" in x.what
            and ("nan" in x.what or "inf" in x.what)
            and any(
                lf.kind == "F" and not lf.grad and (lf.values <= 0).any()
                for lf in x.case.leaves
                if lf.values.dtype.kind == "f"
            )
        ),
    ),
    # a gradient summed over an empty broadcast is 0; torch's is NaN where the other operand
    # overflows (inf * 0)
    (
        "torch: NaN gradient through an empty broadcast",
        lambda x: (
            x.backward
            and "torch=np.float" in x.what
            and "(nan)" in x.what
            and any(v.size == 0 for v in x.inputs())
        ),
    ),
    # torch deprecates .mT on 0-d and 1-d tensors (the identity with a warning)
    (
        "mT of a tensor with fewer than 2 dims (deprecated in torch)",
        lambda x: x.op.name == "mT" and _first_arg_ndim(x) < 2,
    ),
    # torch's vectorised remainder computes a - b * floor(a / b): NaN when a / b overflows;
    # chainrule gives the exact remainder, as numpy and fmod do
    ("torch: remainder whose quotient overflows (torch gives NaN)", _remainder_overflow),
    # the gradient of a normalisation over equal values is roundoff amplified by
    # 1/sqrt(eps); which library's roundoff cancels to exactly 0 is luck
    ("layer_norm/batch_norm/std gradient over a constant group", _norm_flat_group),
    # torch's hardsigmoid backward uses float32's 1/6 in float64
    (
        "torch: hardsigmoid float64 gradient (torch's slope is float32's 1/6)",
        lambda x: x.op.name.startswith("F.hardsigmoid") and x.backward and "float64" in x.dtypes(),
    ),
]


def _explained(table: list[tuple[str, Callable[[Ctx], bool]]], x: Ctx) -> str | None:
    for reason, pred in table:
        if pred(x):
            return reason
    return None


# ---- running one library -------------------------------------------------------------------
class Ran:
    def __init__(self, lib: Any, op: OpInfo, case: Case) -> None:
        self.lib = lib
        self.exc: BaseException | None = None
        self.leaves: list[Any] = []
        self.args: list[Any] = []
        self.outs: list[Any] = []
        try:
            self.leaves, self.args, kwargs = build(lib, case)
            self.outs = _flatten(op.fn(lib, *self.args, **kwargs))
        except Exception as e:
            self.exc = e


def _flatten(out: Any) -> list[Any]:
    if isinstance(out, (tuple, list)):
        return [x for o in out for x in _flatten(o)]
    return [out]


def _np(t: Any) -> np.ndarray:
    return np.array(t.detach().numpy(), copy=True)


def _dtype(t: Any) -> str:
    return str(t.dtype).rsplit(".", 1)[-1]


def _exc(e: BaseException) -> str:
    return f"{type(e).__name__}: {str(e)[:300]}"


# ---- comparing values ------------------------------------------------------------------------
def _tolerances(op: OpInfo, dtype: np.dtype, f32: bool) -> tuple[float, float]:
    if dtype == np.float32 or f32:  # a float64 result computed from float32 inputs
        return op.atol, op.rtol
    return 1e-10, 1e-9


def _close(
    got: np.ndarray,
    want: np.ndarray,
    ref: np.ndarray | None,
    op: OpInfo,
    f32: bool,
    in_scale: float,
    nonfinite_in: bool = False,
) -> str | None:
    """None when ``got`` (chainrule) matches ``want`` (torch); else the worst elements."""
    if got.dtype.kind != "f":
        bad = got != want
        return None if not bad.any() else _show(bad, got, want, None)
    atol, rtol = _tolerances(op, want.dtype, f32)
    with np.errstate(all="ignore"):
        fin = np.abs(want[np.isfinite(want)])
        scale = max(1.0, float(fin.max())) if fin.size else 1.0
        tol = atol * scale + rtol * np.abs(want)
        ok = (got == want) | (np.isnan(got) & np.isnan(want)) | (np.abs(got - want) <= tol)
        if not ok.all() and ref is not None:
            # Judge against float64: no worse than 4x torch's own error (torch's error counts
            # only where it is finite), or equal to float64's result rounded to the dtype.
            ref = ref.astype(np.float64)
            rc = ref.astype(want.dtype)
            err_t = np.abs(want.astype(np.float64) - ref)
            err_t = np.where(np.isfinite(err_t), err_t, 0.0)
            rfin = np.abs(ref[np.isfinite(ref)])
            rscale = max(1.0, float(rfin.max())) if rfin.size else 1.0
            tol_r = atol * rscale + rtol * np.abs(ref)
            ok |= (got == rc) | (np.isnan(got) & np.isnan(rc))
            ok |= np.abs(got.astype(np.float64) - ref) <= 4 * err_t + tol_r
            # where the true value overflows the dtype, the order of a sum decides between
            # inf, -inf and NaN
            ok |= (np.abs(ref) > np.finfo(want.dtype).max) & ~np.isfinite(got)
            # where torch overflowed in between (its result is not finite, float64's is),
            # chainrule may overflow too
            ok |= ~np.isfinite(want) & np.isfinite(ref) & ~np.isfinite(got)
            # cancellation among terms as large as the largest input: a few roundings of them
            ok |= np.abs(got.astype(np.float64) - ref) <= 64 * np.finfo(want.dtype).eps * in_scale
        # inputs so large that their products overflow, or non-finite inputs: which of inf,
        # -inf and NaN comes out depends on the order of operations
        if in_scale > np.sqrt(np.finfo(want.dtype).max) or nonfinite_in:
            ok |= ~np.isfinite(want) & ~np.isfinite(got)
        if in_scale > np.finfo(want.dtype).max / 64:  # sums near the largest: order decides
            ok |= ~np.isfinite(got)
    return None if ok.all() else _show(~ok, got, want, ref)


def _show(bad: np.ndarray, got: np.ndarray, want: np.ndarray, ref: np.ndarray | None) -> str:
    idx = np.argwhere(bad)[:4]
    parts = []
    for i in idx:
        t = tuple(int(k) for k in i)
        r = "" if ref is None else f" f64={ref[t]!r}"
        parts.append(f"{t}: chainrule={got[t]!r} torch={want[t]!r}{r}")
    return f"{int(bad.sum())}/{bad.size} elements differ: " + "; ".join(parts)


def _compare_out(
    g: Any,
    w: Any,
    ref: Any,
    op: OpInfo,
    what: str,
    f32: bool,
    in_scale: float = 1.0,
    nonfinite_in: bool = False,
) -> str | None:
    import torch

    if isinstance(w, torch.Tensor):
        if not hasattr(g, "shape") or not hasattr(g, "dtype"):
            return f"{what}: torch gives a tensor, chainrule {type(g).__name__}"
        if tuple(g.shape) != tuple(w.shape):
            return f"{what}: shape {tuple(g.shape)} != torch's {tuple(w.shape)}"
        if _dtype(g) != _dtype(w):
            return f"{what}: dtype {_dtype(g)} != torch's {_dtype(w)}"
        r = None
        if isinstance(ref, torch.Tensor) and tuple(ref.shape) == tuple(w.shape):
            r = _np(ref)
        msg = _close(_np(g), _np(w), r, op, f32, in_scale, nonfinite_in)
        return None if msg is None else f"{what}: {msg}"
    same = g == w or (isinstance(g, float) and isinstance(w, float) and g != g and w != w)
    return None if same else f"{what}: {g!r} != torch's {w!r}"


def _nonfinite(ran: Ran) -> bool:
    return any(
        hasattr(a, "detach")
        and a.dtype.is_floating_point
        and a.numel()
        and not np.isfinite(_np(a)).all()
        for a in ran.args
    )


def _in_scale(ran: Ran) -> float:
    """The largest finite magnitude among the float arguments (at least 1)."""
    m = 1.0
    for a in ran.args:
        if hasattr(a, "detach") and a.dtype.is_floating_point and a.numel():
            v = np.abs(_np(a))
            v = v[np.isfinite(v)]
            m = max(m, float(v.max()) if v.size else 1.0)
    return m


def _has_ties(ran: Ran) -> bool:
    for a in ran.args:
        if hasattr(a, "detach"):
            v = _np(a).reshape(-1)
            v = np.where(v == 0, 0, v) if v.dtype.kind == "f" else v  # -0.0 ties 0.0
            if np.unique(v).size < v.size or (v.dtype.kind == "f" and np.isnan(v).sum() > 1):
                return True
    return False


def _upcast(case: Case) -> Case:
    leaves = [
        Leaf(lf.values.astype(np.float64) if lf.values.dtype == np.float32 else lf.values, lf.grad)
        for lf in case.leaves
    ]
    return Case(leaves, case.args, case.kwargs, case.sample, case.notes)


# ---- the check ---------------------------------------------------------------------------------
class Verdict:
    """``kind`` is one of match, raise, unsupported, known, fail; ``detail`` says more."""

    def __init__(self, kind: str, detail: str = "") -> None:
        self.kind, self.detail = kind, detail


def check(op: OpInfo, case: Case) -> Verdict:
    import torch

    import chainrule as cr

    for reason, pred in NOT_RUN:
        if pred(op, case):
            return Verdict("known", reason)
    t = Ran(torch, op, case)
    c = Ran(cr, op, case)
    if t.exc is not None:
        if c.exc is None:
            what = f"torch raises {_exc(t.exc)}; chainrule returns"
            return _judge(Ctx(op, case, t, c, what, torch_raised=True))
        if not isinstance(c.exc, ALLOWED):
            return Verdict("fail", f"torch raises {_exc(t.exc)}; chainrule raises {_exc(c.exc)}")
        return Verdict("raise", f"{type(t.exc).__name__}/{type(c.exc).__name__}")
    if c.exc is not None:
        if isinstance(c.exc, NotImplementedError):
            return Verdict("unsupported", f"NotImplementedError: {str(c.exc)[:120]}")
        what = f"torch returns; chainrule raises {_exc(c.exc)}"
        return _judge(Ctx(op, case, t, c, what, cr_raised=True))

    if len(c.outs) != len(t.outs):
        return _judge(Ctx(op, case, t, c, f"{len(c.outs)} outputs, torch gives {len(t.outs)}"))
    ties = op.name in TIE_OPS and _has_ties(t)
    # float32 tolerances wherever float32 takes part: a float32 leaf or a float32 result
    f32 = any(lf.values.dtype == np.float32 for lf in case.leaves) or any(
        getattr(w, "dtype", None) == torch.float32 for w in t.outs
    )
    ref: Ran | None = None
    for k, (g, w) in enumerate(zip(c.outs, t.outs)):
        if ties and hasattr(w, "dtype") and not w.dtype.is_floating_point:
            continue
        msg = _compare_out(g, w, None, op, f"output {k}", f32)
        if msg is not None and "elements differ" in msg:
            ref = ref or Ran(torch, op, _upcast(case))
            r = ref.outs[k] if ref.exc is None and len(ref.outs) == len(t.outs) else None
            msg = _compare_out(g, w, r, op, f"output {k}", f32, _in_scale(t), _nonfinite(t))
        if msg is not None:
            return _judge(Ctx(op, case, t, c, msg))
    msg = _compare_leaves(c, t, "input after the call")
    if msg is not None:
        return _judge(Ctx(op, case, t, c, msg))
    if not op.differentiable or ties:
        return Verdict("match", "forward")
    # Gradients at NaN or infinite inputs depend on which branch a comparison with them takes
    # (torch's relu passes NaN's gradient, its maximum gives it to both sides): not compared.
    if any(
        not np.isfinite(v).all() for v in Ctx(op, case, t, c, "").inputs() if v.dtype.kind == "f"
    ):
        return Verdict("match", "forward (non-finite inputs: no gradient check)")
    # Likewise where the forward overflowed: its gradient is inf / inf or 0 by formula.
    if any(
        not np.isfinite(_np(w)).all()
        for w in t.outs
        if hasattr(w, "dtype") and w.dtype.is_floating_point
    ):
        return Verdict("match", "forward (overflowed: no gradient check)")
    return _check_grads(op, case, t, c, f32)


def _compare_leaves(c: Ran, t: Ran, what: str) -> str | None:
    for k, (cl, tl) in enumerate(zip(c.leaves, t.leaves)):
        g, w = _np(cl), _np(tl)
        if not np.array_equal(g, w, equal_nan=g.dtype.kind == "f"):
            return f"{what}: leaf {k} differs from torch's: {_show(g != w, g, w, None)}"
    return None


def _check_grads(op: OpInfo, case: Case, t: Ran, c: Ran, f32: bool) -> Verdict:
    import torch

    import chainrule as cr

    pos = [k for k, w in enumerate(t.outs) if isinstance(w, torch.Tensor) and w.requires_grad]
    for k, g in enumerate(c.outs):
        if getattr(g, "requires_grad", False) != (k in pos):
            what = f"output {k}: requires_grad={k not in pos} in chainrule but {k in pos} in torch"
            return _judge(Ctx(op, case, t, c, what))
    if not pos:
        return Verdict("match", "forward")
    rng = np.random.default_rng(len(case.notes))
    gouts = [rng.standard_normal(tuple(t.outs[k].shape)).astype(_np(t.outs[k]).dtype) for k in pos]
    # The arguments' own gradients (before views and aliases sum them into the leaves) give
    # the size of the terms a leaf's gradient adds up, hence its roundoff.
    views = [a for a in t.args if isinstance(a, torch.Tensor) and a.requires_grad]
    for a in views:
        if not a.is_leaf:
            a.retain_grad()
    texc = _backward(torch, [t.outs[k] for k in pos], gouts)
    cexc = _backward(cr, [c.outs[k] for k in pos], gouts)
    if texc is not None:
        if cexc is None:
            what = f"backward: torch raises {_exc(texc)}; chainrule does not"
            return _judge(Ctx(op, case, t, c, what, torch_raised=True, backward=True))
        if not isinstance(cexc, ALLOWED):
            return Verdict("fail", f"backward: torch raises {_exc(texc)}; chainrule {_exc(cexc)}")
        return Verdict("match", "forward, backward raises in both")
    if cexc is not None:
        if isinstance(cexc, NotImplementedError):
            return Verdict("unsupported", f"backward: {str(cexc)[:120]}")
        what = f"backward: chainrule raises {_exc(cexc)}"
        return _judge(Ctx(op, case, t, c, what, cr_raised=True, backward=True))
    ref = None
    for k, (cl, tl) in enumerate(zip(c.leaves, t.leaves)):
        if not tl.requires_grad:
            continue
        g, w = cl.grad, tl.grad
        if g is None or w is None:
            other = w if g is None else g
            if other is not None and bool((other != 0).any()):
                what = (
                    f"grad of leaf {k}: chainrule {'None' if g is None else 'a tensor'}, "
                    f"torch {'None' if w is None else 'a tensor'} (not all zero)"
                )
                return _judge(Ctx(op, case, t, c, what, backward=True))
            continue
        msg = _compare_out(g, w, None, op, f"grad of leaf {k}", f32)
        if msg is not None and "elements differ" in msg:
            ref = ref or _grads64(op, case, pos, gouts)
            scale = _in_scale(t) * max([1.0] + [float(np.abs(go).max()) for go in gouts if go.size])
            terms = [np.abs(_np(a.grad)) for a in views if a.grad is not None and a.grad.numel()]
            terms = [
                float(v[np.isfinite(v)].max()) * len(views) for v in terms if np.isfinite(v).any()
            ]
            scale = max([scale, *terms])
            msg = _compare_out(g, w, ref[k] if ref else None, op, f"grad of leaf {k}", f32, scale)
        if msg is not None:
            return _judge(Ctx(op, case, t, c, msg, backward=True))
    return Verdict("match", "forward and backward")


def _backward(lib: Any, outs: list[Any], gouts: list[np.ndarray]) -> BaseException | None:
    try:
        lib.autograd.backward(outs, [lib.from_numpy(g.copy()) for g in gouts])
    except Exception as e:
        return e
    return None


def _grads64(op: OpInfo, case: Case, pos: list[int], gouts: list[np.ndarray]) -> list[Any] | None:
    import torch

    r = Ran(torch, op, _upcast(case))
    if (
        r.exc is not None
        or _backward(torch, [r.outs[k] for k in pos], [g.astype(np.float64) for g in gouts])
        is not None
    ):
        return None
    return [lf.grad for lf in r.leaves]


def _judge(x: Ctx) -> Verdict:
    reason = _explained(KNOWN, x)
    if reason is not None:
        return Verdict("known", reason)
    reason = _explained(UNSUPPORTED, x)
    if reason is not None:
        return Verdict("torch-quirk" if reason.startswith("torch:") else "unsupported", reason)
    return Verdict("fail", x.what)
