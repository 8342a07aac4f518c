"""OpInfo entries for the activation ops (nn.functional); op_db.py appends them to OPS."""

from __future__ import annotations

from op_db import OpInfo

OPS: list[OpInfo] = []
