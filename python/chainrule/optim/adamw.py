"""AdamW: Adam with decoupled weight decay."""

from __future__ import annotations

from chainrule import _C
from chainrule.optim.adam import Adam
from chainrule.optim.optimizer import ParamsT

__all__ = ["AdamW"]

Tensor = _C.Tensor


class AdamW(Adam):
    r"""AdamW (PyTorch's ``torch.optim.AdamW``): Adam whose weight decay shrinks the weights
    directly instead of entering the moment estimates.

    Update rule (``lr`` :math:`\gamma`, ``betas`` :math:`(\beta_1, \beta_2)`,
    ``weight_decay`` :math:`\lambda`), with :math:`m_0 = v_0 = v^{max}_0 = 0`::

        t = t + 1
        g = -grad if maximize else grad
        theta = theta * (1 - lr * weight_decay)       # decoupled decay
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        if amsgrad:
            v_max = max(v_max, v)
            v_hat = v_max / (1 - beta2 ** t)
        else:
            v_hat = v / (1 - beta2 ** t)
        theta = theta - lr / (1 - beta1 ** t) * m / (sqrt(v_hat) + eps)

    Same state as :class:`Adam`; ``decoupled_weight_decay`` is always True. Loshchilov &
    Hutter, "Decoupled Weight Decay Regularization" (ICLR 2019,
    https://arxiv.org/abs/1711.05101).

    Args:
        params: an iterable of tensors, ``(name, tensor)`` pairs, or parameter-group dicts.
        lr: learning rate (default: 1e-3).
        betas: coefficients of the running averages of the gradient and of its square
            (default: (0.9, 0.999)).
        eps: term added to the denominator for numerical stability (default: 1e-8).
        weight_decay: decoupled weight decay coefficient (default: 1e-2).
        amsgrad: use the AMSGrad variant (default: False).
        maximize: maximize the objective instead of minimizing it (default: False).
        foreach: accepted for PyTorch compatibility; the update is always fused.
        capturable: must be False (CUDA graphs only).
        differentiable: must be False (no autograd through the update).
        fused: accepted for PyTorch compatibility; the update is always fused.

    Example:
        >>> import chainrule as cr
        >>> w = cr.tensor([1.0, -1.0], requires_grad=True)
        >>> opt = cr.optim.AdamW([w], lr=0.1, weight_decay=0.5)
        >>> (w * w).sum().backward()
        >>> opt.step()
        >>> [round(v, 4) for v in w.tolist()]
        [0.85, -0.85]
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float | Tensor = 1e-3,
        betas: tuple[float | Tensor, float | Tensor] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        foreach: bool | None = None,
        capturable: bool = False,
        differentiable: bool = False,
        fused: bool | None = None,
    ) -> None:
        super().__init__(
            params,
            lr,
            betas,
            eps,
            weight_decay,
            amsgrad,
            foreach=foreach,
            maximize=maximize,
            capturable=capturable,
            differentiable=differentiable,
            fused=fused,
            decoupled_weight_decay=True,
        )
