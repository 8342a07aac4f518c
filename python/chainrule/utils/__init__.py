"""chainrule.utils: data loading."""

from __future__ import annotations

from chainrule.utils import data

__all__ = ["data"]
