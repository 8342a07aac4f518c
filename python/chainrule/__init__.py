"""chainrule: a small, fast CPU deep-learning library with a PyTorch-compatible API.

Import it as ``import chainrule as cr``. Tensors, ops and the autograd engine live in the
C++ extension ``chainrule._C``; this package adds the Python conveniences around it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chainrule import _C as _C
from chainrule import autograd as autograd

# Every op and factory bound in C++ (cr.add, cr.cat, cr.matmul, ...): no Python wrapper
# stands between a call and the core.
from chainrule._C import *
from chainrule._C import Generator as Generator
from chainrule._C import Tensor as Tensor
from chainrule._C import dtype as dtype
from chainrule._config import config as config
from chainrule._config import show_config as show_config
from chainrule._creation import arange as arange
from chainrule._creation import as_tensor as as_tensor
from chainrule._creation import empty_like as empty_like
from chainrule._creation import full as full
from chainrule._creation import full_like as full_like
from chainrule._creation import get_default_dtype as get_default_dtype
from chainrule._creation import is_floating_point as is_floating_point
from chainrule._creation import is_tensor as is_tensor
from chainrule._creation import numel as numel
from chainrule._creation import ones_like as ones_like
from chainrule._creation import rand_like as rand_like
from chainrule._creation import randint as randint
from chainrule._creation import randn_like as randn_like
from chainrule._creation import tensor as tensor
from chainrule._creation import zeros_like as zeros_like
from chainrule._device import device as device
from chainrule._tensor import _install_tensor_methods
from chainrule.autograd.grad_mode import enable_grad as enable_grad
from chainrule.autograd.grad_mode import no_grad as no_grad
from chainrule.autograd.grad_mode import set_grad_enabled as set_grad_enabled

float32 = _C.dtype.float32
float64 = _C.dtype.float64
int64 = _C.dtype.int64
bool = _C.dtype.bool
float = float32
double = float64
long = int64


def _dtype_repr(self: dtype) -> str:
    return f"chainrule.{self.name}"


dtype.__repr__ = _dtype_repr  # type: ignore[method-assign, assignment]

__version__ = "0.1.0"


if TYPE_CHECKING:  # imported on first use at run time (__getattr__ below)
    from chainrule import datasets as datasets
    from chainrule import nn as nn
    from chainrule import optim as optim
    from chainrule import train as train
    from chainrule import utils as utils
    from chainrule.serialization import load as load
    from chainrule.serialization import save as save

_LAZY_SUBMODULES = frozenset({"datasets", "nn", "optim", "train", "utils"})


def __getattr__(name: str) -> object:
    # Submodules and checkpoint functions are imported on first use, keeping
    # ``import chainrule`` fast.
    import importlib

    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f"chainrule.{name}")
    if name in ("save", "load"):
        return getattr(importlib.import_module("chainrule.serialization"), name)
    raise AttributeError(f"module 'chainrule' has no attribute {name!r}")


_install_tensor_methods()
