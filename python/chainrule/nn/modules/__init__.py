"""Every layer and loss as a Module; each file holds one family."""

from __future__ import annotations

from chainrule.nn.modules import activation, container, linear, loss, module
from chainrule.nn.modules.activation import *
from chainrule.nn.modules.container import *
from chainrule.nn.modules.linear import *
from chainrule.nn.modules.loss import *
from chainrule.nn.modules.module import *

__all__ = [
    *module.__all__,
    *container.__all__,
    *linear.__all__,
    *activation.__all__,
    *loss.__all__,
]
