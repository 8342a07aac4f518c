"""chainrule.train: fit, evaluate, predict, History and callbacks (chainrule's own API)."""

from __future__ import annotations
