"""Functional activations (``F.relu``, ``F.gelu``, ``F.softmax``, ...), over the C++ ops.

Most are the C++ functions themselves (``chainrule._C._nn``, bound with PyTorch's argument
names, defaults and ``inplace=``), so calling them costs no Python frame; only the
compositions PyTorch also writes in Python (``softsign``, ``tanhshrink``) are defined here.
"""

from __future__ import annotations

from chainrule import _C
from chainrule._args import check_tensor

__all__ = [
    "celu",
    "celu_",
    "elu",
    "elu_",
    "gelu",
    "hardsigmoid",
    "hardswish",
    "hardtanh",
    "hardtanh_",
    "leaky_relu",
    "leaky_relu_",
    "log_softmax",
    "logsigmoid",
    "mish",
    "relu",
    "relu6",
    "relu_",
    "selu",
    "selu_",
    "sigmoid",
    "silu",
    "softmax",
    "softmin",
    "softplus",
    "softsign",
    "tanh",
    "tanhshrink",
]

Tensor = _C.Tensor
_nn = _C._nn

# relu(input, inplace=False), relu_(input)
relu = _nn.relu
relu_ = _C.relu_
# leaky_relu(input, negative_slope=0.01, inplace=False), leaky_relu_(input, negative_slope=0.01)
leaky_relu = _nn.leaky_relu
leaky_relu_ = _nn.leaky_relu_
# elu(input, alpha=1.0, inplace=False), elu_(input, alpha=1.0)
elu = _nn.elu
elu_ = _nn.elu_
# selu(input, inplace=False), celu(input, alpha=1.0, inplace=False) and their in-place forms
selu = _nn.selu
selu_ = _C.selu_
celu = _nn.celu
celu_ = _C.celu_
# gelu(input, *, approximate="none")
gelu = _nn.gelu
# silu(input, inplace=False), mish(input, inplace=False)
silu = _nn.silu
mish = _nn.mish
# softplus(input, beta=1.0, threshold=20.0), logsigmoid(input)
softplus = _nn.softplus
logsigmoid = _nn.logsigmoid
# hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False), hardtanh_, relu6(input, inplace=False)
hardtanh = _nn.hardtanh
hardtanh_ = _nn.hardtanh_
relu6 = _nn.relu6
# hardsigmoid(input, inplace=False), hardswish(input, inplace=False)
hardsigmoid = _nn.hardsigmoid
hardswish = _nn.hardswish
# sigmoid(input), tanh(input)
sigmoid = _C.sigmoid
tanh = _C.tanh
# softmax / log_softmax / softmin(input, dim=None, _stacklevel=3, dtype=None)
softmax = _nn.softmax
log_softmax = _nn.log_softmax
softmin = _nn.softmin


def softsign(input: Tensor) -> Tensor:
    """Applies ``x / (1 + |x|)`` elementwise.

    Args:
        input: a tensor of any shape (int64 input gives float32, as in PyTorch).

    Returns:
        A tensor of ``input``'s shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn.functional as F
        >>> F.softsign(cr.tensor([-1.0, 0.0, 3.0]))
        tensor([-0.5000,  0.0000,  0.7500])
    """
    try:
        return input / (input.abs() + 1)
    except AttributeError:
        check_tensor("softsign", "input", 1, input)
        raise


def tanhshrink(input: Tensor) -> Tensor:
    """Applies ``x - tanh(x)`` elementwise.

    Args:
        input: a tensor of any shape.

    Returns:
        A tensor of ``input``'s shape.

    Example:
        >>> import chainrule as cr
        >>> import chainrule.nn.functional as F
        >>> F.tanhshrink(cr.tensor([0.0, 1.0]))
        tensor([0.0000, 0.2384])
    """
    try:
        return input - input.tanh()
    except AttributeError:
        check_tensor("tanhshrink", "input", 1, input)
        raise
