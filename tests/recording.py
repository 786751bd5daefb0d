"""A sqlite3 connection that notes every statement it runs, with its parameters.

Installed in place of a Database's real connection (the query-plan test, the answers
benchmark's like-for-like replay); everything else is passed through untouched.
"""

from __future__ import annotations

import sqlite3
from typing import Any

# (method, sql, parameters): "execute" with one parameter set, "executemany" with a list.
Statement = tuple[str, str, Any]


class RecordingConnection:
    def __init__(self, conn: sqlite3.Connection, seen: list[Statement]) -> None:
        self._conn = conn
        self.seen = seen

    def execute(self, sql: str, params: Any = ()) -> sqlite3.Cursor:
        self.seen.append(("execute", sql, params))
        return self._conn.execute(sql, params)

    def executemany(self, sql: str, rows: Any) -> sqlite3.Cursor:
        rows = list(rows)
        self.seen.append(("executemany", sql, rows))
        return self._conn.executemany(sql, rows)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._conn, name)


def record(db: Any, seen: list[Statement]) -> sqlite3.Connection:
    """Put a recorder in front of `db`'s (a storage.database.Database) connection; returns
    the real one, to put back with `restore`."""
    real = db._conn._conn
    db._conn._connection = RecordingConnection(real, seen)
    return real


def restore(db: Any, real: sqlite3.Connection) -> None:
    db._conn._connection = real
