"""chainrule.nn.functional (``F``): the functional form of every layer and loss.

Activations live in ``_functional_activation.py``, losses in ``_functional_loss.py``; the
layer functions (``linear``, ``dropout``) are here.
"""

from __future__ import annotations

from chainrule import _C

# linear(input, weight, bias=None): y = input @ weight.T + bias, one fused C++ op.
# input (*, in_features), weight (out_features, in_features), bias (out_features).
from chainrule._C import linear
from chainrule._C._nn import (  # conv.py: im2col + GEMM; pad: F.pad
    adaptive_avg_pool2d,
    avg_pool2d,
    batch_norm,
    conv1d,
    conv2d,
    layer_norm,
    max_pool2d,
    max_pool2d_with_indices,
    pad,
)
from chainrule.nn._functional_activation import *
from chainrule.nn._functional_activation import __all__ as _activation_all
from chainrule.nn._functional_attention import *
from chainrule.nn._functional_attention import __all__ as _attention_all
from chainrule.nn._functional_loss import *
from chainrule.nn._functional_loss import __all__ as _loss_all

__all__ = ["dropout", "linear", *_activation_all, *_loss_all]
__all__ += _attention_all
__all__ += [
    "adaptive_avg_pool2d",
    "avg_pool2d",
    "batch_norm",
    "layer_norm",
    "max_pool2d",
    "max_pool2d_with_indices",
]
__all__ += ["conv1d", "conv2d", "pad"]

Tensor = _C.Tensor


def dropout(input: Tensor, p: float = 0.5, training: bool = True, inplace: bool = False) -> Tensor:
    """Zeroes each element with probability ``p`` and scales the rest by ``1 / (1 - p)``
    when ``training``; returns ``input`` itself otherwise.

    Args:
        input: any shape.
        p: probability of an element to be zeroed.
        training: apply dropout (True) or return the input (False).
        inplace: write the result into ``input``.

    Returns:
        A tensor of ``input``'s shape (``input`` itself when ``inplace`` or not training).
    """
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    out = _C.dropout(input, p, training)
    if inplace and out is not input:
        return input.copy_(out)
    return out
