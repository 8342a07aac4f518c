"""MaxPool2d, AvgPool2d and AdaptiveAvgPool2d over (N, C, H, W) or (C, H, W) inputs."""

from __future__ import annotations

from typing import Any

from chainrule import _C
from chainrule.nn.modules.module import Module

__all__ = ["AdaptiveAvgPool2d", "AvgPool2d", "MaxPool2d"]

Tensor = _C.Tensor
_Size2 = Any  # an int or a tuple of 2 ints


class MaxPool2d(Module):
    """2-D max pooling (``stride`` defaults to ``kernel_size``); ``return_indices`` also
    returns the flat index ``h * W + w`` of each maximum in its input plane."""

    def __init__(
        self,
        kernel_size: _Size2,
        stride: _Size2 = None,
        padding: _Size2 = 0,
        dilation: _Size2 = 1,
        return_indices: bool = False,
        ceil_mode: bool = False,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def forward(self, input: Tensor) -> Any:
        return _C._nn.max_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.dilation,
            ceil_mode=self.ceil_mode,
            return_indices=self.return_indices,
        )

    def extra_repr(self) -> str:
        return (
            f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
            f"dilation={self.dilation}, ceil_mode={self.ceil_mode}"
        )


class AvgPool2d(Module):
    """2-D average pooling (``stride`` defaults to ``kernel_size``)."""

    def __init__(
        self,
        kernel_size: _Size2,
        stride: _Size2 = None,
        padding: _Size2 = 0,
        ceil_mode: bool = False,
        count_include_pad: bool = True,
        divisor_override: int | None = None,
    ) -> None:
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if (stride is not None) else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, input: Tensor) -> Tensor:
        return _C._nn.avg_pool2d(
            input,
            self.kernel_size,
            self.stride,
            self.padding,
            self.ceil_mode,
            self.count_include_pad,
            self.divisor_override,
        )

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """2-D average pooling to a fixed ``output_size`` (int, or ``(h, w)`` where ``None``
    keeps the input's size)."""

    def __init__(self, output_size: Any) -> None:
        super().__init__()
        self.output_size = output_size

    def forward(self, input: Tensor) -> Tensor:
        return _C._nn.adaptive_avg_pool2d(input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"
