"""BatchNorm1d and BatchNorm2d: per-channel normalisation with running statistics."""

from __future__ import annotations

from typing import Any

from chainrule import _C
from chainrule.nn import init
from chainrule.nn.modules.linear import _factory_dtype
from chainrule.nn.modules.module import Module
from chainrule.nn.parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d"]

Tensor = _C.Tensor


class _BatchNorm(Module):
    """Shared by BatchNorm1d/2d (PyTorch's ``_BatchNorm``): parameters ``weight``/``bias``,
    buffers ``running_mean``, ``running_var``, ``num_batches_tracked``.

    Training uses the batch statistics and updates the running ones with
    ``r = (1 - momentum) * r + momentum * stat`` (unbiased variance); ``momentum=None``
    gives a cumulative average (factor ``1 / num_batches_tracked``). Eval mode uses the
    running statistics (or the batch ones when ``track_running_stats=False``).
    """

    _expected_dims: tuple[int, ...] = ()

    def __init__(
        self,
        num_features: int,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        dt = _factory_dtype(dtype, device)
        self.num_features = num_features
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(_C.empty((num_features,), dtype=dt))
            self.bias = Parameter(_C.empty((num_features,), dtype=dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", _C.zeros((num_features,), dtype=dt))
            self.register_buffer("running_var", _C.ones((num_features,), dtype=dt))
            self.register_buffer("num_batches_tracked", _C.zeros((), dtype=_C.dtype.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            init.ones_(self.weight)
            init.zeros_(self.bias)

    def _check_input_dim(self, input: Tensor) -> None:
        if input.dim() not in self._expected_dims:
            want = " or ".join(f"{d}D" for d in self._expected_dims)
            raise ValueError(
                f"{type(self).__name__}: expected {want} input; got {input.dim()}D input "
                f"of shape {tuple(input.shape)}"
            )
        if input.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__}: expected {self.num_features} channels (dim 1); got "
                f"input of shape {tuple(input.shape)}"
            )

    def forward(self, input: Tensor) -> Tensor:
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            factor = (
                1.0 / float(self.num_batches_tracked.item())
                if self.momentum is None
                else self.momentum
            )
        bn_training = self.training or (self.running_mean is None and self.running_var is None)
        use_running = not self.training or self.track_running_stats
        return _C._nn.batch_norm(
            input,
            self.running_mean if use_running else None,
            self.running_var if use_running else None,
            self.weight,
            self.bias,
            bn_training,
            factor,
            self.eps,
        )

    def extra_repr(self) -> str:
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` inputs over each channel C."""

    _expected_dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` inputs over each channel C."""

    _expected_dims = (4,)
