"""``gradcheck``: backprop gradients against central finite differences.

Tiny inputs only: the numerical Jacobian costs two forward calls per input element and the
analytical one a backward per output element.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

from chainrule import _C
from chainrule.autograd.grad_mode import enable_grad, no_grad

__all__ = ["GradcheckError", "gradcheck"]

Tensor = _C.Tensor


class GradcheckError(RuntimeError):
    """Raised by ``gradcheck`` when backprop and finite differences disagree."""


def _as_tuple(x: Any) -> tuple[Any, ...]:
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _outputs_f64(fn: Callable[..., Any], inputs: tuple[Any, ...]) -> list[np.ndarray]:
    """Every tensor output of fn, as a flat float64 copy."""
    import numpy as np  # lazily: `import chainrule` does not load NumPy

    with no_grad():
        outs = _as_tuple(fn(*inputs))
    return [
        np.array(o.detach().numpy(), dtype=np.float64).ravel()
        for o in outs
        if isinstance(o, Tensor)
    ]


def _numerical_jacobian(
    fn: Callable[..., Any], inputs: tuple[Any, ...], i: int, eps: float
) -> list[np.ndarray]:
    """d(output k)/d(inputs[i]) per output k, as (numel_out, numel_in) arrays."""
    import numpy as np  # lazily: `import chainrule` does not load NumPy

    x = inputs[i]
    values = x.detach().numpy()  # a strided view of x's memory: perturb in place
    if not values.flags.writeable:
        raise ValueError(f"gradcheck: input {i} is read-only, so it cannot be perturbed")
    columns: list[list[np.ndarray]] = []
    for j in range(values.size):
        idx = np.unravel_index(j, values.shape)
        orig = values[idx].copy()
        try:
            values[idx] = orig + eps
            plus = _outputs_f64(fn, inputs)
            values[idx] = orig - eps
            minus = _outputs_f64(fn, inputs)
        finally:
            values[idx] = orig
        # The step actually taken, in the input's precision (float32 rounds orig +- eps).
        step = float(values.dtype.type(orig + eps)) - float(values.dtype.type(orig - eps))
        if step == 0.0:
            step = 2.0 * eps
        columns.append([(p - m) / step for p, m in zip(plus, minus)])
    n_out = len(_outputs_f64(fn, inputs))
    return [
        np.stack([c[k] for c in columns], axis=1) if columns else np.zeros((0, 0))
        for k in range(n_out)
    ]


def _analytical_jacobian(
    fn: Callable[..., Any], inputs: tuple[Any, ...], diff: list[int]
) -> list[list[np.ndarray]]:
    """jac[k][n] = d(output k)/d(inputs[diff[n]]) as (numel_out, numel_in) arrays."""
    import numpy as np  # lazily: `import chainrule` does not load NumPy

    with enable_grad():
        outs = [o for o in _as_tuple(fn(*inputs)) if isinstance(o, Tensor)]
    diff_inputs = [inputs[n] for n in diff]
    jac: list[list[np.ndarray]] = []
    for o in outs:
        blocks = [np.zeros((o.numel(), inputs[n].numel())) for n in diff]
        if o.requires_grad:
            for m in range(o.numel()):
                onehot = np.zeros(o.numel(), dtype=np.float64)
                onehot[m] = 1.0
                go = _C.from_numpy(onehot.reshape(tuple(o.shape))).to(o.dtype)
                grads = _C._run_grad([o], [go], diff_inputs, True, True)
                for b, g in zip(blocks, grads):
                    if g is not None:
                        b[m] = np.asarray(g.detach().numpy(), dtype=np.float64).ravel()
        jac.append(blocks)
    return jac


def gradcheck(
    func: Callable[..., Any],
    inputs: Tensor | Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> bool:
    """Checks backprop gradients against central finite differences.

    For every input that requires grad, each element is perturbed by ``+-eps`` (in place,
    then restored) to build the numerical Jacobian ``(f(x + eps) - f(x - eps)) / 2 eps``;
    the analytical Jacobian takes one backward per output element. They must agree
    elementwise within ``|analytical - numerical| <= atol + rtol * |numerical|``. Use
    float64 inputs with a few elements, away from kinks (relu at 0, ties in max): float32
    inputs are accepted (unlike PyTorch, without a warning) but rarely pass the default
    tolerances.

    Args:
        func: called as ``func(*inputs)``; returns a tensor or a tuple of tensors.
        inputs: a tensor or a sequence of arguments; tensors that require grad are checked.
        eps: the finite-difference step.
        atol: absolute tolerance.
        rtol: relative tolerance.
        raise_exception: raise ``GradcheckError`` on a mismatch (else return False).

    Returns:
        True when every gradient matches.

    Raises:
        GradcheckError: naming the worst element (output, input, element index, numerical
            and analytical values) when ``raise_exception`` is True.
        ValueError: when no input requires grad, or an input requiring grad is not floating.

    Example:
        >>> import chainrule as cr
        >>> x = cr.tensor([0.5, 1.5], dtype=cr.float64, requires_grad=True)
        >>> cr.autograd.gradcheck(lambda t: (t * t).exp(), (x,))
        True
    """
    import numpy as np  # lazily: `import chainrule` does not load NumPy

    inputs = _as_tuple(inputs)
    diff = [n for n, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not diff:
        raise ValueError("gradcheck: expected at least one input tensor to require gradient")
    for n in diff:
        if not inputs[n].is_floating_point():
            raise ValueError(
                f"gradcheck: input {n} requires grad but has dtype {inputs[n].dtype}; "
                "expected a floating point tensor (preferably float64)"
            )

    numerical = {n: _numerical_jacobian(func, inputs, n, eps) for n in diff}
    analytical = _analytical_jacobian(func, inputs, diff)

    worst: tuple[float, str] | None = None
    for k, blocks in enumerate(analytical):
        for b, n in zip(blocks, diff):
            num = numerical[n][k]
            if num.shape != b.shape:
                num = np.zeros_like(b)
            excess = np.abs(b - num) - (atol + rtol * np.abs(num))
            if excess.size == 0 or not (excess.max() > 0 or np.isnan(excess).any()):
                continue
            flat = int(np.nanargmax(np.where(np.isnan(excess), np.inf, excess)))
            m, j = np.unravel_index(flat, excess.shape)
            score = float(np.where(np.isnan(excess), np.inf, excess).ravel()[flat])
            shape = tuple(inputs[n].shape)
            where = tuple(int(v) for v in np.unravel_index(int(j), shape)) if shape else ()
            msg = (
                f"gradcheck: Jacobian mismatch for output {k} with respect to input {n}; "
                f"worst element: input {n}, element {int(j)} (index {where}), output element "
                f"{int(m)}: numerical {num[m, j]:.10g} vs analytical {b[m, j]:.10g} "
                f"(atol={atol}, rtol={rtol})"
            )
            if worst is None or score > worst[0]:
                worst = (score, msg)
    if worst is not None:
        if raise_exception:
            raise GradcheckError(worst[1])
        return False
    return True
