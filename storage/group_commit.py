"""Group commit, shared by both engines: units of work that arrive while the database is
busy wait in one queue and are handed over together, at most MAX_BATCH at a time; each
caller gets its own result (or error) only after the batch's transaction has ended."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")
Unit = Callable[[Any], Any]
# (ok, value): the unit's result, or the exception to raise to its caller.
Outcome = tuple[bool, Any]
# Units committed together at most; bounds the latency one batch adds to its last unit.
MAX_BATCH = 256


class GroupCommit:
    def __init__(
        self,
        run_batch: Callable[[list[Unit]], Awaitable[list[Outcome]]],
        refused: Callable[[Exception], Exception],
    ) -> None:
        """`run_batch(units)` runs them in the engine's transaction(s), one outcome each;
        `refused(exc)` turns a batch that failed as a whole into each caller's error."""
        self._run_batch = run_batch
        self._refused = refused
        self._pending: list[tuple[Unit, asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None
        self.batches = 0  # batches handed over so far (benchmarks report units per batch)

    async def submit(self, fn: Callable[[Any], T]) -> T:
        future: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._pending.append((fn, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def drained(self) -> None:
        """Wait until every submitted unit has its outcome (before closing)."""
        if self._flusher is not None:
            await asyncio.shield(self._flusher)

    async def _flush(self) -> None:
        while self._pending:
            batch = [(fn, fut) for fn, fut in self._pending[:MAX_BATCH] if not fut.cancelled()]
            del self._pending[:MAX_BATCH]
            if not batch:
                continue
            self.batches += 1
            try:
                outcomes = await self._run_batch([fn for fn, _ in batch])
            except Exception as exc:  # e.g. the write lock stayed busy past the timeout
                outcomes = [(False, self._refused(exc))] * len(batch)
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)
