"""Shared engine fixtures: the factory pack and a fake clock (nothing ever sleeps)."""

from __future__ import annotations

import pytest

from bot.engine.clock import FakeClock
from problems.model import Pack
from tests.factories import make_pack

T0 = 1_780_000_000.0
PLAYER = 7
OTHER = 8


@pytest.fixture
def pack() -> Pack:
    return make_pack()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)
