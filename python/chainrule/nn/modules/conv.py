"""Conv1d and Conv2d: im2col + GEMM convolutions (cpp/src/ops/conv.cpp)."""

from __future__ import annotations

from typing import Any

from chainrule import _C
from chainrule.nn import functional as F
from chainrule.nn import init
from chainrule.nn.modules.linear import _factory_dtype
from chainrule.nn.modules.module import Module
from chainrule.nn.parameter import Parameter

__all__ = ["Conv1d", "Conv2d"]

Tensor = _C.Tensor


def _tuple(value: Any, n: int, name: str, cls: str) -> tuple[int, ...]:
    if isinstance(value, int) and not isinstance(value, bool):
        return (value,) * n
    t = tuple(value)
    if len(t) == 1:
        t = t * n
    if len(t) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in t):
        raise ValueError(f"{cls}: {name} must be an int or a tuple of {n} ints; got {value!r}")
    return t


class _ConvNd(Module):
    _n = 2
    _fn: Any = None

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        cls = type(self).__name__
        n = self._n
        if groups <= 0:
            raise ValueError(f"{cls}: groups must be a positive integer; got groups={groups}")
        if in_channels % groups != 0:
            raise ValueError(
                f"{cls}: in_channels must be divisible by groups; got {in_channels} and {groups}"
            )
        if out_channels % groups != 0:
            raise ValueError(
                f"{cls}: out_channels must be divisible by groups; got {out_channels} and {groups}"
            )
        if padding_mode not in ("zeros", "reflect", "replicate", "circular"):
            raise ValueError(
                f"{cls}: padding_mode must be one of 'zeros', 'reflect', 'replicate', 'circular'; "
                f"got {padding_mode!r}"
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size = _tuple(kernel_size, n, "kernel_size", cls)
        self.stride = _tuple(stride, n, "stride", cls)
        self.dilation = _tuple(dilation, n, "dilation", cls)
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(
                    f"{cls}: Invalid padding string {padding!r}; expected 'same' or 'valid'"
                )
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{cls}: padding='same' is not supported for strided convolutions")
            self.padding: Any = padding
        else:
            self.padding = _tuple(padding, n, "padding", cls)
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's argument for the other padding modes: last dim first, (before, after) each.
        self._reversed_padding_repeated_twice: list[int] = []
        for k, d, i in reversed(list(zip(self.kernel_size, self.dilation, range(n), strict=True))):
            if self.padding == "valid":
                before = after = 0
            elif self.padding == "same":
                total = d * (k - 1)
                before, after = total // 2, total - total // 2
            else:
                before = after = self.padding[i]
            self._reversed_padding_repeated_twice += [before, after]
        dt = _factory_dtype(dtype, device)
        self.weight = Parameter(
            _C.empty((out_channels, in_channels // groups, *self.kernel_size), dtype=dt)
        )
        if bias:
            self.bias = Parameter(_C.empty((out_channels,), dtype=dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's default: kaiming_uniform_(a=sqrt(5)) weight, U(-1/sqrt(fan_in), ..) bias."""
        init._default_layer_init(self.weight, self.bias)

    def forward(self, input: Tensor) -> Tensor:
        if self.padding_mode != "zeros":  # pad first, as torch does, then an unpadded conv
            padded = F.pad(input, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            out: Tensor = type(self)._fn(
                padded,
                self.weight,
                self.bias,
                self.stride,
                (0,) * self._n,
                self.dilation,
                self.groups,
            )
            return out
        out = type(self)._fn(
            input, self.weight, self.bias, self.stride, self.padding, self.dilation, self.groups
        )
        return out

    def extra_repr(self) -> str:
        s = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0,) * self._n:
            s += f", padding={self.padding}"  # torch prints 'same' unquoted
        if self.dilation != (1,) * self._n:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


class Conv1d(_ConvNd):
    """1-d convolution over ``(N, C_in, L)`` or ``(C_in, L)``: ``weight`` is
    ``(C_out, C_in / groups, kernel_size)``, ``bias`` ``(C_out,)``. ``padding`` is an int, a
    1-tuple, ``'valid'`` or ``'same'``; ``padding_mode`` is ``'zeros'``, ``'reflect'``,
    ``'replicate'`` or ``'circular'``."""

    _n = 1
    _fn = staticmethod(_C._nn.conv1d)


class Conv2d(_ConvNd):
    """2-d convolution over ``(N, C_in, H, W)`` or ``(C_in, H, W)``: ``weight`` is
    ``(C_out, C_in / groups, kH, kW)``, ``bias`` ``(C_out,)``. ``padding`` is an int, a
    2-tuple, ``'valid'`` or ``'same'``; ``padding_mode`` is ``'zeros'``, ``'reflect'``,
    ``'replicate'`` or ``'circular'``.

    Example:
        >>> import chainrule as cr
        >>> conv = cr.nn.Conv2d(3, 8, 3, padding=1)
        >>> conv(cr.randn(2, 3, 16, 16)).shape
        (2, 8, 16, 16)
    """

    _n = 2
    _fn = staticmethod(_C._nn.conv2d)
