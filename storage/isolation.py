"""Which transactions may run below SERIALIZABLE on PostgreSQL.

Under SSI every read takes predicate locks on index pages; two replicas answering for
different players still meet on the rightmost leaf pages of attempts/questions/sessions
(ids are monotonic) and abort each other's whole group-commit batch (issue 16). A unit
marked `row_locked` instead protects each of its read-check-then-write decisions itself,
with row locks and unique keys that REPEATABLE READ enforces (a write to a row another
transaction changed after our snapshot raises a serialization failure, which reruns the
batch), so it does not need SSI. A batch runs at REPEATABLE READ only if every unit in it
is marked; anything else keeps SERIALIZABLE. SQLite ignores the mark: BEGIN IMMEDIATE
already serializes every writer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_MARK = "_lrquiz_row_locked"


def row_locked(unit: F) -> F:
    """Mark `unit` as safe at REPEATABLE READ (see the module docstring for the contract)."""
    setattr(unit, _MARK, True)
    return unit


def all_row_locked(units: Iterable[Callable[..., Any]]) -> bool:
    return all(getattr(unit, _MARK, False) for unit in units)
