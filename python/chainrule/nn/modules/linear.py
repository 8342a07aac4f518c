"""Linear, Identity, Flatten, Unflatten and Dropout."""

from __future__ import annotations

from typing import Any

from chainrule import _C
from chainrule.nn import functional as F
from chainrule.nn import init
from chainrule.nn.modules.module import Module
from chainrule.nn.parameter import Parameter

__all__ = ["Dropout", "Flatten", "Identity", "Linear", "Unflatten"]

Tensor = _C.Tensor


def _factory_dtype(dtype: Any, device: Any) -> Any:
    if device is not None:
        from chainrule._device import device as _device

        _device(device)  # anything but the CPU raises
    if dtype is None:
        return _C.dtype.float32
    if dtype not in (_C.dtype.float32, _C.dtype.float64):
        raise TypeError(f"layers hold floating point parameters; got dtype={dtype!r}")
    return dtype


class Identity(Module):
    """Returns its input unchanged; accepts and ignores any constructor arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__()

    def forward(self, input: Tensor) -> Tensor:
        return input


class Linear(Module):
    """``y = x @ weight.T + bias``, one fused C++ op (GEMM with the bias as its start value).

    Args:
        in_features: size of each input sample.
        out_features: size of each output sample.
        bias: whether to learn an additive bias. Default: True.
        dtype: ``cr.float32`` (default) or ``cr.float64``.

    Shapes:
        input ``(*, in_features)`` -> output ``(*, out_features)``; ``weight`` is
        ``(out_features, in_features)``, ``bias`` is ``(out_features,)``.

    Both are initialised from U(-1/sqrt(in_features), 1/sqrt(in_features)), as PyTorch's
    ``kaiming_uniform_(a=sqrt(5))`` default.

    Example:
        >>> import chainrule as cr
        >>> layer = cr.nn.Linear(20, 30)
        >>> layer(cr.randn(128, 20)).shape
        (128, 30)
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"Linear: {name} must be a non-negative int; got {value!r}")
        dt = _factory_dtype(dtype, device)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Parameter(_C.empty((out_features, in_features), dtype=dt))
        if bias:
            self.bias = Parameter(_C.empty((out_features,), dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-draws weight and bias with PyTorch's default initialisation."""
        init._default_layer_init(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        return _C.linear(input, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


class Flatten(Module):
    """Flattens dims ``start_dim..end_dim`` into one: ``(N, C, H, W) -> (N, C*H*W)``.

    Args:
        start_dim: first dim to flatten. Default: 1 (keeps the batch dim).
        end_dim: last dim to flatten. Default: -1.
    """

    def __init__(self, start_dim: int = 1, end_dim: int = -1) -> None:
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input: Tensor) -> Tensor:
        return _C.flatten(input, self.start_dim, self.end_dim)  # TypeError for a non-Tensor

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dim ``dim`` into ``unflattened_size``: ``(N, 64) -> (N, 1, 8, 8)``."""

    def __init__(self, dim: int, unflattened_size: tuple[int, ...]) -> None:
        super().__init__()
        self.dim = dim
        self.unflattened_size = tuple(unflattened_size)

    def forward(self, input: Tensor) -> Tensor:
        return _C.unflatten(input, self.dim, self.unflattened_size)  # TypeError for a non-Tensor

    def extra_repr(self) -> str:
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"


class Dropout(Module):
    """Zeroes each element with probability ``p`` during training and scales the others by
    ``1 / (1 - p)`` (inverted dropout, Srivastava et al. 2014); the identity in eval mode.

    Args:
        p: probability of an element to be zeroed. Default: 0.5.
        inplace: whether to overwrite the input. Default: False.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = p
        self.inplace = inplace

    def forward(self, input: Tensor) -> Tensor:
        return F.dropout(input, self.p, self.training, self.inplace)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
