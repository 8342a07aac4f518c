"""Stochastic gradient descent, optionally with (Nesterov) momentum."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule import _C
from chainrule._C import _optim
from chainrule.optim.optimizer import Optimizer, ParamsT, _check_flags, _to_scalar

__all__ = ["SGD"]

Tensor = _C.Tensor
_sgd_step = _optim.sgd_step


class SGD(Optimizer):
    r"""Stochastic gradient descent, optionally with momentum (PyTorch's ``torch.optim.SGD``).

    Update rule, for each parameter :math:`\theta` with gradient :math:`\nabla` at step
    :math:`t` (``lr`` :math:`\gamma`, ``momentum`` :math:`\mu`, ``dampening`` :math:`\tau`,
    ``weight_decay`` :math:`\lambda`)::

        g = -grad if maximize else grad
        if weight_decay != 0:
            g = g + weight_decay * theta
        if momentum != 0:
            if t > 1:
                b = momentum * b + (1 - dampening) * g
            else:
                b = g                              # the buffer starts at the first gradient
            g = g + momentum * b if nesterov else b
        theta = theta - lr * g

    The momentum buffer is ``state[p]["momentum_buffer"]``. As in PyTorch (and unlike
    Sutskever et al.), the learning rate multiplies the whole velocity, and dampening does
    not apply to the first step. Nesterov momentum follows Sutskever, Martens, Dahl & Hinton,
    "On the importance of initialization and momentum in deep learning" (ICML 2013). All
    parameters of a group are updated by one fused C++ call.

    Args:
        params: an iterable of tensors, ``(name, tensor)`` pairs, or parameter-group dicts.
        lr: learning rate (default: 1e-3).
        momentum: momentum factor (default: 0).
        dampening: dampening for momentum (default: 0).
        weight_decay: L2 penalty (default: 0).
        nesterov: use Nesterov momentum; needs momentum > 0 and zero dampening
            (default: False).
        maximize: maximize the objective instead of minimizing it (default: False).
        foreach: accepted for PyTorch compatibility; the update is always fused.
        differentiable: must be False (no autograd through the update).
        fused: accepted for PyTorch compatibility; the update is always fused.

    Example:
        >>> import chainrule as cr
        >>> w = cr.tensor([1.0, -2.0], requires_grad=True)
        >>> opt = cr.optim.SGD([w], lr=0.1, momentum=0.9)
        >>> for _ in range(2):
        ...     opt.zero_grad()
        ...     (w * w).sum().backward()
        ...     opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.46, -0.92]
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float | Tensor = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        _check_flags(differentiable=differentiable, foreach=foreach, fused=fused)

        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
            "foreach": foreach,
            "differentiable": differentiable,
            "fused": fused,
        }
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one SGD step on every parameter that has a gradient.

        Args:
            closure: optional callable re-evaluating the model and returning the loss.

        Returns:
            The closure's loss, or None.
        """
        return self._fused_steps(closure)

    def _init_group(self, group: dict[str, Any], params: list[Tensor]) -> tuple[Any, ...]:
        if group["momentum"] == 0:
            return (None,)
        state = self.state
        return ([state[p].get("momentum_buffer") for p in params],)

    def _update(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *lists: Any
    ) -> None:
        (buffers,) = lists
        out = _sgd_step(
            params,
            grads,
            buffers,
            _to_scalar(group["lr"]),
            float(group["momentum"]),
            float(group["dampening"]),
            _to_scalar(group["weight_decay"]),
            group["nesterov"],
            group["maximize"],
        )
        if buffers is not None:
            state = self.state
            for p, old, new in zip(params, buffers, out):
                if old is None:  # first step: the buffer was created from the gradient
                    state[p]["momentum_buffer"] = new
