"""nn.utils: gradient clipping and parameter/vector conversion."""

from __future__ import annotations

import math
from collections.abc import Iterable

from chainrule import _C
from chainrule._args import check_tensors
from chainrule.autograd.grad_mode import no_grad

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
]

Tensor = _C.Tensor


def _as_list(
    parameters: Tensor | Iterable[Tensor], fn: str, name: str, position: int = 1
) -> list[Tensor]:
    """One tensor or an iterable of tensors, as a list; TypeError naming ``fn`` otherwise."""
    if isinstance(parameters, Tensor):
        return [parameters]
    try:
        items = iter(parameters)
    except TypeError:
        raise TypeError(
            f"{fn}(): argument '{name}' (position {position}) must be a Tensor or an iterable of "
            f"Tensors, not {type(parameters).__name__}"
        ) from None
    out = list(items)
    check_tensors(fn, name, position, out)
    return out


def get_total_norm(
    tensors: Tensor | Iterable[Tensor], norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> Tensor:
    """The ``norm_type``-norm of all ``tensors`` taken together, as a 0-d tensor."""
    ts = [t.detach() for t in _as_list(tensors, "get_total_norm", "tensors")]
    norm_type = float(norm_type)
    if not ts:
        return _C.zeros(())
    with no_grad():
        if math.isinf(norm_type):
            parts = [t.abs().max() if t.numel() else _C.zeros((), dtype=t.dtype) for t in ts]
            total = _C.stack(parts).max()
        else:
            parts = [t.norm(norm_type) for t in ts]
            total = _C.stack(parts).norm(norm_type)
    if error_if_nonfinite and not bool(_C.isfinite(total)):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} for gradients from "
            "`parameters` is non-finite, so it cannot be clipped. To disable this error and "
            "scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return total


def clip_grad_norm_(
    parameters: Tensor | Iterable[Tensor],
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scales the gradients in place so that their total norm is at most ``max_norm``.

    Args:
        parameters: tensors (or one tensor) whose ``.grad`` is clipped.
        max_norm: the largest allowed total norm.
        norm_type: the norm's order (``float('inf')`` for the max norm). Default: 2.
        error_if_nonfinite: raise if the total norm is nan or inf. Default: False.
        foreach: accepted for PyTorch compatibility; ignored.

    Returns:
        The total norm of the gradients before clipping, as a 0-d tensor.
    """
    grads = [
        p.grad for p in _as_list(parameters, "clip_grad_norm_", "parameters") if p.grad is not None
    ]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if not grads:
        return total
    with no_grad():
        coef = (float(max_norm) / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(g.dtype))
    return total


def clip_grad_value_(
    parameters: Tensor | Iterable[Tensor], clip_value: float, foreach: bool | None = None
) -> None:
    """Clamps every gradient element into ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    with no_grad():
        for p in _as_list(parameters, "clip_grad_value_", "parameters"):
            if p.grad is not None:
                p.grad.clamp_(-clip_value, clip_value)


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """All parameters flattened and concatenated into one 1-D tensor (with history)."""
    flat = [p.reshape(-1) for p in _as_list(parameters, "parameters_to_vector", "parameters")]
    if not flat:
        raise ValueError("parameters_to_vector: expected at least one parameter")
    return _C.cat(flat)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copies slices of the 1-D ``vec`` into each parameter's data, in order."""
    if not isinstance(vec, Tensor):
        raise TypeError(
            f"vector_to_parameters: expected vec to be a Tensor; got {type(vec).__name__}"
        )
    params = _as_list(parameters, "vector_to_parameters", "parameters", 2)
    total = sum(p.numel() for p in params)
    if vec.dim() != 1 or vec.numel() != total:
        raise ValueError(
            f"vector_to_parameters: vec of shape {tuple(vec.shape)} does not match the "
            f"{total} elements of the parameters"
        )
    offset = 0
    with no_grad():
        for p in params:
            n = p.numel()
            p.data = vec[offset : offset + n].reshape(tuple(p.shape)).detach().clone()
            offset += n
