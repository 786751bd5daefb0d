"""Real PyTorch output for the bank, fetched in the background so no page waits for it.

The runner caches by code, so asking it again after a restart costs little; here each
problem is asked once per process and the answer kept in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from bot.real_output import RealOutput, Runner, fetch_real_output, shows_real_output
from problems.model import Problem

log = logging.getLogger(__name__)


class RealOutputs:
    def __init__(self, runner: Runner | None, off_reason: str = "no runner is configured") -> None:
        self.runner = runner
        self.off_reason = off_reason
        self._known: dict[str, RealOutput] = {}
        self._task: asyncio.Task[None] | None = None

    def start(self, problems: Iterable[Problem]) -> None:
        wanted = [p for p in problems if shows_real_output(p)]
        if self.runner is not None and wanted:
            self._task = asyncio.create_task(self._fetch_all(wanted))

    async def _fetch_all(self, problems: list[Problem]) -> None:
        for problem in problems:
            if problem.code in self._known:
                continue
            result = await fetch_real_output(self.runner, problem)
            if result is not None:
                self._known[problem.code or ""] = result
                if not result.available:
                    log.info("real output for %s unavailable: %s", problem.id, result.reason)

    def get(self, problem: Problem) -> RealOutput | None:
        """None when the problem shows no real output; else the output or why it is missing."""
        if not shows_real_output(problem):
            return None
        if self.runner is None:
            return RealOutput(False, reason=self.off_reason)
        known = self._known.get(problem.code or "")
        if known is not None:
            return known
        return RealOutput(False, reason="the runner has not finished this one yet; reload soon")

    async def wait(self) -> None:
        """For tests and --open: until every fetch has finished."""
        if self._task is not None:
            await asyncio.shield(self._task)

    async def aclose(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
