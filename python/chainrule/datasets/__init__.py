"""Small real datasets that work offline: shipped inside the package, never downloaded."""

from __future__ import annotations

from chainrule.datasets._digits import load_digits

__all__ = ["load_digits"]
