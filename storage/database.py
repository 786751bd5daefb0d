"""One aiosqlite connection with the pragmas and transaction discipline lrquiz relies on."""

from __future__ import annotations

import asyncio
import functools
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from .errors import StorageError, write_refused
from .folds import fold_queues
from .group_commit import GroupCommit
from .migrations import DAMAGED, LATEST_VERSION, check_schema, migrate
from .row_cache import RowCache
from .sessions import SessionCache

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000

Unit = Callable[[sqlite3.Connection], Any]


class Database:
    """A migrated database. Work runs as plain sqlite3 functions on aiosqlite's thread.

    `transact` is group commit: units that arrive while the database thread is busy are run
    together in ONE hop inside one `BEGIN IMMEDIATE ... COMMIT`, and each caller gets its own
    result only after that commit. A unit that raises before writing fails alone; one that
    raises after writing rolls the batch back and every unit is retried in a transaction of
    its own, so units stay atomic and independent. Two processes sharing the file serialise
    on SQLite's write lock.
    """

    def __init__(self, conn: aiosqlite.Connection, path: str) -> None:
        self._conn = conn
        self.path = path
        # Touched only on the database thread; revalidated at the start of every unit of work
        # and emptied whenever a transaction rolls back.
        self.session_cache = SessionCache()
        self.row_cache = RowCache(self.session_cache)  # ratings and cards, same validity
        self._group = GroupCommit(self._execute_batch, _refused)

    @classmethod
    async def open(cls, path: str | Path, read_only: bool = False) -> Database:
        """Open and migrate `path`; with `read_only`, open it as it is and never write.

        A read-only open (the web dashboard) creates no folder, runs no migration and
        refuses a file whose schema is not the current one, so it works on a file and
        folder without write permission.
        """
        where = str(path)
        if read_only:
            return await cls._open_read_only(where)
        if where != ":memory:":
            target = Path(path).expanduser()
            if target.is_dir():
                raise StorageError(f"{where}: is a directory, not a database file")
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StorageError(f"{where}: cannot create its folder ({exc.strerror})") from None
        conn = aiosqlite.connect(where, isolation_level=None)
        try:
            await conn
        except sqlite3.Error as exc:
            await _stopped(conn)
            raise StorageError(f"{where}: cannot open database ({exc})") from None
        except BaseException:  # Ctrl-C while connecting
            await _stopped(conn)
            raise
        return await cls._prepared(conn, where, _prepare)

    @classmethod
    async def _open_read_only(cls, where: str) -> Database:
        target = Path(where).expanduser()
        if not target.is_file():
            raise StorageError(f"{where}: no such database file")
        uri = f"{target.resolve().as_uri()}?mode=ro"
        if _unshareable_wal(target):
            # A WAL file needs its -shm index to be read. No -shm means no writer has it
            # open, and in a folder we cannot write SQLite can't create one, so read the
            # file as a snapshot (a writer that starts later is seen after a restart).
            uri += "&immutable=1"
        try:
            conn = await aiosqlite.connect(uri, uri=True, isolation_level=None)
        except sqlite3.Error as exc:
            raise StorageError(f"{where}: cannot open database read-only ({exc})") from None
        return await cls._prepared(conn, where, _prepare_read_only)

    @classmethod
    async def _prepared(
        cls,
        conn: aiosqlite.Connection,
        where: str,
        prepare: Callable[[sqlite3.Connection, str], None],
    ) -> Database:
        db = cls(conn, where)
        try:
            await db.run(lambda c: prepare(c, where))
        except StorageError:
            await conn.close()
            raise
        except sqlite3.Error as exc:
            await conn.close()
            if "malformed" in str(exc):
                raise StorageError(f"{where}: {DAMAGED} ({exc})") from None
            raise StorageError(f"{where}: cannot use database ({exc})") from None
        except BaseException:
            await conn.close()
            raise
        return db

    async def run(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` on the database thread, outside any explicit transaction."""
        # aiosqlite's own primitive for "call this on the connection thread"; using it keeps
        # a multi-statement unit to a single thread hop.
        return await self._conn._execute(lambda: self._call(fn))

    def _call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        conn = self._conn._conn
        self.session_cache.revalidate(conn)
        return fn(conn)

    async def transact(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run `fn(conn)` atomically and committed; any exception rolls it back."""
        return await self._group.submit(fn)

    async def _execute_batch(self, units: list[Unit]) -> list[tuple[bool, Any]]:
        # Straight to the thread: the batch revalidates the cache once it holds the lock.
        return await self._conn._execute(
            functools.partial(self._run_batch, self._conn._conn, units)
        )

    def _begin(self, conn: sqlite3.Connection) -> None:
        conn.execute("BEGIN IMMEDIATE")
        # Holding the write lock now, so nobody else can commit until we do.
        self.session_cache.revalidate(conn)

    def _run_batch(self, conn: sqlite3.Connection, units: list[Unit]) -> list[tuple[bool, Any]]:
        self._begin(conn)
        outcomes: list[tuple[bool, Any]] = []
        try:
            for unit in units:
                changes = conn.total_changes
                try:
                    outcomes.append((True, unit(conn)))
                except Exception as exc:
                    if conn.total_changes != changes:
                        raise _PartialWrite from exc
                    outcomes.append((False, _refused(exc)))
            self._commit(conn)
        except _PartialWrite:
            self._rollback(conn)
            return [self._run_alone(conn, unit) for unit in units]
        except BaseException:
            self._rollback(conn)
            raise
        return outcomes

    def _run_alone(self, conn: sqlite3.Connection, unit: Unit) -> tuple[bool, Any]:
        self._begin(conn)
        try:
            result = unit(conn)
            self._commit(conn)
        except Exception as exc:
            self._rollback(conn)
            return False, _refused(exc)
        return True, result

    def _commit(self, conn: sqlite3.Connection) -> None:
        """Fold new scores and item evidence (storage.folds) once per transaction, then commit.

        Folding here rather than when a board is read keeps reads free of writes (they work
        on a read-only or full database) and costs two indexed look-ups per batch.
        """
        fold_queues(conn)
        conn.execute("COMMIT")

    def _rollback(self, conn: sqlite3.Connection) -> None:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        self.session_cache.clear()

    async def close(self) -> None:
        await self._group.drained()
        await self._conn.close()


async def _stopped(conn: aiosqlite.Connection) -> None:
    """Let a connection whose open failed finish its thread while the loop still runs;
    its last message to a closed loop would print an "Event loop is closed" traceback."""
    thread = conn._thread
    if thread.is_alive():
        await asyncio.to_thread(thread.join, 5)


def _refused(exc: Exception) -> Exception:
    """A refused write (read-only, disk full) as the typed error front ends explain."""
    if isinstance(exc, sqlite3.OperationalError | sqlite3.DatabaseError):
        return write_refused(exc) or exc
    return exc


def _unshareable_wal(target: Path) -> bool:
    folder = target.resolve().parent
    shm = folder / f"{target.name}-shm"
    return not shm.exists() and not os.access(folder, os.W_OK) and _is_wal(target)


def _is_wal(target: Path) -> bool:
    """The header's read/write version bytes are 2 for a WAL-mode database."""
    try:
        with target.open("rb") as handle:
            header = handle.read(20)
    except OSError:
        return False
    return len(header) == 20 and header[18] == 2


class _PartialWrite(Exception):
    """A unit failed after writing: the batch must be rolled back and retried unit by unit."""


def _prepare(conn: sqlite3.Connection, where: str) -> None:
    """Pragmas and migrations; the checks come first so a refused file stays untouched."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA foreign_keys = ON")
    version = check_schema(conn, where)
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode.lower() not in ("wal", "memory"):
        raise StorageError(f"{where}: cannot switch to WAL journal mode (got {mode})")
    conn.execute("PRAGMA synchronous = NORMAL")
    migrate(conn, version)


def _prepare_read_only(conn: sqlite3.Connection, where: str) -> None:
    """Pragmas a reader may set; the schema must already be exactly this code's."""
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA query_only = ON")
    version = check_schema(conn, where)
    if version != LATEST_VERSION:
        raise StorageError(
            f"{where}: database schema version {version} is not the current one "
            f"({LATEST_VERSION}); open it once with lrquiz play or lrquiz run to migrate it"
        )
