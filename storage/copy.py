"""Copy a whole community between databases (SQLite <-> PostgreSQL), and prove the copy.

The source is opened read-only (it must already have this lrquiz's schema) and the
destination migrated, so both have the same tables; every lrquiz table is copied in one
destination transaction, in insertion (rowid) order, parents before children (from the
migrations' REFERENCES clauses). The attempt-limit triggers would refuse the historic
attempts of closed questions, so they are off for the copy's transaction only. Then every
table is compared: its row count and a SHA-256 over its rows in a canonical order (each
row encoded as JSON, the encodings sorted), so text collation or row order cannot differ.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import StorageError
from .factory import AnyDatabase, is_postgres
from .migrations import MIGRATIONS

META = "lrquiz_meta"


@dataclass(frozen=True)
class TableCheck:
    table: str
    rows: int
    digest: str


def lrquiz_tables() -> list[str]:
    """Every table the migrations create, parents first (a table after all it references)."""
    created: list[str] = [META]
    parents: dict[str, set[str]] = {META: set()}
    for migration in MIGRATIONS:
        for name, body in re.findall(
            r"CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?(\w+)\s*\((.*?)\n\s*\);",
            migration.sql,
            re.IGNORECASE | re.DOTALL,
        ):
            if name not in parents:
                created.append(name)
            parents.setdefault(name, set()).update(re.findall(r"REFERENCES\s+(\w+)", body, re.I))
        for name, parent in re.findall(
            r"ALTER\s+TABLE\s+(\w+)\s+ADD\s+COLUMN[^;]*?REFERENCES\s+(\w+)", migration.sql, re.I
        ):
            parents.setdefault(name, set()).add(parent)
    ordered: list[str] = []
    while len(ordered) < len(created):
        ready = [t for t in created if t not in ordered and parents[t] - {t} <= set(ordered)]
        if not ready:
            raise StorageError("the migrations' foreign keys form a cycle; cannot order a copy")
        ordered.extend(ready)
    return ordered


def _columns(conn: Any, table: str) -> list[str]:
    cursor = conn.execute(f"SELECT * FROM {table} LIMIT 0")
    # `rowid` is SQLite's implicit row number, a real column on PostgreSQL: not data.
    return [d[0] for d in cursor.description if d[0] != "rowid"]


def _rows(conn: Any, table: str, columns: list[str]) -> list[tuple]:
    return [
        tuple(r) for r in conn.execute(f"SELECT {', '.join(columns)} FROM {table} ORDER BY rowid")
    ]


def _canonical(value: Any) -> Any:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, float):
        return repr(value)
    return value


def checks(conn: Any, tables: list[str]) -> list[TableCheck]:
    """Row count and canonical digest of each table (the schema version row left out)."""
    found: list[TableCheck] = []
    for table in tables:
        columns = sorted(_columns(conn, table))
        where = " WHERE key != 'schema_version'" if table == META else ""
        encoded = sorted(
            json.dumps([_canonical(v) for v in row], ensure_ascii=False).encode()
            for row in conn.execute(f"SELECT {', '.join(columns)} FROM {table}{where}")
        )
        digest = hashlib.sha256(b"\n".join(encoded)).hexdigest()
        found.append(TableCheck(table, len(encoded), digest))
    return found


def row_total(conn: Any, tables: list[str]) -> int:
    """Rows in the lrquiz tables, not counting the schema version record."""
    total = 0
    for table in tables:
        where = " WHERE key != 'schema_version'" if table == META else ""
        total += conn.execute(f"SELECT COUNT(*) FROM {table}{where}").fetchone()[0]
    return total


def _triggers_off(conn: Any, postgres: bool, tables: list[str]) -> list[str]:
    """Switch the row triggers off for this transaction; returns how to switch them on."""
    if postgres:
        for table in tables:
            conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        return [f"ALTER TABLE {table} ENABLE TRIGGER USER" for table in tables]
    saved = conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall()
    for name, _ in saved:
        conn.execute(f"DROP TRIGGER {name}")
    return [sql for _, sql in saved]


def _reset_identities(conn: Any, tables: list[str]) -> None:
    """PostgreSQL identity columns continue after the copied ids, not from 1."""
    for table, column in conn.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND is_identity = 'YES'"
    ).fetchall():
        if table in tables and column != "rowid":
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'), "
                f"COALESCE((SELECT MAX({column}) FROM {table}), 0) + 1, false)"
            )


async def copy_database(
    src: AnyDatabase, dst: AnyDatabase, dst_where: str, replace: bool = False
) -> list[TableCheck]:
    """Copy every lrquiz row from `src` to `dst` and verify; StorageError on any mismatch."""
    tables = lrquiz_tables()
    present = await dst.run(lambda c: row_total(c, tables))
    if present and not replace:
        raise StorageError(
            f"{dst.path}: the destination already has {present} rows of lrquiz data; "
            "pass --replace to overwrite it"
        )
    snapshot: dict[str, tuple[list[str], list[tuple]]] = {}

    def read(conn: Any) -> None:
        for table in tables:
            columns = _columns(conn, table)
            snapshot[table] = (columns, _rows(conn, table, columns))

    await src.run(read)
    postgres = is_postgres(dst_where)

    def write(conn: Any) -> None:
        restore = _triggers_off(conn, postgres, tables)
        for table in reversed(tables):
            conn.execute(
                f"DELETE FROM {table}" + (" WHERE key != 'schema_version'" if table == META else "")
            )
        for table in tables:
            columns, rows = snapshot[table]
            if table == META:
                rows = [r for r in rows if r[columns.index("key")] != "schema_version"]
            if rows:
                marks = ", ".join("?" for _ in columns)
                conn.executemany(
                    f"INSERT INTO {table}({', '.join(columns)}) VALUES ({marks})", rows
                )
        if postgres:
            _reset_identities(conn, tables)
        for statement in restore:
            conn.execute(statement)

    await dst.transact(write)
    source = await src.run(lambda c: checks(c, tables))
    copied = await dst.run(lambda c: checks(c, tables))
    for want, got in zip(source, copied, strict=True):
        if want != got:
            raise StorageError(
                f"{dst.path}: table {want.table} differs after the copy "
                f"({want.rows} rows in the source, {got.rows} in the copy, or their checksums)"
            )
    return source
