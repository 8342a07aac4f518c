"""chainrule.nn: layers, losses and the Module system, with PyTorch's names and state-dict keys.

``import chainrule.nn as nn`` and ``import chainrule.nn.functional as F`` read as in PyTorch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from chainrule.nn import functional, init, utils
from chainrule.nn.modules import *
from chainrule.nn.parameter import Buffer, Parameter

if not TYPE_CHECKING:
    # mypy reads only a literal __all__ (see chainrule/nn/modules/__init__.py).
    from chainrule.nn.modules import __all__ as _modules_all

    __all__ = ["Buffer", "Parameter", "functional", "init", "utils", *_modules_all]
