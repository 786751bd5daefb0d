"""`lrquiz db copy SRC DST` and `lrquiz db backup [--db PATH] DEST`.

copy moves a community between a SQLite file and PostgreSQL (either way) and verifies it
(storage.copy). backup uses SQLite's online backup API, so it runs while the bot keeps
writing: the copy is one consistent snapshot, written under a temporary name, checked with
`PRAGMA integrity_check` and only then moved to DEST.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
from pathlib import Path
from typing import Any

from storage.errors import StorageError
from storage.factory import is_postgres


def register(subparsers: Any) -> None:
    db = subparsers.add_parser("db", help="copy or back up the quiz database")
    commands = db.add_subparsers(dest="db_command", metavar="{copy,backup}")
    commands.required = True
    copy = commands.add_parser(
        "copy",
        help="copy every row from SRC to DST (SQLite file or postgresql:// URL), verified",
        description="SRC must have this lrquiz's schema; DST is created or migrated and must "
        "be empty unless --replace is given. Row counts and checksums of every table are "
        "compared after the copy.",
    )
    copy.add_argument("src", metavar="SRC")
    copy.add_argument("dst", metavar="DST")
    copy.add_argument(
        "--replace", action="store_true", help="overwrite the lrquiz data already in DST"
    )
    copy.set_defaults(func=copy_command)
    backup = commands.add_parser(
        "backup",
        help="a consistent copy of a SQLite database, also while the bot runs",
    )
    backup.add_argument(
        "--db", default=None, help="database file (default: $LRQUIZ_DB or the default file)"
    )
    backup.add_argument("dest", metavar="DEST", help="the backup file to create")
    backup.set_defaults(func=backup_command)


def copy_command(args: argparse.Namespace) -> int:
    return asyncio.run(_copy(args.src, args.dst, args.replace))


async def _copy(src_where: str, dst_where: str, replace: bool) -> int:
    from storage.copy import copy_database
    from storage.factory import open_database

    for name, where in (("SRC", src_where), ("DST", dst_where)):
        if not where.strip():
            raise StorageError(f"{name} is empty; give a database file or a postgresql:// URL")
    if _same(src_where, dst_where):
        raise StorageError(f"{dst_where}: SRC and DST are the same database")
    if not is_postgres(src_where) and not Path(src_where).expanduser().is_file():
        raise StorageError(f"{src_where}: no such database file")
    src = await open_database(src_where, read_only=True)
    try:
        dst = await open_database(dst_where)
        try:
            tables = await copy_database(src, dst, dst_where, replace)
        finally:
            await dst.close()
    finally:
        await src.close()
    rows = sum(t.rows for t in tables)
    print(
        f"copied {rows} rows in {len(tables)} tables from {src.path} to {dst.path}; "
        "row counts and checksums match"
    )
    return 0


def _same(a: str, b: str) -> bool:
    if is_postgres(a) or is_postgres(b):
        return a.strip() == b.strip()
    return Path(a).expanduser().resolve() == Path(b).expanduser().resolve()


def backup_command(args: argparse.Namespace) -> int:
    from storage.paths import default_db_path

    source = args.db if args.db is not None else default_db_path()
    if is_postgres(source):
        raise StorageError(
            "lrquiz db backup is for SQLite files; back up PostgreSQL with pg_dump, or copy it "
            "to a file with: lrquiz db copy URL FILE"
        )
    written = backup_sqlite(Path(source).expanduser(), Path(args.dest).expanduser())
    print(f"backed up {source} to {args.dest} ({written} bytes, integrity ok)")
    return 0


def backup_sqlite(source: Path, dest: Path) -> int:
    """Online backup of `source` into the new file `dest`; returns its size in bytes."""
    if not source.is_file():
        raise StorageError(f"{source}: no such database file")
    if dest.exists():
        raise StorageError(f"{dest}: already exists; choose a new backup file")
    if not dest.parent.is_dir():
        raise StorageError(f"{dest.parent}: no such folder for the backup")
    partial = dest.with_name(f".{dest.name}.partial")
    try:
        src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
        try:
            src.execute("PRAGMA busy_timeout = 10000")
            out = sqlite3.connect(partial)
            try:
                # One step: in WAL mode it reads one snapshot while writers carry on.
                src.backup(out)
                verdict = out.execute("PRAGMA integrity_check").fetchone()[0]
                out.execute("PRAGMA journal_mode = DELETE")
            finally:
                out.close()
        finally:
            src.close()
        if verdict != "ok":
            raise StorageError(f"{dest}: the backup failed its integrity check ({verdict})")
        os.replace(partial, dest)
    except sqlite3.Error as exc:
        raise StorageError(f"{source}: cannot back up ({exc})") from None
    finally:
        partial.unlink(missing_ok=True)
    return dest.stat().st_size
