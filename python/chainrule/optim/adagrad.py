"""Adagrad."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule import _C
from chainrule._C import _optim
from chainrule._creation import full_like
from chainrule.optim.optimizer import (
    Optimizer,
    ParamsT,
    _check_flags,
    _step_tensor,
    _to_scalar,
)

__all__ = ["Adagrad"]

Tensor = _C.Tensor
_adagrad_step = _optim.adagrad_step


class Adagrad(Optimizer):
    r"""Adagrad (PyTorch's ``torch.optim.Adagrad``).

    Update rule, for each parameter :math:`\theta` with gradient :math:`\nabla` (``lr``
    :math:`\gamma`, ``lr_decay`` :math:`\eta`, ``weight_decay`` :math:`\lambda`), with
    ``sum`` starting at ``initial_accumulator_value``::

        t = t + 1
        g = -grad if maximize else grad
        if weight_decay != 0:
            g = g + weight_decay * theta
        clr = lr / (1 + (t - 1) * lr_decay)
        sum = sum + g * g
        theta = theta - clr * g / (sqrt(sum) + eps)

    State per parameter: ``step`` and ``sum``, created for every parameter by the
    constructor (as PyTorch does). All parameters of a group are updated by one fused C++
    call. Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and
    Stochastic Optimization" (JMLR 12, 2011, http://jmlr.org/papers/v12/duchi11a.html).

    Args:
        params: an iterable of tensors, ``(name, tensor)`` pairs, or parameter-group dicts.
        lr: learning rate (default: 1e-2).
        lr_decay: learning-rate decay (default: 0).
        weight_decay: L2 penalty (default: 0).
        initial_accumulator_value: starting value of the squared-gradient sums
            (default: 0).
        eps: term added to the denominator for numerical stability (default: 1e-10).
        foreach: accepted for PyTorch compatibility; the update is always fused.
        maximize: maximize the objective instead of minimizing it (default: False).
        differentiable: must be False (no autograd through the update).
        fused: accepted for PyTorch compatibility; the update is always fused.

    Example:
        >>> import chainrule as cr
        >>> w = cr.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = cr.optim.Adagrad([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.9, -0.9]
    """

    _param_shaped_state = ("sum",)

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        foreach: bool | None = None,
        *,
        maximize: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not lr_decay >= 0.0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not initial_accumulator_value >= 0.0:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        _check_flags(differentiable=differentiable, foreach=foreach, fused=fused)

        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
            "fused": fused,
        }
        super().__init__(params, defaults)

        for group in self.param_groups:
            for p in group["params"]:
                state = self.state[p]
                state["step"] = _step_tensor()
                state["sum"] = full_like(p, initial_accumulator_value)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one Adagrad step on every parameter that has a gradient.

        Args:
            closure: optional callable re-evaluating the model and returning the loss.

        Returns:
            The closure's loss, or None.
        """
        return self._fused_steps(closure)

    def _init_group(self, group: dict[str, Any], params: list[Tensor]) -> tuple[Any, ...]:
        state = self.state
        sums = []
        steps = []
        for p in params:
            st = state[p]
            if not st:  # a group added after construction (PyTorch uses the defaults' value)
                st["step"] = _step_tensor()
                st["sum"] = full_like(p, self.defaults["initial_accumulator_value"])
            sums.append(st["sum"])
            steps.append(st["step"])
        return sums, steps

    def _update(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *lists: Any
    ) -> None:
        sums, steps = lists
        _adagrad_step(
            params,
            grads,
            sums,
            steps,
            _to_scalar(group["lr"]),
            float(group["lr_decay"]),
            float(group["weight_decay"]),
            float(group["eps"]),
            group["maximize"],
        )
