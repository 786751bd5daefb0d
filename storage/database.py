"""One aiosqlite connection with the pragmas and transaction discipline lrquiz relies on."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import aiosqlite

from .errors import StorageError
from .migrations import migrate

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000


class Database:
    """A migrated database. Work runs as plain sqlite3 functions on aiosqlite's thread.

    `transact` runs a whole read-decide-write unit in ONE hop to the database thread inside
    `BEGIN IMMEDIATE ... COMMIT`, so a result is committed before anyone is told it, and two
    processes sharing the file serialise on SQLite's write lock instead of interleaving.
    """

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self.path = path

    @classmethod
    async def open(cls, path: str | Path) -> Database:
        where = str(path)
        if where != ":memory:":
            target = Path(path).expanduser()
            if target.is_dir():
                raise StorageError(f"{where}: is a directory, not a database file")
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"{where}: cannot create its folder ({exc.strerror})") from None
        try:
            conn = await aiosqlite.connect(where, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"{where}: cannot open database ({exc})") from None
        db = cls(conn, where)
        try:
            await db.run(_configure)
            await db.run(lambda c: migrate(c, where))
        except StorageError:
            await conn.close()
            raise
        except sqlite3.Error as exc:
            await conn.close()
            raise StorageError(f"{where}: cannot use database ({exc})") from None
        return db

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` on the database thread, outside any explicit transaction."""
        # aiosqlite's own primitive for "call this on the connection thread"; using it keeps
        # a multi-statement unit to a single thread hop.
        return await self._conn._execute(lambda: fn(self._conn._conn))

    async def transact(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` atomically; any exception rolls everything back."""
        return await self.run(lambda conn: _in_transaction(conn, fn))

    async def close(self) -> None:
        await self._conn.close()


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode.lower() not in ("wal", "memory"):
        raise StorageError(f"cannot switch to WAL journal mode (got {mode})")
    conn.execute("PRAGMA synchronous = NORMAL")


def _in_transaction(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn)
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return result
