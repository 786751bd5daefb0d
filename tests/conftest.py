"""Fixtures shared by tests that drive GameService on real SQLite files with a fake clock.

Suites with different needs (the Discord and Slack harnesses, the engine) override them in
their own conftest.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.engine.clock import FakeClock
from bot.service import GameService
from tests.pg_cluster import Cluster, pg_bin_dir
from tests.storage.support import T0, Services

ENGINES = ("sqlite", "postgres")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Modules marked `both_engines` run each test that uses `db_path` on both engines."""
    marked = metafunc.definition.get_closest_marker("both_engines")
    if marked and "db_path" in metafunc.fixturenames:
        metafunc.parametrize("engine", ENGINES, indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster | None]:
    """One throwaway PostgreSQL cluster for the whole run, if the binaries are installed."""
    bin_dir = pg_bin_dir()
    if bin_dir is None:
        yield None
        return
    cluster = Cluster(bin_dir).start()
    try:
        yield cluster
    finally:
        cluster.stop()


def _fresh_database(cluster: Cluster, name: str) -> str:
    import psycopg

    with psycopg.connect(cluster.url(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    return cluster.url(name)


_databases = iter(range(1, 1_000_000))


@pytest.fixture
def pg_url(pg_cluster: Cluster | None) -> str:
    """A fresh, empty PostgreSQL database. Skipped without PostgreSQL, but CI must have it."""
    if pg_cluster is None:
        reason = "PostgreSQL is not installed (no initdb under /usr/lib/postgresql/*/bin)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(f"{reason}; CI must run the PostgreSQL tests (.ci/run installs it)")
        pytest.skip(reason)
    return _fresh_database(pg_cluster, f"t{next(_databases)}")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(T0)


@pytest.fixture
def db_path(tmp_path: Path, engine: str, request: pytest.FixtureRequest) -> Path | str:
    """A SQLite file, or (engine "postgres") a fresh PostgreSQL database's URL."""
    if engine == "postgres":
        return request.getfixturevalue("pg_url")
    return tmp_path / "quiz.db"


@pytest.fixture
async def services(clock: FakeClock) -> AsyncIterator[Services]:
    opened = Services(clock)
    yield opened
    await opened.aclose()


@pytest.fixture
async def service(db_path: Path, services: Services) -> GameService:
    return await services.open(db_path)
