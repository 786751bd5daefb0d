"""Upgrading a database written by an older lrquiz: data kept, new schema applied, atomic."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage import migrations
from storage.database import Database
from storage.errors import SchemaTooNew, StorageError
from storage.migrations import MIGRATIONS, Migration

CURRENT = MIGRATIONS[-1].version
NEXT = CURRENT + 1
V2 = Migration(NEXT, "players get a time zone", "ALTER TABLE users ADD COLUMN timezone TEXT;")
# The first statement succeeds, the second fails: the whole migration must roll back.
BROKEN = Migration(NEXT, "a typo", "ALTER TABLE users ADD COLUMN ok TEXT;\nCREATE TABLE (;\n")


def rows(path: Path, sql: str) -> list[tuple]:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


async def make_v1(path: Path) -> None:
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
    await make_v1(path)
    newer_code(monkeypatch, V2)
    db = await Database.open(path)
    await db.close()
    assert rows(path, "SELECT value FROM lrquiz_meta WHERE key = 'schema_version'") == [
        (str(NEXT),)
    ]
    assert rows(path, "SELECT display_name, timezone FROM users") == [("ann", None)]


async def test_a_failing_upgrade_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "quiz.db"
    await make_v1(path)
    newer_code(monkeypatch, BROKEN)
    with pytest.raises(StorageError, match=r"quiz\.db: cannot use database .*syntax error"):
        await Database.open(path)
    assert rows(path, "SELECT value FROM lrquiz_meta WHERE key = 'schema_version'") == [
        (str(CURRENT),)
    ]
    columns = [r[1] for r in rows(path, "PRAGMA table_info(users)")]
    assert "ok" not in columns
    assert rows(path, "SELECT display_name FROM users") == [("ann",)]


async def test_the_old_code_refuses_the_upgraded_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "quiz.db"
    await make_v1(path)
    with monkeypatch.context() as patch:
        newer_code(patch, V2)
        await (await Database.open(path)).close()
    with pytest.raises(SchemaTooNew, match=f"version {NEXT} is newer than this lrquiz supports"):
        await Database.open(path)


def test_versions_increase_so_a_reserved_number_may_be_skipped() -> None:
    versions = [m.version for m in MIGRATIONS]
    assert versions == sorted(set(versions))


async def test_a_version_1_database_gets_the_ratings_tables_and_keeps_its_players(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "quiz.db"
    with monkeypatch.context() as patch:
        patch.setattr(migrations, "MIGRATIONS", MIGRATIONS[:1])
        patch.setattr(migrations, "LATEST_VERSION", 1)
        await make_v1(path)
    assert rows(path, "SELECT value FROM lrquiz_meta WHERE key = 'schema_version'") == [("1",)]
    await (await Database.open(path)).close()
    assert rows(path, "SELECT value FROM lrquiz_meta WHERE key = 'schema_version'") == [
        (str(CURRENT),)
    ]
    assert rows(path, "SELECT display_name FROM users") == [("ann",)]
    for table in ("learner_ratings", "item_ratings", "review_cards"):
        assert rows(path, f"SELECT COUNT(*) FROM {table}") == [(0,)]
