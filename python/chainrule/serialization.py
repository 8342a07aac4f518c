"""cr.save / cr.load: a safe, documented checkpoint format (no pickle)."""

from __future__ import annotations
