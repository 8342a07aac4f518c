"""chainrule.optim: optimizers whose update math runs in one fused C++ call per step."""

from __future__ import annotations
