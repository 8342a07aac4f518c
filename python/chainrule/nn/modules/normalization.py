"""LayerNorm: normalisation over the trailing dims, one fused C++ op forward and backward."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chainrule import _C
from chainrule.nn import init
from chainrule.nn.modules.linear import _factory_dtype
from chainrule.nn.modules.module import Module
from chainrule.nn.parameter import Parameter

__all__ = ["LayerNorm"]

Tensor = _C.Tensor


class LayerNorm(Module):
    """``y = (x - mean) / sqrt(var + eps) * weight + bias`` over the last
    ``len(normalized_shape)`` dims (biased variance), as PyTorch's LayerNorm.

    Args:
        normalized_shape: the trailing shape to normalise over (an int or a tuple).
        eps: added to the variance. Default: 1e-5.
        elementwise_affine: learn ``weight`` (ones) and ``bias`` (zeros). Default: True.
        bias: learn ``bias`` (when ``elementwise_affine``). Default: True.
    """

    def __init__(
        self,
        normalized_shape: int | Sequence[int],
        eps: float = 1e-5,
        elementwise_affine: bool = True,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dt = _factory_dtype(dtype, device)
        if elementwise_affine:
            self.weight = Parameter(_C.empty(self.normalized_shape, dtype=dt))
            if bias:
                self.bias = Parameter(_C.empty(self.normalized_shape, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """weight = 1, bias = 0."""
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return _C._nn.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (
            f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
        )
