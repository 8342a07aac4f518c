"""Shared fixtures: a fixed seed per test and the optional torch oracle."""

from __future__ import annotations

import pytest

import chainrule as cr


@pytest.fixture(autouse=True)
def _seed() -> None:
    cr.manual_seed(0)
