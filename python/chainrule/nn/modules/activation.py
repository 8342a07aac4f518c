"""Activation layers (ReLU, GELU, Softmax, ...) as Modules over nn.functional."""

from __future__ import annotations

__all__: list[str] = []
