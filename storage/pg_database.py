"""The PostgreSQL engine: the same `run` / `transact` interface as storage.database.Database.

Why psycopg 3 (synchronous) on one dedicated thread, not asyncpg: the storage functions are
synchronous `fn(conn)` units of several statements. With asyncpg every statement would
have to hop from a worker thread back to the event loop and back; measured on a local
socket that costs 446 us a statement against 161 us for psycopg on its own thread (2.8x),
and a unit blocked in the database could never stall the loop. This mirrors aiosqlite:
one connection, one thread, units run there whole.

Guarantees, the same as on SQLite:
- Every transaction is SERIALIZABLE, except batches whose units are all `row_locked`
  (storage.isolation: starting and playing a run), which run at REPEATABLE READ and
  protect each decision with a row lock or unique key. Either way PostgreSQL aborts one of
  two racing transactions (processes or machines) with a serialization failure; the whole
  batch then reruns, up to MAX_RETRIES times with a random backoff.
- The fold (storage.folds: leaderboard totals and item difficulties) runs right after
  each COMMIT, not inside the transaction: one folder at a time across every process (an
  advisory lock, taken before its REPEATABLE READ snapshot, so each folder sees everything
  the previous one did). Inside the transaction the fold would make every two concurrent
  answers conflict on the shared totals, players-per-points and item rows. What it folds
  waits in `unfolded_scores` and `item_evidence`, so a fold that fails or a process that
  dies in between leaves it for the next fold.
  Units are re-runnable (the SQLite engine already reruns them alone), and a caller gets
  its result only after COMMIT succeeded: committed before shown.
- Group commit, the same shape as on SQLite: units that queue up while the thread is busy
  share one transaction; a unit refused before it wrote fails alone, one that wrote (or
  hit a database error, which aborts a PostgreSQL transaction) makes every unit of the
  batch rerun in a transaction of its own. (A SAVEPOINT per unit would cost two more
  round trips for every answer.)
- No global lock: only migrations take an advisory lock (two processes starting at once
  must not both create the tables); replicas otherwise run side by side.
- The session cache is emptied at the start of every transaction: another process may
  have committed, and PostgreSQL has no cheap equivalent of `PRAGMA data_version`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg

from .errors import StorageError, write_refused
from .folds import fold_queues
from .group_commit import GroupCommit
from .isolation import all_row_locked
from .migrations import LATEST_VERSION, check_schema, migrate
from .pg_connection import PgConnection, RetryTransaction
from .row_cache import RowCache
from .sessions import SessionCache

T = TypeVar("T")
Unit = Callable[[Any], Any]

MAX_RETRIES = 30
# Any constants work: they only have to be the same in every lrquiz process.
MIGRATION_LOCK = 0x6C72_7175_697A  # "lrquiz"
FOLD_LOCK = MIGRATION_LOCK + 1

log = logging.getLogger(__name__)


class _PartialWrite(Exception):
    """A unit failed after writing: roll the batch back and run each unit alone."""


class PgDatabase:
    """A migrated PostgreSQL database; see the module docstring for the guarantees."""

    def __init__(self, conn: PgConnection, where: str, thread: ThreadPoolExecutor) -> None:
        self._conn = conn
        self._thread = thread
        self.path = where
        self.session_cache = SessionCache()
        # Emptied with the session cache at the start of every transaction (no data_version).
        self.row_cache = RowCache(self.session_cache)
        self._group = GroupCommit(self._execute_batch, _refused)
        # Serialization retries so far, by what PostgreSQL said (benchmarks report them).
        self.retry_reasons: Counter[str] = Counter()

    @classmethod
    async def open(cls, url: str, read_only: bool = False) -> PgDatabase:
        where = redacted(url)
        thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lrquiz-pg")
        loop = asyncio.get_running_loop()
        try:
            conn = await loop.run_in_executor(thread, PgConnection.connect, url, read_only)
        except psycopg.Error as exc:
            thread.shutdown(wait=False)
            lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
            first = lines[0] if lines else type(exc).__name__
            raise StorageError(f"{where}: cannot connect to PostgreSQL ({first})") from None
        db = cls(conn, where, thread)
        prepare = _prepare_read_only if read_only else _prepare
        try:
            await loop.run_in_executor(thread, prepare, conn, where)
            if not read_only:  # scores a process left queued when it died after a commit
                await loop.run_in_executor(thread, db.fold)
        except StorageError:
            await db.close()
            raise
        except Exception as exc:
            await db.close()
            raise StorageError(f"{where}: cannot use database ({exc})") from None
        return db

    @property
    def retries(self) -> int:
        return sum(self.retry_reasons.values())

    @property
    def batches(self) -> int:
        """Group-commit batches so far, each one transaction unless it had to be split."""
        return self._group.batches

    async def run(self, fn: Callable[[Any], T]) -> T:
        """Run `fn(conn)` on the database thread, outside any explicit transaction (each
        statement commits alone); rerun if PostgreSQL refuses a read as a conflict."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._with_retries, lambda: self._call(fn))

    def _call(self, fn: Callable[[Any], T]) -> T:
        self.session_cache.clear()
        self._conn.must_retry = False
        return fn(self._conn)

    async def transact(self, fn: Callable[[Any], T]) -> T:
        """Run `fn(conn)` atomically and committed; any exception rolls it back."""
        return await self._group.submit(fn)

    async def _execute_batch(self, units: list[Unit]) -> list[tuple[bool, Any]]:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._run_batch, units)

    def _run_batch(self, units: list[Unit]) -> list[tuple[bool, Any]]:
        try:
            return self._with_retries(lambda: self._attempt(units))
        except _PartialWrite:
            return [self._run_alone(unit) for unit in units]

    def _run_alone(self, unit: Unit) -> tuple[bool, Any]:
        try:
            return True, self._with_retries(lambda: self._attempt_one(unit))
        except Exception as exc:
            return False, _refused(exc)

    def _with_retries(self, work: Callable[[], T]) -> T:
        """`work()` is one transaction; rerun it while PostgreSQL aborts it as a conflict."""
        for attempt in range(MAX_RETRIES):
            try:
                return work()
            except BaseException as exc:
                self._rollback()
                if not (isinstance(exc, RetryTransaction) or self._conn.must_retry):
                    raise
                self.retry_reasons[str(exc)] += 1
                # Randomised, growing backoff so racing processes stop meeting head-on.
                time.sleep(random.uniform(0, 0.002 * (attempt + 1)))
        raise StorageError(
            f"{self.path}: the transaction kept conflicting with other writers "
            f"({MAX_RETRIES} tries); try again"
        )

    def _begin(self, units: list[Unit]) -> PgConnection:
        """BEGIN at SERIALIZABLE, or REPEATABLE READ when every unit protects its own
        decisions with row locks (storage.isolation)."""
        conn = self._conn
        self.session_cache.clear()
        conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ" if all_row_locked(units) else "BEGIN")
        conn.must_retry = conn.failed = conn.queued = False
        return conn

    def _attempt(self, units: list[Unit]) -> list[tuple[bool, Any]]:
        """All units in one transaction. A unit that raises before writing anything (a game
        rule said no) fails alone; one that wrote or hit a database error (which aborts a
        PostgreSQL transaction) sends every unit to a transaction of its own."""
        conn = self._begin(units)
        outcomes: list[tuple[bool, Any]] = []
        for unit in units:
            changes = conn.changes
            try:
                outcomes.append((True, unit(conn)))
            except Exception as exc:
                if conn.must_retry:
                    raise RetryTransaction(str(exc)) from exc
                if conn.failed or conn.changes != changes:
                    raise _PartialWrite from exc
                outcomes.append((False, _refused(exc)))
            if conn.must_retry:  # the unit swallowed a serialization failure
                raise RetryTransaction("a unit swallowed a serialization failure")
        self._commit(conn)
        return outcomes

    def _attempt_one(self, unit: Unit) -> Any:
        conn = self._begin([unit])
        result = unit(conn)
        if conn.must_retry:
            raise RetryTransaction("a unit swallowed a serialization failure")
        self._commit(conn)
        return result

    def _commit(self, conn: PgConnection) -> None:
        conn.execute("COMMIT")
        if conn.queued:
            self.fold()

    def fold(self) -> None:
        """Fold the queued scores and item evidence (storage.folds); on the database
        thread. A failure is logged, not raised: what was committed stays committed, and
        the queues keep their rows for the next fold."""
        try:
            self._with_retries(self._fold_once)
        except Exception:
            log.exception("%s: folding the leaderboard and item queues failed", self.path)

    def _fold_once(self) -> None:
        """One folder at a time, across every process: the lock is taken before the
        REPEATABLE READ snapshot, so this fold sees everything the previous one did."""
        conn = self._conn
        conn.must_retry = conn.failed = False
        conn.raw.execute("SELECT pg_advisory_lock($1)", (FOLD_LOCK,))
        try:
            conn.raw.execute("BEGIN ISOLATION LEVEL REPEATABLE READ")
            fold_queues(conn)
            conn.raw.execute("COMMIT")
        finally:
            if conn.in_transaction:
                conn.raw.execute("ROLLBACK")
            conn.raw.execute("SELECT pg_advisory_unlock($1)", (FOLD_LOCK,))

    def _rollback(self) -> None:
        self.session_cache.clear()
        if self._conn.in_transaction:
            self._conn.raw.execute("ROLLBACK")

    async def close(self) -> None:
        await self._group.drained()
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._conn.close)
        self._thread.shutdown(wait=True)


def redacted(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.netloc.rsplit("@", 1)[-1]
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def _refused(exc: Exception) -> Exception:
    if isinstance(exc, sqlite3.Error):
        return write_refused(exc) or exc
    return exc


def _prepare(conn: PgConnection, where: str) -> None:
    """Check, then migrate, under the migration lock (released even if refused)."""
    conn.raw.execute("SELECT pg_advisory_lock($1)", (MIGRATION_LOCK,))
    try:
        version = check_schema(conn, where)  # type: ignore[arg-type]
        migrate(conn, version)  # type: ignore[arg-type]
    finally:
        conn.raw.execute("SELECT pg_advisory_unlock($1)", (MIGRATION_LOCK,))


def _prepare_read_only(conn: PgConnection, where: str) -> None:
    version = check_schema(conn, where)  # type: ignore[arg-type]
    if version != LATEST_VERSION:
        raise StorageError(
            f"{where}: database schema version {version} is not the current one "
            f"({LATEST_VERSION}); open it once with lrquiz play or lrquiz run to migrate it"
        )
