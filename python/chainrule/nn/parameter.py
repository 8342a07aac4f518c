"""Parameter and Buffer: tensors a Module registers when they are assigned to it."""

from __future__ import annotations
