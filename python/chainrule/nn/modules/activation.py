"""Activation layers (ReLU, GELU, Softmax, ...) as Modules over nn.functional.

Constructor arguments, attributes and ``repr`` are PyTorch's; none of these layers holds
parameters or buffers. The math and its derivatives live in C++ (``cpp/src/ops/activation.cpp``).
"""

from __future__ import annotations

import warnings
from typing import Any

from chainrule import _C
from chainrule.nn import functional as F
from chainrule.nn.modules.module import Module

__all__ = [
    "CELU",
    "ELU",
    "GELU",
    "SELU",
    "Hardsigmoid",
    "Hardswish",
    "Hardtanh",
    "LeakyReLU",
    "LogSigmoid",
    "LogSoftmax",
    "Mish",
    "ReLU",
    "ReLU6",
    "SiLU",
    "Sigmoid",
    "Softmax",
    "Softmin",
    "Softplus",
    "Softsign",
    "Tanh",
    "Tanhshrink",
]

Tensor = _C.Tensor


def _inplace_str(inplace: bool, first: bool) -> str:
    if not inplace:
        return ""
    return "inplace=True" if first else ", inplace=True"


class ReLU(Module):
    """Applies ``max(x, 0)`` elementwise.

    Args:
        inplace: overwrite the input instead of allocating the output. Default: False.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.ReLU()(cr.tensor([-1.0, 2.0]))
        tensor([0., 2.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.relu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, first=True)


class LeakyReLU(Module):
    """Applies ``x if x > 0 else negative_slope * x`` elementwise.

    Args:
        negative_slope: the slope for ``x <= 0``. Default: 0.01.
        inplace: overwrite the input. Default: False.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.LeakyReLU(0.1)(cr.tensor([-1.0, 2.0]))
        tensor([-0.1000,  2.0000])
    """

    def __init__(self, negative_slope: float = 1e-2, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.leaky_relu(input, self.negative_slope, self.inplace)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}{_inplace_str(self.inplace, first=False)}"


class ELU(Module):
    """Applies ``x if x > 0 else alpha * (exp(x) - 1)`` elementwise (Clevert et al. 2015).

    Args:
        alpha: the output saturates at ``-alpha`` for very negative inputs. Default: 1.0.
        inplace: overwrite the input. Default: False.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.ELU()(cr.tensor([-1.0, 2.0]))
        tensor([-0.6321,  2.0000])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.elu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_str(self.inplace, first=False)}"


class SELU(Module):
    """Applies ``scale * elu(x, alpha)`` with PyTorch's constants ``alpha = 1.6733`` and
    ``scale = 1.0507`` (Klambauer et al. 2017, self-normalising networks).

    Args:
        inplace: overwrite the input. Default: False.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.SELU()(cr.tensor([-1.0, 2.0]))
        tensor([-1.1113,  2.1014])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.selu(input, self.inplace)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, first=True)


class CELU(Module):
    """Applies ``x if x > 0 else alpha * (exp(x / alpha) - 1)`` elementwise (Barron 2017).

    Args:
        alpha: the output saturates at ``-alpha``; must not be 0. Default: 1.0.
        inplace: overwrite the input. Default: False.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.CELU(2.0)(cr.tensor([-1.0, 2.0]))
        tensor([-0.7869,  2.0000])
    """

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.celu(input, self.alpha, self.inplace)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}{_inplace_str(self.inplace, first=False)}"


class GELU(Module):
    """Applies ``x * Phi(x)``, ``Phi`` the standard normal CDF (Hendrycks & Gimpel 2016).

    Args:
        approximate: ``'none'`` for the exact erf form, ``'tanh'`` for
            ``0.5 * x * (1 + tanh(sqrt(2 / pi) * (x + 0.044715 * x^3)))``. Default: ``'none'``.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.GELU()(cr.tensor([-1.0, 2.0]))
        tensor([-0.1587,  1.9545])
    """

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        self.approximate = approximate

    def forward(self, input: Tensor) -> Tensor:
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """Applies ``x * sigmoid(x)`` (the swish function) elementwise.

    Args:
        inplace: overwrite the input. Default: False.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.SiLU()(cr.tensor([-1.0, 2.0]))
        tensor([-0.2689,  1.7616])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.silu(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, first=True)


class Mish(Module):
    """Applies ``x * tanh(softplus(x))`` elementwise (Misra 2019).

    Args:
        inplace: overwrite the input. Default: False.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.Mish()(cr.tensor([-1.0, 2.0]))
        tensor([-0.3034,  1.9440])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.mish(input, inplace=self.inplace)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, first=True)


class Sigmoid(Module):
    """Applies ``1 / (1 + exp(-x))`` elementwise.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.Sigmoid()(cr.tensor([0.0]))
        tensor([0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        return _C.sigmoid(input)


class Tanh(Module):
    """Applies ``tanh(x)`` elementwise.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.Tanh()(cr.tensor([0.0, 1.0]))
        tensor([0.0000, 0.7616])
    """

    def forward(self, input: Tensor) -> Tensor:
        return _C.tanh(input)


class Softplus(Module):
    """Applies ``log(1 + exp(beta * x)) / beta`` elementwise, and ``x`` itself where
    ``beta * x > threshold`` (for numerical stability).

    Args:
        beta: the sharpness of the curve. Default: 1.0.
        threshold: above this value of ``beta * x`` the result is ``x``. Default: 20.0.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.Softplus()(cr.tensor([0.0, 30.0]))
        tensor([ 0.6931, 30.0000])
    """

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, input: Tensor) -> Tensor:
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class LogSigmoid(Module):
    """Applies ``log(sigmoid(x))`` elementwise, computed stably as
    ``min(x, 0) - log1p(exp(-|x|))``.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.LogSigmoid()(cr.tensor([0.0]))
        tensor([-0.6931])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.logsigmoid(input)


class Softsign(Module):
    """Applies ``x / (1 + |x|)`` elementwise.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.Softsign()(cr.tensor([-1.0, 3.0]))
        tensor([-0.5000,  0.7500])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softsign(input)


class Tanhshrink(Module):
    """Applies ``x - tanh(x)`` elementwise.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.Tanhshrink()(cr.tensor([1.0]))
        tensor([0.2384])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.tanhshrink(input)


class Hardtanh(Module):
    """Clamps the input to ``[min_val, max_val]`` elementwise (gradient 0 at the bounds).

    Args:
        min_val: the lower bound. Default: -1.0.
        max_val: the upper bound; must be greater than ``min_val``. Default: 1.0.
        inplace: overwrite the input. Default: False.
        min_value: deprecated name of ``min_val`` (warns).
        max_value: deprecated name of ``max_val`` (warns).

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.Hardtanh(-2.0, 2.0)(cr.tensor([-3.0, 0.5, 3.0]))
        tensor([-2.0000,  0.5000,  2.0000])
    """

    def __init__(
        self,
        min_val: float = -1.0,
        max_val: float = 1.0,
        inplace: bool = False,
        min_value: float | None = None,
        max_value: float | None = None,
    ) -> None:
        super().__init__()
        if min_value is not None:
            warnings.warn(
                "keyword argument `min_value` is deprecated and renamed to `min_val`",
                FutureWarning,
                stacklevel=2,
            )
            min_val = min_value
        if max_value is not None:
            warnings.warn(
                "keyword argument `max_value` is deprecated and renamed to `max_val`",
                FutureWarning,
                stacklevel=2,
            )
            max_val = max_value
        if max_val <= min_val:
            raise ValueError(
                f"{type(self).__name__}: max_val ({max_val}) must be greater than "
                f"min_val ({min_val})"
            )
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardtanh(input, self.min_val, self.max_val, self.inplace)

    def extra_repr(self) -> str:
        inplace = _inplace_str(self.inplace, first=False)
        return f"min_val={self.min_val}, max_val={self.max_val}{inplace}"


class ReLU6(Hardtanh):
    """Applies ``min(max(x, 0), 6)`` elementwise (a Hardtanh with bounds 0 and 6).

    Args:
        inplace: overwrite the input. Default: False.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.ReLU6()(cr.tensor([-1.0, 3.0, 8.0]))
        tensor([0., 3., 6.])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return _inplace_str(self.inplace, first=True)


class Hardsigmoid(Module):
    """Applies ``relu6(x + 3) / 6`` elementwise.

    Args:
        inplace: overwrite the input. Default: False.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.Hardsigmoid()(cr.tensor([-4.0, 0.0, 1.5]))
        tensor([0.0000, 0.5000, 0.7500])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardsigmoid(input, self.inplace)


class Hardswish(Module):
    """Applies ``x * relu6(x + 3) / 6`` elementwise (Howard et al. 2019, MobileNetV3).

    Args:
        inplace: overwrite the input. Default: False.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.Hardswish()(cr.tensor([-4.0, 1.5, 4.0]))
        tensor([-0.0000, 1.1250, 4.0000])
    """

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.hardswish(input, self.inplace)


class _SoftmaxBase(Module):
    """Shared by Softmax, LogSoftmax and Softmin: a ``dim`` attribute and its repr."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def __setstate__(self, state: dict[str, Any]) -> None:
        super().__setstate__(state)
        if not hasattr(self, "dim"):
            self.dim = None

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmax(_SoftmaxBase):
    """Applies ``exp(x) / sum(exp(x))`` along ``dim``, so that slices along it sum to 1.

    Args:
        dim: the dim to normalise over. ``None`` uses PyTorch's deprecated implicit choice
            (0 for 0-, 1- and 3-d inputs, else 1) and warns. Default: None.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.Softmax(dim=1)(cr.zeros(2, 4))
        tensor([[0.2500, 0.2500, 0.2500, 0.2500],
                [0.2500, 0.2500, 0.2500, 0.2500]])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softmax(input, self.dim, _stacklevel=5)


class LogSoftmax(_SoftmaxBase):
    """Applies ``x - logsumexp(x)`` along ``dim`` (the log of Softmax, computed stably).

    Args:
        dim: the dim to normalise over. ``None`` uses PyTorch's deprecated implicit choice
            (0 for 0-, 1- and 3-d inputs, else 1) and warns. Default: None.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.LogSoftmax(dim=-1)(cr.zeros(4))
        tensor([-1.3863, -1.3863, -1.3863, -1.3863])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.log_softmax(input, self.dim, _stacklevel=5)


class Softmin(_SoftmaxBase):
    """Applies ``softmax(-x)`` along ``dim``.

    Args:
        dim: the dim to normalise over. ``None`` uses PyTorch's deprecated implicit choice
            (0 for 0-, 1- and 3-d inputs, else 1) and warns. Default: None.

    Shapes:
        input ``(*)`` -> output ``(*)``, same shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn as nn
        >>> nn.Softmin(dim=0)(cr.tensor([0.0, 0.0]))
        tensor([0.5000, 0.5000])
    """

    def forward(self, input: Tensor) -> Tensor:
        return F.softmin(input, self.dim, _stacklevel=5)
