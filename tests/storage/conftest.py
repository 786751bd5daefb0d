"""Storage fixtures: a fake clock and services over real SQLite files in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.engine.clock import FakeClock

from .support import T0, Services


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "lrquiz.db"


@pytest.fixture
async def services(clock: FakeClock):
    opened = Services(clock)
    yield opened
    await opened.aclose()
