"""``chainrule.autograd``: gradients of tensors with respect to graph inputs.

The engine is C++ (``cpp/src/autograd``); this package holds its Python face: ``grad``,
``backward``, grad mode, ``Function``, ``gradcheck`` and anomaly detection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chainrule import _C
from chainrule.autograd import graph
from chainrule.autograd.anomaly import detect_anomaly, is_anomaly_enabled, set_detect_anomaly
from chainrule.autograd.function import Function, FunctionCtx, once_differentiable
from chainrule.autograd.grad_mode import (
    enable_grad,
    is_grad_enabled,
    no_grad,
    set_grad_enabled,
)
from chainrule.autograd.gradcheck import GradcheckError, gradcheck
from chainrule.autograd.graph import Node, RemovableHandle

__all__ = [
    "Function",
    "FunctionCtx",
    "GradcheckError",
    "Node",
    "RemovableHandle",
    "backward",
    "detect_anomaly",
    "enable_grad",
    "grad",
    "gradcheck",
    "graph",
    "is_anomaly_enabled",
    "is_grad_enabled",
    "no_grad",
    "once_differentiable",
    "set_detect_anomaly",
    "set_grad_enabled",
]

Tensor = _C.Tensor

_NO_HIGHER_ORDER = (
    "create_graph=True (higher-order gradients) is not supported yet; chainrule computes "
    "first-order gradients only"
)


def _tensor_seq(x: Any, what: str, op: str) -> list[Any]:
    if isinstance(x, Tensor):
        return [x]
    if isinstance(x, Sequence):
        return list(x)
    raise TypeError(
        f"{op}: {what} must be a Tensor or a sequence of Tensors; got {type(x).__name__}"
    )


def _grad_seq(x: Any, n: int, op: str) -> list[Any]:
    if x is None:
        return [None] * n
    grads = _tensor_seq(x, "grad_outputs", op)
    if len(grads) != n:
        raise RuntimeError(
            f"{op}: got {n} outputs but {len(grads)} gradients; pass one gradient (or None) "
            "per output"
        )
    return grads


def grad(
    outputs: Tensor | Sequence[Tensor],
    inputs: Tensor | Sequence[Tensor],
    grad_outputs: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
    allow_unused: bool | None = None,
    materialize_grads: bool = False,
) -> tuple[Tensor | None, ...]:
    """Computes and returns the gradients of ``outputs`` with respect to ``inputs``.

    Unlike ``backward``, nothing is accumulated into ``.grad``. ``inputs`` may be leaves or
    intermediate tensors of the graph.

    Args:
        outputs: tensors to differentiate.
        inputs: tensors to differentiate with respect to (must require grad).
        grad_outputs: the vector of the vector-Jacobian product, one per output (same shape);
            ``None`` means ones for a single-element output.
        retain_graph: keep the saved tensors for another backward (default: ``create_graph``).
        create_graph: not supported yet (raises NotImplementedError when True).
        allow_unused: return ``None`` for inputs the outputs do not depend on instead of
            raising.
        materialize_grads: return zeros instead of ``None`` for unused inputs (implies
            ``allow_unused``).

    Returns:
        One gradient per input, in order (a tuple).

    Example:
        >>> import chainrule as cr
        >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
        >>> (dx,) = cr.autograd.grad((x * x).sum(), x)
        >>> dx.tolist()
        [2.0, 4.0]
    """
    if create_graph:
        raise NotImplementedError(f"grad: {_NO_HIGHER_ORDER}")
    outs = _tensor_seq(outputs, "outputs", "grad")
    ins = _tensor_seq(inputs, "inputs", "grad")
    if not outs:
        raise RuntimeError("grad: outputs must not be empty")
    if not ins:
        raise RuntimeError("grad: inputs must not be empty")
    if allow_unused is None:
        allow_unused = materialize_grads
    if materialize_grads and not allow_unused:
        raise ValueError(
            "grad: expected allow_unused to be True or not passed when materialize_grads=True"
        )
    gouts = _grad_seq(grad_outputs, len(outs), "grad")
    retain = bool(create_graph) if retain_graph is None else bool(retain_graph)
    result = _C._run_grad(outs, gouts, ins, retain, bool(allow_unused))
    if materialize_grads:
        result = tuple(
            _C.zeros(tuple(x.shape), dtype=x.dtype) if g is None else g for g, x in zip(result, ins)
        )
    return tuple(result)


def backward(
    tensors: Tensor | Sequence[Tensor],
    grad_tensors: Tensor | Sequence[Tensor | None] | None = None,
    retain_graph: bool | None = None,
    create_graph: bool = False,
) -> None:
    """Accumulates the gradients of ``tensors`` into the ``.grad`` of the graph's leaves.

    ``backward([a, b], [ga, gb])`` is one pass equal to ``a.backward(ga)`` plus
    ``b.backward(gb)`` (shared parts of the graph are walked once).

    Args:
        tensors: tensors to differentiate.
        grad_tensors: one gradient per tensor (``None`` for single-element tensors).
        retain_graph: keep the saved tensors for another backward.
        create_graph: not supported yet (raises NotImplementedError when True).

    Example:
        >>> import chainrule as cr
        >>> x = cr.tensor([1.0, 2.0], requires_grad=True)
        >>> cr.autograd.backward([(x * 2).sum(), (x * 3).sum()])
        >>> x.grad.tolist()
        [5.0, 5.0]
    """
    if create_graph:
        raise NotImplementedError(f"backward: {_NO_HIGHER_ORDER}")
    roots = _tensor_seq(tensors, "tensors", "backward")
    grads = _grad_seq(grad_tensors, len(roots), "backward")
    _C._run_backward(roots, grads, bool(retain_graph))
