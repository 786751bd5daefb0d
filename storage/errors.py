"""Storage errors with one-line messages that name the database file."""

from __future__ import annotations


class StorageError(Exception):
    """The database can't be used; `str()` says which file and why, in one line."""


class SchemaTooNew(StorageError):
    pass


class AttemptRejected(StorageError):
    """The database refused an attempt (limit reached or question closed) under a race."""
