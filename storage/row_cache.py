"""Rows the answer path reads back on every closing answer, kept between transactions.

Each closing answer reads a learner's overall and topic rating, the item's rating and the
review card, then writes them back. Reading them again from SQLite was most of what the
learning models added to an answer (benchmarks/answers.py). This write-through cache holds
the last value read or written through ONE connection, absent rows included; writers put
the new value only after its SQL succeeded, so cache and tables never disagree.

It is valid exactly as long as that connection's `SessionCache` is: whenever that one is
emptied (another connection committed, or a transaction rolled back) its `generation`
moves and this cache forgets everything too.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from .sessions import SessionCache

T = TypeVar("T")
_ABSENT = object()  # a looked-up key whose row does not exist (None is a cached value too)


class RowCache:
    def __init__(self, validity: SessionCache, capacity: int = 200_000) -> None:
        self.validity = validity
        self.capacity = capacity
        self._rows: dict[Hashable, Any] = {}
        self._generation = validity.generation

    def get(self, key: Hashable, load: Callable[[], T]) -> T:
        """The cached value of `key`, or `load()` (run on the connection) remembered."""
        self._check()
        value = self._rows.get(key, _ABSENT)
        if value is _ABSENT:
            value = load()
            self._store(key, value)
        return value  # type: ignore[return-value]

    def put(self, key: Hashable, value: Any) -> None:
        """What was just written for `key` (call after the write succeeded)."""
        self._check()
        self._store(key, value)

    def clear(self) -> None:
        self._rows.clear()

    def _check(self) -> None:
        if self.validity.generation != self._generation:
            self._rows.clear()
            self._generation = self.validity.generation

    def _store(self, key: Hashable, value: Any) -> None:
        if len(self._rows) >= self.capacity:
            self._rows.clear()  # simple bound: a full cache starts over
        self._rows[key] = value
