"""Module: the base class of every layer (registration, state dicts, train/eval)."""

from __future__ import annotations

__all__: list[str] = []
