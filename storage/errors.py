"""Storage errors with one-line messages that name the database file."""

from __future__ import annotations


class StorageError(Exception):
    """The database can't be used; `str()` says which file and why, in one line."""


class SchemaTooNew(StorageError):
    pass


class AttemptRejected(StorageError):
    """The database refused an attempt (limit reached or question closed) under a race."""


class WriteRefused(StorageError):
    """The database can be read but not written (read-only file or full disk); reads go on."""


def write_refused(exc: Exception) -> WriteRefused | None:
    """The one-line reason when SQLite refused a write for lack of permission or space."""
    text = str(exc).lower()
    if "readonly" in text or "read-only" in text:
        return WriteRefused("the database is read-only, so nothing can be saved right now")
    if "disk is full" in text or "database or disk is full" in text:
        return WriteRefused("the database's disk is full, so nothing can be saved right now")
    return None
