"""Open the database `--db` / `LRQUIZ_DB` names: a `postgresql://` URL or a SQLite file.

The one place that knows there are two engines; everything above gets an object with the
same `run`, `transact`, `close`, `path` and `session_cache`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Union

if TYPE_CHECKING:
    from .database import Database
    from .pg_database import PgDatabase

AnyDatabase = Union["Database", "PgDatabase"]

URL_SCHEMES = ("postgresql://", "postgres://")


def is_postgres(where: str | Path) -> bool:
    return str(where).strip().lower().startswith(URL_SCHEMES)


def database_exists(where: str | Path) -> bool:
    """Is there a database to read? A server always is; a file only once created."""
    return is_postgres(where) or Path(where).expanduser().exists()


async def open_database(where: str | Path, read_only: bool = False) -> AnyDatabase:
    """Open and migrate `where` (read-only: open as it is, never write)."""
    if is_postgres(where):
        try:
            from .pg_database import PgDatabase
        except ModuleNotFoundError as missing:
            if (missing.name or "").split(".")[0] != "psycopg":
                raise
            from .errors import StorageError

            raise StorageError(
                "a postgresql:// database needs psycopg, lrquiz's optional 'postgres' part: "
                'pip install -e ".[postgres]" in a checkout (the bot image has it)'
            ) from None
        return await PgDatabase.open(str(where).strip(), read_only=read_only)
    from .database import Database

    return await Database.open(where, read_only=read_only)
