"""chainrule: a small, fast CPU deep-learning library with a PyTorch-compatible API.

Import it as ``import chainrule as cr``. Tensors, ops and the autograd engine live in the
C++ extension ``chainrule._C``; this package adds the Python conveniences around it.
"""

from __future__ import annotations

from chainrule import _C, autograd

# Every op and factory bound in C++ (cr.add, cr.cat, cr.matmul, ...): no Python wrapper
# stands between a call and the core.
from chainrule._C import *
from chainrule._C import Generator, Tensor
from chainrule._config import config, show_config
from chainrule._creation import (
    arange,
    as_tensor,
    empty_like,
    full,
    full_like,
    get_default_dtype,
    is_floating_point,
    is_tensor,
    numel,
    ones_like,
    rand_like,
    randint,
    randn_like,
    tensor,
    zeros_like,
)
from chainrule._device import device
from chainrule._tensor import _install_tensor_methods
from chainrule.autograd.grad_mode import enable_grad, no_grad, set_grad_enabled

float32 = _C.dtype.float32
float64 = _C.dtype.float64
int64 = _C.dtype.int64
bool = _C.dtype.bool
float = float32
double = float64
long = int64
dtype = _C.dtype
dtype.__repr__ = lambda self: f"chainrule.{self.name}"  # type: ignore[method-assign]

__version__ = "0.1.0"


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
