"""Closes questions at their deadlines even when nobody clicks, for any front end.

On start it sweeps first, so deadlines that passed while the bot was down are closed
before anyone clicks. Every closing is claimed in a database transaction, so when two bot
processes share a database each closed question is reported to exactly one of them; with
`platform` set, a front end only closes its own platform's questions, whose messages it can
edit, when Discord and Slack share one database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from bot.dailies import ClosedDaily, DailyChallenges
from bot.engine.live import LiveState
from bot.engine.state import SessionState
from bot.service import GameService

log = logging.getLogger(__name__)

RunClosed = Callable[[SessionState], Awaitable[None]]
LiveClosed = Callable[[LiveState], Awaitable[None]]
DailyClosedCallback = Callable[[ClosedDaily], Awaitable[None]]


class DeadlineWatcher:
    def __init__(
        self,
        service: GameService,
        on_run_closed: RunClosed,
        on_live_closed: LiveClosed,
        max_sleep_s: float = 15.0,
        platform: str | None = None,
        on_daily_closed: DailyClosedCallback | None = None,
    ) -> None:
        self.service = service
        self.platform = platform
        self.on_daily_closed = on_daily_closed
        self.dailies = DailyChallenges(service)
        self.on_run_closed = on_run_closed
        self.on_live_closed = on_live_closed
        self.max_sleep_s = max_sleep_s
        self._wake = asyncio.Event()

    def poke(self) -> None:
        """A new deadline exists (a question was posted): re-plan the next wake-up."""
        self._wake.set()

    async def sweep(self) -> int:
        """Close everything that is due and notify the front end; returns how many closed."""
        runs = await self.service.close_expired(self.platform)
        lives = await self.service.close_due_live(self.platform)
        for run in runs:
            await self._notify(self.on_run_closed, run)
        for question in lives:
            await self._notify(self.on_live_closed, question)
        days = []
        if self.on_daily_closed is not None:  # a front end that posts daily cards
            days = await self.dailies.close_due(self.platform)
            for day in days:
                await self._notify(self.on_daily_closed, day)
        return len(runs) + len(lives) + len(days)

    async def run_forever(self) -> None:
        while True:
            try:
                await self.sweep()
                delay = await self._delay()
            except asyncio.CancelledError:
                raise
            except Exception:  # a database hiccup must not stop future closings
                log.exception("deadline sweep failed; retrying")
                delay = self.max_sleep_s
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _delay(self) -> float:
        due = [await self.service.next_deadline(self.platform)]
        if self.on_daily_closed is not None:
            due.append(await self.dailies.next_end(self.platform))
        deadline = min((d for d in due if d is not None), default=None)
        if deadline is None:
            return self.max_sleep_s
        # A hair past the deadline, so the sweep finds it due.
        return min(self.max_sleep_s, max(0.0, deadline - self.service.clock.now()) + 0.05)

    async def _notify(self, callback: Callable[[object], Awaitable[None]], item: object) -> None:
        try:
            await callback(item)
        except Exception:
            log.exception("updating a closed question's message failed")
