"""chainrule: a small, fast CPU deep-learning library with a PyTorch-compatible API."""

from __future__ import annotations

from chainrule import _C
from chainrule._C import *  # noqa: F403

__version__ = "0.1.0"
