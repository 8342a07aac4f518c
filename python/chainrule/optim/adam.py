"""Adam (and, with ``decoupled_weight_decay=True``, AdamW)."""

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

__all__ = ["Adam"]

Tensor = _C.Tensor
_adam_step = _optim.adam_step


class Adam(Optimizer):
    r"""Adam (PyTorch's ``torch.optim.Adam``).

    Update rule, for each parameter :math:`\theta` with gradient :math:`\nabla` (``lr``
    :math:`\gamma`, ``betas`` :math:`(\beta_1, \beta_2)`, ``weight_decay`` :math:`\lambda`),
    with :math:`m_0 = v_0 = v^{max}_0 = 0`::

        t = t + 1
        g = -grad if maximize else grad
        if weight_decay != 0:
            if decoupled_weight_decay:              # AdamW
                theta = theta * (1 - lr * weight_decay)
            else:
                g = g + weight_decay * theta
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        if amsgrad:
            v_max = max(v_max, v)
            v_hat = v_max / (1 - beta2 ** t)
        else:
            v_hat = v / (1 - beta2 ** t)
        theta = theta - lr / (1 - beta1 ** t) * m / (sqrt(v_hat) + eps)

    The last line is computed as PyTorch does, ``m / (sqrt(v) / sqrt(1 - beta2**t) + eps)``.
    State per parameter: ``step`` (a 0-d float tensor), ``exp_avg`` (m), ``exp_avg_sq`` (v)
    and, with amsgrad, ``max_exp_avg_sq``. All parameters of a group are updated by one
    fused C++ call.

    Kingma & Ba, "Adam: A Method for Stochastic Optimization" (ICLR 2015,
    https://arxiv.org/abs/1412.6980); AMSGrad: Reddi, Kale & Kumar, "On the Convergence of
    Adam and Beyond" (ICLR 2018, https://openreview.net/forum?id=ryQu7f-RZ).

    Args:
        params: an iterable of tensors, ``(name, tensor)`` pairs, or parameter-group dicts.
        lr: learning rate (default: 1e-3).
        betas: coefficients of the running averages of the gradient and of its square
            (default: (0.9, 0.999)).
        eps: term added to the denominator for numerical stability (default: 1e-8).
        weight_decay: weight decay (L2 penalty, or decoupled, see below) (default: 0).
        amsgrad: use the AMSGrad variant (default: False).
        foreach: accepted for PyTorch compatibility; the update is always fused.
        maximize: maximize the objective instead of minimizing it (default: False).
        capturable: must be False (CUDA graphs only).
        differentiable: must be False (no autograd through the update).
        fused: accepted for PyTorch compatibility; the update is always fused.
        decoupled_weight_decay: decay the weights directly, as AdamW does, instead of
            adding the L2 gradient (default: False).

    Example:
        >>> import chainrule as cr
        >>> w = cr.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = cr.optim.Adam([w], lr=0.1)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.9, -0.9]
    """

    _param_shaped_state = ("exp_avg", "exp_avg_sq", "max_exp_avg_sq")

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
        decoupled_weight_decay: bool = False,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError("Tensor lr must be 1-element")
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not eps >= 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if not 0.0 <= betas[0] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 0: {betas[0]}")
        if not 0.0 <= betas[1] < 1.0:
            raise ValueError(f"Invalid beta parameter at index 1: {betas[1]}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if not (
            (isinstance(betas[0], float) and isinstance(betas[1], float))
            or (isinstance(betas[0], Tensor) and isinstance(betas[1], Tensor))
        ):
            raise ValueError("betas must be either both floats or both Tensors")
        for i, beta in enumerate(betas):
            if isinstance(beta, Tensor) and beta.numel() != 1:
                raise ValueError(f"Tensor betas[{i}] must be 1-element")
        _check_flags(
            differentiable=differentiable, foreach=foreach, fused=fused, capturable=capturable
        )

        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "foreach": foreach,
            "capturable": capturable,
            "differentiable": differentiable,
            "fused": fused,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Perform one Adam step on every parameter that has a gradient.

        Args:
            closure: optional callable re-evaluating the model and returning the loss.

        Returns:
            The closure's loss, or None.
        """
        return self._fused_steps(closure)

    def _init_group(self, group: dict[str, Any], params: list[Tensor]) -> tuple[Any, ...]:
        amsgrad = group["amsgrad"]
        state = self.state
        exp_avgs = []
        exp_avg_sqs = []
        max_exp_avg_sqs: list[Tensor] | None = [] if amsgrad else None
        steps = []
        for p in params:
            st = state[p]
            if not st:  # lazy state initialization
                st["step"] = _step_tensor()
                st["exp_avg"] = zeros_like(p)
                st["exp_avg_sq"] = zeros_like(p)
                if amsgrad:
                    st["max_exp_avg_sq"] = zeros_like(p)
            exp_avgs.append(st["exp_avg"])
            exp_avg_sqs.append(st["exp_avg_sq"])
            if max_exp_avg_sqs is not None:
                max_exp_avg_sqs.append(st["max_exp_avg_sq"])
            steps.append(st["step"])
        return exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps

    def _update(
        self, group: dict[str, Any], params: list[Tensor], grads: list[Tensor], *lists: Any
    ) -> None:
        exp_avgs, exp_avg_sqs, max_exp_avg_sqs, steps = lists
        beta1, beta2 = group["betas"]
        _adam_step(
            params,
            grads,
            exp_avgs,
            exp_avg_sqs,
            max_exp_avg_sqs,
            steps,
            _to_scalar(group["lr"]),
            _to_scalar(beta1),
            _to_scalar(beta2),
            float(group["eps"]),
            _to_scalar(group["weight_decay"]),
            group["amsgrad"],
            group["maximize"],
            group["decoupled_weight_decay"],
        )
