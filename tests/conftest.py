"""Fixtures shared by tests that drive GameService on real SQLite files with a fake clock.

Suites with different needs (the Discord and Slack harnesses, the engine) override them in
their own conftest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.engine.clock import FakeClock
from bot.service import GameService
from tests.storage.support import T0, Services


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "quiz.db"


@pytest.fixture
async def services(clock: FakeClock) -> AsyncIterator[Services]:
    opened = Services(clock)
    yield opened
    await opened.aclose()


@pytest.fixture
async def service(db_path: Path, services: Services) -> GameService:
    return await services.open(db_path)
