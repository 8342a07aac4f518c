"""Functional losses (``F.cross_entropy``, ``F.mse_loss``, ...), over the C++ ops."""

from __future__ import annotations

__all__: list[str] = []
