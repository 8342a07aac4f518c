"""Functional losses (``F.cross_entropy``, ``F.mse_loss``, ...), over the C++ ops.

Each loss is bound in C++ with torch.nn.functional's signature (argument names, order and
defaults, the deprecated ``size_average``/``reduce`` pair, torch's UserWarnings), so a call
goes straight to the core; the docstrings live with the bindings (``cpp/bindings/bind_loss.cpp``).
Differences from torch: cross_entropy records one fused ``CrossEntropyLossBackward0`` node;
l1_loss and kl_div record ``L1LossBackward0`` / ``KlDivBackward0`` (torch's composites show
their last op); argument errors are ValueError/TypeError/IndexError naming the op.
"""

from __future__ import annotations

from chainrule._C import _nn

__all__ = [
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "huber_loss",
    "kl_div",
    "l1_loss",
    "mse_loss",
    "nll_loss",
    "smooth_l1_loss",
]

cross_entropy = _nn.cross_entropy
nll_loss = _nn.nll_loss
mse_loss = _nn.mse_loss
l1_loss = _nn.l1_loss
huber_loss = _nn.huber_loss
smooth_l1_loss = _nn.smooth_l1_loss
binary_cross_entropy = _nn.binary_cross_entropy
binary_cross_entropy_with_logits = _nn.binary_cross_entropy_with_logits
kl_div = _nn.kl_div
