"""A PostgreSQL connection that the storage functions can use as if it were sqlite3's.

The storage functions take a `sqlite3.Connection` and use a small part of it: `execute`
and `executemany` with `?` or `:name` parameters, cursors that iterate and fetch tuples,
`rowcount`, and sqlite3's exception classes (`IntegrityError` when the database refuses a
row). This class offers exactly that over psycopg 3, translating each statement once
(storage.pg_dialect) and raising the same sqlite3 exception classes, so no storage module
has a second copy of its SQL or its error handling.

Serialization failures and deadlocks are remembered (`must_retry`) even if a caller
swallows the exception: the transaction is then dead and the database reruns it.
"""

from __future__ import annotations

import functools
import re
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import psycopg
from psycopg import errors as pg_errors

from .pg_dialect import Translated, is_ddl, translate, translate_ddl

Params = Sequence[Any] | Mapping[str, Any]

# SQLite's catalog, as a per-connection view, so schema checks read the same on both.
_CATALOG = """
CREATE TEMP VIEW sqlite_master AS
SELECT 'table'::text AS type, c.relname::text AS name, c.relname::text AS tbl_name
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'p')
UNION ALL
SELECT 'index', i.relname::text, t.relname::text
FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
JOIN pg_namespace n ON n.oid = i.relnamespace
WHERE n.nspname = current_schema() AND NOT x.indisprimary AND NOT x.indisunique
UNION ALL
SELECT 'trigger', g.tgname::text, t.relname::text
FROM pg_trigger g JOIN pg_class t ON t.oid = g.tgrelid
JOIN pg_namespace n ON n.oid = t.relnamespace
WHERE n.nspname = current_schema() AND NOT g.tgisinternal
"""

RETRYABLE = (pg_errors.SerializationFailure, pg_errors.DeadlockDetected)


class RetryTransaction(sqlite3.OperationalError):
    """PostgreSQL aborted the transaction to keep it serializable; run it again."""


class PgConnection:
    """sqlite3.Connection's shape over one psycopg connection in autocommit mode.

    Explicit BEGIN / COMMIT statements make the transactions; the session's default
    isolation level is SERIALIZABLE.
    """

    def __init__(self, raw: psycopg.Connection[Any]) -> None:
        self.raw = raw
        self.must_retry = False
        self.failed = False  # a statement failed: the transaction is aborted
        self.changes = 0  # rows written so far, like sqlite3's total_changes
        self.queued = False  # this transaction queued rows for the fold (storage.folds)

    @classmethod
    def connect(cls, url: str, read_only: bool = False) -> PgConnection:
        options = "-c default_transaction_isolation=serializable -c TimeZone=UTC"
        raw = psycopg.connect(
            url,
            autocommit=True,
            cursor_factory=psycopg.RawCursor,
            options=options,
            connect_timeout=10,
        )
        raw.execute("SET client_min_messages = warning")
        raw.execute(_CATALOG)  # a temporary view: allowed before the session turns read-only
        if read_only:
            raw.execute("SET default_transaction_read_only = on")
        return cls(raw)

    @property
    def in_transaction(self) -> bool:
        return self.raw.info.transaction_status != psycopg.pq.TransactionStatus.IDLE

    def execute(self, sql: str, params: Params = ()) -> psycopg.Cursor[Any]:
        cursor = self.raw.cursor()
        if is_ddl(sql):
            if params:
                raise sqlite3.ProgrammingError("DDL takes no parameters")
            for statement in translate_ddl(sql):
                self._run(cursor.execute, statement)
            self.changes += 1
            return cursor
        translated = translate(sql)
        self._run(cursor.execute, translated.sql, _ordered(translated, params))
        if translated.writes:
            self.changes += max(cursor.rowcount, 0)
            self.queued = self.queued or queues_for_fold(sql)
        return cursor

    def executemany(self, sql: str, rows: Iterable[Params]) -> psycopg.Cursor[Any]:
        translated = translate(sql)
        cursor = self.raw.cursor()
        batch = [_ordered(translated, row) for row in rows]
        if batch:
            self._run(cursor.executemany, translated.sql, batch)
            self.changes += len(batch)
            self.queued = self.queued or queues_for_fold(sql)
        return cursor

    def explain(self, sql: str, params: Params = ()) -> dict[str, Any]:
        """PostgreSQL's plan for one sqlite-dialect statement, without running it (the
        query-plan test reads these)."""
        translated = translate(sql)
        cursor = self.raw.cursor()
        self._run(
            cursor.execute, f"EXPLAIN (FORMAT JSON) {translated.sql}", _ordered(translated, params)
        )
        return cursor.fetchone()[0][0]["Plan"]

    def close(self) -> None:
        self.raw.close()

    def _run(self, call: Any, *args: Any) -> None:
        try:
            call(*args)
        except psycopg.Error as exc:
            self.failed = True
            raise self._as_sqlite(exc) from exc

    def _as_sqlite(self, exc: psycopg.Error) -> sqlite3.Error:
        """The sqlite3 exception class a storage function expects for this failure."""
        text = (exc.diag.message_primary or str(exc)).splitlines()[0]
        if isinstance(exc, RETRYABLE) or (
            isinstance(exc, pg_errors.InFailedSqlTransaction) and self.must_retry
        ):
            self.must_retry = True
            return RetryTransaction(f"postgresql: {text}")
        if isinstance(exc, psycopg.IntegrityError):
            return sqlite3.IntegrityError(text)
        if isinstance(exc, pg_errors.ReadOnlySqlTransaction | pg_errors.InsufficientPrivilege):
            return sqlite3.OperationalError(f"attempt to write a readonly database ({text})")
        if isinstance(exc, pg_errors.DiskFull):
            return sqlite3.OperationalError(f"database or disk is full ({text})")
        if isinstance(exc, psycopg.OperationalError | psycopg.ProgrammingError):
            # sqlite3 reports bad SQL (no such table, syntax) as OperationalError too.
            return sqlite3.OperationalError(f"postgresql: {text}")
        return sqlite3.DatabaseError(f"postgresql: {text}")


@functools.lru_cache(maxsize=1024)
def queues_for_fold(sql: str) -> bool:
    """Does this statement insert score rows (which a trigger queues for the fold) or item
    evidence (itself a queue)?"""
    return _QUEUEING_INSERT.match(sql) is not None


_QUEUEING_INSERT = re.compile(
    r"\s*INSERT\s+(?:OR\s+\w+\s+)?INTO\s+(?:scores|item_evidence)\b", re.IGNORECASE
)


def _ordered(translated: Translated, params: Params) -> list[Any]:
    """The values for `$1, $2, ...` from sqlite3-style parameters."""
    if translated.named != isinstance(params, Mapping) and (translated.sources or params):
        style = "a mapping" if translated.named else "a sequence"
        raise sqlite3.ProgrammingError(f"this statement's placeholders need {style} of values")
    if not translated.named and len(params) != translated.positional:
        raise sqlite3.ProgrammingError(
            f"the statement has {translated.positional} placeholders, {len(params)} values given"
        )
    values: list[Any] = []
    for key, null_test in translated.sources:
        try:
            value = params[key]  # type: ignore[index]
        except KeyError:
            raise sqlite3.ProgrammingError(f"no value for :{key}") from None
        values.append(value is None if null_test else value)
    return values
