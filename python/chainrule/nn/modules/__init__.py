"""Every layer and loss as a Module; each file holds one family."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chainrule.nn.modules import activation, container, linear, loss, module
from chainrule.nn.modules.activation import *
from chainrule.nn.modules.container import *
from chainrule.nn.modules.conv import *
from chainrule.nn.modules.linear import *
from chainrule.nn.modules.loss import *
from chainrule.nn.modules.module import *

if not TYPE_CHECKING:
    # mypy reads only a literal __all__; with this one hidden from it, it exports exactly the
    # star-imported names above, which are these.
    __all__ = [
        *module.__all__,
        *container.__all__,
        *linear.__all__,
        *activation.__all__,
        *loss.__all__,
        *conv.__all__,  # noqa: F405 (bound by the star import above)
    ]
