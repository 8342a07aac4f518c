"""nn.init: in-place initialisers with PyTorch's names, defaults and fan computations."""

from __future__ import annotations
