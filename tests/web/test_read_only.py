"""Database.open(read_only=True): reads a current database as it is and never writes."""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

import pytest

from storage.database import Database
from storage.errors import StorageError, WriteRefused
from storage.migrations import LATEST_VERSION

from .nobody import as_nobody


async def make(path: Path) -> None:
    db = await Database.open(path)
    await db.close()


async def test_a_read_only_file_in_a_read_only_folder_opens_and_stays_unchanged(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "data"
    path = folder / "quiz.db"
    await make(path)
    before = hashlib.sha256(path.read_bytes()).digest()
    path.chmod(0o444)
    folder.chmod(0o555)
    try:
        db = await Database.open(path, read_only=True)
        try:
            assert await db.run(lambda c: c.execute("SELECT COUNT(*) FROM users").fetchone()) == (
                0,
            )
            with pytest.raises(WriteRefused, match=r"read-only"):
                await db.transact(
                    lambda c: c.execute("INSERT INTO lrquiz_meta(key, value) VALUES ('x', 'y')")
                )
        finally:
            await db.close()
        # A WAL reader may leave an empty -wal and its -shm index (only where it could
        # create them); nothing was written to the database.
        wal = folder / "quiz.db-wal"
        assert not wal.exists() or wal.stat().st_size == 0
        assert hashlib.sha256(path.read_bytes()).digest() == before
    finally:
        folder.chmod(0o755)


async def test_missing_file_is_one_line_and_nothing_is_created(tmp_path: Path) -> None:
    where = tmp_path / "nowhere" / "quiz.db"
    with pytest.raises(StorageError, match=r"quiz.db: no such database file$"):
        await Database.open(where, read_only=True)
    assert not where.parent.exists()


async def test_an_old_or_foreign_schema_is_refused_not_migrated(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    await make(path)
    conn = sqlite3.connect(path)
    conn.execute("UPDATE lrquiz_meta SET value = '0' WHERE key = 'schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match=r"old\.db: this lrquiz database is damaged"):
        await Database.open(path, read_only=True)
    conn = sqlite3.connect(path)
    conn.execute(
        "UPDATE lrquiz_meta SET value = ? WHERE key = 'schema_version'", (str(LATEST_VERSION + 1),)
    )
    conn.commit()
    conn.close()
    with pytest.raises(StorageError, match="newer than this lrquiz supports"):
        await Database.open(path, read_only=True)
    blank = tmp_path / "blank.db"
    sqlite3.connect(blank).close()
    with pytest.raises(StorageError, match="version 0 is not the current one"):
        await Database.open(blank, read_only=True)
    assert sqlite3.connect(blank).execute("SELECT COUNT(*) FROM sqlite_master").fetchone() == (0,)


def _count_users_read_only(path: Path) -> int:
    async def read() -> int:
        db = await Database.open(path, read_only=True)
        try:
            return (await db.run(lambda c: c.execute("SELECT COUNT(*) FROM users").fetchone()))[0]
        finally:
            await db.close()

    return asyncio.run(read())


def test_a_wal_database_in_a_folder_nobody_can_write_opens_read_only() -> None:
    folder = Path(tempfile.mkdtemp(prefix="lrquiz-ro-", dir="/tmp"))
    path = folder / "quiz.db"
    try:
        asyncio.run(make(path))
        conn = sqlite3.connect(path)
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        conn.close()
        path.chmod(0o444)
        folder.chmod(0o555)
        if os.geteuid() == 0:
            assert as_nobody(lambda: f"ok {_count_users_read_only(path)}") == "ok 0"
        else:
            assert _count_users_read_only(path) == 0
        assert sorted(p.name for p in folder.iterdir()) == ["quiz.db"]
    finally:
        folder.chmod(0o755)
        shutil.rmtree(folder)
