"""chainrule.nn.functional (``F``): the functional form of every layer and loss.

Activations live in ``_functional_activation.py``, losses in ``_functional_loss.py``; the
layer functions (``linear``, ``dropout``) are here.
"""

from __future__ import annotations

from chainrule.nn._functional_activation import *
from chainrule.nn._functional_loss import *
