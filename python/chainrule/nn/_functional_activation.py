"""Functional activations (``F.relu``, ``F.gelu``, ``F.softmax``, ...), over the C++ ops."""

from __future__ import annotations

__all__: list[str] = []
