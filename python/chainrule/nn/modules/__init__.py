"""Every layer and loss as a Module; each file holds one family."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chainrule.nn.modules import (
    activation,
    attention,
    batchnorm,
    container,
    conv,
    linear,
    loss,
    module,
    normalization,
    pooling,
    sparse,
    transformer,
)
from chainrule.nn.modules.activation import *
from chainrule.nn.modules.attention import *
from chainrule.nn.modules.batchnorm import *
from chainrule.nn.modules.container import *
from chainrule.nn.modules.conv import *
from chainrule.nn.modules.linear import *
from chainrule.nn.modules.loss import *
from chainrule.nn.modules.module import *
from chainrule.nn.modules.normalization import *
from chainrule.nn.modules.pooling import *
from chainrule.nn.modules.sparse import *
from chainrule.nn.modules.transformer import *

if not TYPE_CHECKING:
    # mypy reads only a literal __all__; with this one hidden from it, it exports exactly the
    # star-imported names above, which are these.
    __all__ = [
        *module.__all__,
        *container.__all__,
        *linear.__all__,
        *activation.__all__,
        *loss.__all__,
        *attention.__all__,
        *sparse.__all__,
        *batchnorm.__all__,
        *normalization.__all__,
        *pooling.__all__,
        *conv.__all__,
        *transformer.__all__,
    ]
