"""The database file: pragmas, migrations, refusing files that aren't ours, and durability."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from storage.database import BUSY_TIMEOUT_MS, Database
from storage.errors import SchemaTooNew, StorageError
from storage.migrations import LATEST_VERSION, OWNED_TABLES
from storage.paths import default_db_path
from storage.users import ensure_user

from .support import query, ref, scalar


def _tables(path: Path) -> set[str]:
    return {row[0] for row in query(path, "SELECT name FROM sqlite_master WHERE type='table'")}


def _snapshot(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), path.stat().st_mtime_ns


# --- pragmas and migrations -----------------------------------------------------------------


async def test_connection_uses_wal_foreign_keys_and_a_busy_timeout(db_path: Path) -> None:
    db = await Database.open(db_path)
    try:

        def pragmas(conn: sqlite3.Connection) -> tuple:
            return tuple(
                conn.execute(f"PRAGMA {name}").fetchone()[0]
                for name in ("journal_mode", "foreign_keys", "busy_timeout")
            )

        journal, foreign_keys, busy = await db.run(pragmas)
    finally:
        await db.close()
    assert journal == "wal"
    assert foreign_keys == 1
    assert busy == BUSY_TIMEOUT_MS and busy >= 1000
    assert scalar(db_path, "PRAGMA journal_mode") == "wal"  # persistent in the file


async def test_fresh_database_gets_the_latest_schema(db_path: Path) -> None:
    db = await Database.open(db_path)
    await db.close()
    assert query(db_path, "SELECT key, value FROM lrquiz_meta") == [
        ("schema_version", str(LATEST_VERSION))
    ]
    assert _tables(db_path) >= {"lrquiz_meta", *OWNED_TABLES}


async def test_missing_folders_are_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "quiz.db"
    db = await Database.open(path)
    await db.close()
    assert path.is_file()


async def test_reopening_is_idempotent_and_keeps_data(db_path: Path) -> None:
    db = await Database.open(db_path)
    player = await db.transact(lambda conn: ensure_user(conn, ref("ada"), 1.0))
    await db.close()
    schema = query(db_path, "SELECT type, name, sql FROM sqlite_master ORDER BY name")
    for _ in range(2):
        db = await Database.open(db_path)
        await db.close()
    assert query(db_path, "SELECT type, name, sql FROM sqlite_master ORDER BY name") == schema
    assert query(db_path, "SELECT id, display_name FROM users") == [(player, "ada")]
    assert query(db_path, "SELECT value FROM lrquiz_meta") == [(str(LATEST_VERSION),)]


async def test_foreign_keys_are_enforced_by_our_connection(db_path: Path) -> None:
    db = await Database.open(db_path)
    try:
        with pytest.raises(sqlite3.IntegrityError):
            await db.transact(
                lambda conn: conn.execute(
                    "INSERT INTO sessions(id, user_id, mode, pack_id, problem_ids, started_at) "
                    "VALUES ('s', 999, 'challenge', 'p', '[]', 0)"
                )
            )
    finally:
        await db.close()
    assert scalar(db_path, "SELECT COUNT(*) FROM sessions") == 0


async def test_a_failed_transaction_leaves_nothing_behind(db_path: Path) -> None:
    db = await Database.open(db_path)

    def half_then_fail(conn: sqlite3.Connection) -> None:
        ensure_user(conn, ref("ghost"), 1.0)
        raise RuntimeError("boom")

    try:
        with pytest.raises(RuntimeError):
            await db.transact(half_then_fail)
        assert await db.run(lambda c: c.execute("SELECT COUNT(*) FROM users").fetchone()[0]) == 0
        await db.transact(lambda conn: ensure_user(conn, ref("ada"), 1.0))  # still usable
    finally:
        await db.close()
    assert scalar(db_path, "SELECT COUNT(*) FROM users") == 1


# --- files that are not (yet) ours ----------------------------------------------------------


def _too_new(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE lrquiz_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
    conn.execute("INSERT INTO lrquiz_meta VALUES ('schema_version', '999')")
    conn.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, future_column TEXT)")
    conn.execute("INSERT INTO users(future_column) VALUES ('from the future')")
    conn.commit()
    conn.close()


def _foreign_users(path: Path) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE users (login TEXT PRIMARY KEY, password_hash TEXT)")
    conn.executemany("INSERT INTO users VALUES (?, ?)", [("root", "x"), ("bob", "y")])
    conn.commit()
    conn.close()


async def test_newer_schema_is_refused_naming_the_file(db_path: Path) -> None:
    _too_new(db_path)
    before = query(db_path, "SELECT * FROM users"), query(db_path, "SELECT * FROM lrquiz_meta")
    with pytest.raises(SchemaTooNew) as caught:
        await Database.open(db_path)
    message = str(caught.value)
    assert isinstance(caught.value, StorageError)
    assert str(db_path) in message and "999" in message and "\n" not in message
    after = query(db_path, "SELECT * FROM users"), query(db_path, "SELECT * FROM lrquiz_meta")
    assert after == before
    assert _tables(db_path) == {"lrquiz_meta", "users"}


async def test_unrelated_users_table_is_refused_without_change(db_path: Path) -> None:
    _foreign_users(db_path)
    with pytest.raises(StorageError) as caught:
        await Database.open(db_path)
    message = str(caught.value)
    assert str(db_path) in message and "'users'" in message and "\n" not in message
    assert _tables(db_path) == {"users"}  # no lrquiz_meta, none of our tables
    assert query(db_path, "SELECT * FROM users ORDER BY login") == [("bob", "y"), ("root", "x")]


@pytest.mark.parametrize("make", [_too_new, _foreign_users], ids=["too-new", "foreign-users"])
async def test_refused_database_file_is_byte_for_byte_unchanged(db_path: Path, make) -> None:
    make(db_path)
    before = _snapshot(db_path)
    with pytest.raises(StorageError):
        await Database.open(db_path)
    assert scalar(db_path, "PRAGMA journal_mode") == "delete"
    assert _snapshot(db_path)[0] == before[0]


async def test_foreign_database_gets_our_tables_and_keeps_its_own(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)")
    conn.executemany("INSERT INTO notes(body) VALUES (?)", [("buy milk",), ("lr=1e-3",)])
    conn.commit()
    conn.close()
    db = await Database.open(db_path)
    await db.transact(lambda c: ensure_user(c, ref("ada"), 1.0))
    await db.close()
    assert _tables(db_path) >= {"notes", "lrquiz_meta", *OWNED_TABLES}
    assert query(db_path, "SELECT id, body FROM notes ORDER BY id") == [
        (1, "buy milk"),
        (2, "lr=1e-3"),
    ]
    assert query(db_path, "SELECT sql FROM sqlite_master WHERE name = 'notes'") == [
        ("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)",)
    ]


@pytest.mark.parametrize(
    "content",
    [
        b"just some notes\nnot a database\n" * 50,
        bytes(range(256)) * 64,
        b"SQLite format 3\x00" + b"\xff" * 200,
    ],
    ids=["text", "random-bytes", "bad-header"],
)
async def test_non_sqlite_file_is_a_one_line_error_and_untouched(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "notes.db"
    path.write_bytes(content)
    before = _snapshot(path)
    with pytest.raises(StorageError) as caught:
        await Database.open(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    assert _snapshot(path) == before
    assert sorted(os.listdir(tmp_path)) == ["notes.db"]  # no -wal/-shm/-journal left over


async def test_directory_path_is_a_storage_error(tmp_path: Path) -> None:
    with pytest.raises(StorageError) as caught:
        await Database.open(tmp_path)
    assert "directory" in str(caught.value) and str(tmp_path) in str(caught.value)


async def test_unwritable_folder_is_a_storage_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StorageError) as caught:
        await Database.open(blocker / "sub" / "quiz.db")
    assert "\n" not in str(caught.value)


# --- users and paths ------------------------------------------------------------------------


async def test_users_are_scoped_by_platform_and_workspace_and_follow_renames(
    db_path: Path,
) -> None:
    db = await Database.open(db_path)
    try:

        def ids(conn: sqlite3.Connection) -> list[int]:
            return [
                ensure_user(conn, ref("ada", "discord", "guild-1"), 1.0),
                ensure_user(conn, ref("ada", "discord", "guild-1"), 2.0),
                ensure_user(conn, ref("ada", "discord", "guild-2"), 3.0),
                ensure_user(conn, ref("ada", "slack", "guild-1"), 4.0),
            ]

        a, again, other_guild, other_platform = await db.transact(ids)
        renamed = await db.transact(
            lambda c: ensure_user(c, type(ref("x"))("discord", "guild-1", "id-ada", "Ada L."), 5.0)
        )
    finally:
        await db.close()
    assert a == again == renamed
    assert len({a, other_guild, other_platform}) == 3
    assert query(db_path, "SELECT display_name, created_at FROM users WHERE id = ?", (a,)) == [
        ("Ada L.", 1.0)
    ]


def test_default_db_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LRQUIZ_DB", str(tmp_path / "x.db"))
    assert default_db_path() == tmp_path / "x.db"
    monkeypatch.delenv("LRQUIZ_DB")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert default_db_path() == tmp_path / "data" / "lrquiz" / "lrquiz.db"
    monkeypatch.delenv("XDG_DATA_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_db_path() == tmp_path / "home" / ".local" / "share" / "lrquiz" / "lrquiz.db"
