"""Upgrading a database written by an older lrquiz: data kept, new schema applied, atomic."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage import database, migrations
from storage.database import Database
from storage.errors import SchemaTooNew, StorageError
from storage.migrations import LATEST_VERSION, MIGRATIONS, Migration

NEXT = LATEST_VERSION + 1
FUTURE = Migration(NEXT, "players get a time zone", "ALTER TABLE users ADD COLUMN timezone TEXT;")
# The first statement succeeds, the second fails: the whole migration must roll back.
BROKEN = Migration(NEXT, "a typo", "ALTER TABLE users ADD COLUMN ok TEXT;\nCREATE TABLE (;\n")


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def schema_version(path: Path) -> str:
    return rows(path, "SELECT value FROM lrquiz_meta WHERE key = 'schema_version'")[0][0]


async def make_current(path: Path) -> None:
    """A database of today's schema with one player in it."""
    db = await Database.open(path)
    await db.transact(
        lambda c: c.execute(
            "INSERT INTO users(platform, workspace, external_id, display_name, created_at) "
            "VALUES ('terminal', 'local', 'ann', 'ann', 0)"
        )
    )
    await db.close()


def newer_code(monkeypatch: pytest.MonkeyPatch, *extra: Migration) -> None:
    monkeypatch.setattr(migrations, "MIGRATIONS", (*MIGRATIONS, *extra))
    monkeypatch.setattr(migrations, "LATEST_VERSION", extra[-1].version)


async def test_an_old_database_is_upgraded_in_place_keeping_its_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "quiz.db"
    await make_current(path)
    newer_code(monkeypatch, FUTURE)
    db = await Database.open(path)
    await db.close()
    assert schema_version(path) == str(NEXT)
    assert rows(path, "SELECT display_name, timezone FROM users") == [("ann", None)]


async def test_a_failing_upgrade_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "quiz.db"
    await make_current(path)
    newer_code(monkeypatch, BROKEN)
    with pytest.raises(StorageError, match=r"quiz\.db: cannot use database .*syntax error"):
        await Database.open(path)
    assert schema_version(path) == str(LATEST_VERSION)
    columns = [r[1] for r in rows(path, "PRAGMA table_info(users)")]
    assert "ok" not in columns
    assert rows(path, "SELECT display_name FROM users") == [("ann",)]


async def test_the_old_code_refuses_the_upgraded_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "quiz.db"
    await make_current(path)
    with monkeypatch.context() as patch:
        newer_code(patch, FUTURE)
        await (await Database.open(path)).close()
    with pytest.raises(SchemaTooNew, match=f"version {NEXT} is newer than this lrquiz supports"):
        await Database.open(path)


async def test_a_first_release_database_gains_every_later_table_and_keeps_its_players(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "quiz.db"
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:1])
        patch.setattr(migrations, "LATEST_VERSION", MIGRATIONS[0].version)
        # The first release folded no queues (it had none).
        patch.setattr(database, "fold_queues", lambda conn: None)
        await make_current(path)
    await (await Database.open(path)).close()
    assert schema_version(path) == str(LATEST_VERSION)
    assert rows(path, "SELECT display_name FROM users") == [("ann",)]
    assert rows(path, "SELECT COUNT(*) FROM platform_actions") == [(0,)]
