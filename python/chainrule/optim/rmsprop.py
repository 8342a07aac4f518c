"""RMSprop, optionally centered and with momentum."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chainrule import _C
from chainrule._C import _optim
from chainrule._creation import zeros_like
from chainrule.optim.optimizer import (
    Optimizer,
    ParamsT,
    _check_flags,
    _step_tensor,
    _to_scalar,
)

__all__ = ["RMSprop"]

Tensor = _C.Tensor
_rmsprop_step = _optim.rmsprop_step


class RMSprop(Optimizer):
    r"""RMSprop (PyTorch's ``torch.optim.RMSprop``).

    Update rule, for each parameter :math:`\theta` with gradient :math:`\nabla` (``lr``
    :math:`\gamma`, ``alpha`` :math:`\alpha`, ``momentum`` :math:`\mu`, ``weight_decay``
    :math:`\lambda`), with :math:`v_0 = b_0 = g^{ave}_0 = 0`::

        g = -grad if maximize else grad
        if weight_decay != 0:
            g = g + weight_decay * theta
        v = alpha * v + (1 - alpha) * g * g
        if centered:
            g_ave = alpha * g_ave + (1 - alpha) * g
            d = sqrt(v - g_ave * g_ave) + eps
        else:
            d = sqrt(v) + eps
        if momentum > 0:
            b = momentum * b + g / d
            theta = theta - lr * b
        else:
            theta = theta - lr * g / d

    State per parameter: ``step``, ``square_avg`` (v), ``momentum_buffer`` (b, when
    momentum > 0) and ``grad_avg`` (when centered). All parameters of a group are updated
    by one fused C++ call.

    Hinton, Srivastava & Swersky, "Neural Networks for Machine Learning", lecture 6e
    (2012); centered version: Graves, "Generating Sequences With Recurrent Neural Networks"
    (https://arxiv.org/abs/1308.0850).

    Args:
        params: an iterable of tensors, ``(name, tensor)`` pairs, or parameter-group dicts.
        lr: learning rate (default: 1e-2).
        alpha: smoothing constant of the squared-gradient average (default: 0.99).
        eps: term added to the denominator for numerical stability (default: 1e-8).
        weight_decay: L2 penalty (default: 0).
        momentum: momentum factor (default: 0).
        centered: normalise by an estimate of the gradient's variance instead of its
            second moment (default: False).
        capturable: must be False (CUDA graphs only).
        foreach: accepted for PyTorch compatibility; the update is always fused.
        maximize: maximize the objective instead of minimizing it (default: False).
        differentiable: must be False (no autograd through the update).

    Example:
        >>> import chainrule as cr
        >>> w = cr.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = cr.optim.RMSprop([w], lr=0.01)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.9, -0.9]
    """

    _param_shaped_state = ("square_avg", "momentum_buffer", "grad_avg")

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        capturable: bool = False,
        foreach: bool | None = None,
        maximize: bool = False,
        differentiable: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not momentum >= 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not alpha >= 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
        _check_flags(differentiable=differentiable, foreach=foreach, capturable=capturable)

        defaults = {
            "lr": lr,
            "momentum": momentum,
            "alpha": alpha,
            "eps": eps,
            "centered": centered,
            "weight_decay": weight_decay,
            "capturable": capturable,
            "foreach": foreach,
            "maximize": maximize,
            "differentiable": differentiable,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one RMSprop step on every parameter that has a gradient.

        Args:
            closure: optional callable re-evaluating the model and returning the loss.

        Returns:
            The closure's loss, or None.
        """
        return self._fused_steps(closure)

    def _init_group(self, group: dict[str, Any], params: list[Tensor]) -> tuple[Any, ...]:
        use_momentum = group["momentum"] > 0
        centered = group["centered"]
        state = self.state
        square_avgs = []
        buffers: list[Tensor] | None = [] if use_momentum else None
        grad_avgs: list[Tensor] | None = [] if centered else None
        steps = []
        for p in params:
            st = state[p]
            if not st:  # lazy state initialization
                st["step"] = _step_tensor()
                st["square_avg"] = zeros_like(p)
                if use_momentum:
                    st["momentum_buffer"] = zeros_like(p)
                if centered:
                    st["grad_avg"] = zeros_like(p)
            square_avgs.append(st["square_avg"])
            steps.append(st["step"])
            if buffers is not None:
                buffers.append(st["momentum_buffer"])
            if grad_avgs is not None:
                grad_avgs.append(st["grad_avg"])
        return square_avgs, buffers, grad_avgs, steps

    def _update(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *lists: Any
    ) -> None:
        square_avgs, buffers, grad_avgs, steps = lists
        _rmsprop_step(
            params,
            grads,
            square_avgs,
            buffers,
            grad_avgs,
            steps,
            _to_scalar(group["lr"]),
            float(group["alpha"]),
            float(group["eps"]),
            float(group["weight_decay"]),
            float(group["momentum"]),
            group["centered"],
            group["maximize"],
        )
