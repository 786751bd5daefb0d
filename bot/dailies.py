"""Daily challenges: one card per channel per day, each member's own timed run of it.

The day's five problems are chosen from the date and channel, never repeating in that
channel until the pack's timed pool is used up. With a runner, one of them is a fresh
variant of a template, made from the same date and channel in every process and stored
with the card (bot/variant_bank.py); without one, the card has fixed problems only. A
member may play the day's challenge once (an unfinished run resumes). The card closes at
local midnight or when the next day's card is posted, and its summary is computed from the
stored runs.
"""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import dataclass, replace

from bot.engine import game
from bot.engine.daily import (
    DailySummary,
    daily_seed,
    select_daily,
    summarize,
    with_variant,
)
from bot.engine.errors import GameError
from bot.engine.schedule import end_of_local_day, local_date, parse_timezone
from bot.engine.state import SessionState
from bot.service import Delivery, Describe, GameService, Step
from problems.model import Pack
from storage.dailies import (
    Daily,
    add_entry,
    close_daily,
    dailies_past_end,
    daily_for_date,
    entry_session,
    entry_sessions,
    get_daily,
    insert_daily,
    next_daily_end,
    open_dailies_in_channel,
    used_in_cycle,
)
from storage.streaks import current_streak
from storage.variants import StoredVariant


class UnknownDaily(GameError):
    def __init__(self) -> None:
        super().__init__("This daily challenge no longer exists.")


class DailyClosed(GameError):
    def __init__(self) -> None:
        super().__init__("This daily challenge has ended; a new one comes with the next day.")


class AlreadyPlayedToday(GameError):
    def __init__(self) -> None:
        super().__init__("You already played today's challenge. Come back tomorrow!")


@dataclass(frozen=True)
class ClosedDaily:
    daily: Daily
    summary: DailySummary


@dataclass(frozen=True)
class DailyPosting:
    """The day's card; `created` is False when it was already posted today."""

    daily: Daily
    created: bool
    closed: list[ClosedDaily]


class DailyChallenges:
    def __init__(self, service: GameService) -> None:
        self.service = service

    async def post(
        self,
        platform: str,
        workspace: str,
        channel_id: str,
        timezone: str,
        pack_id: str | None = None,
        schedule_id: str | None = None,
    ) -> DailyPosting:
        """Today's card for a channel; closes the channel's earlier open cards."""
        parse_timezone(timezone)
        pack = self.service.pack(pack_id)
        now = self.service.clock.now()
        today = local_date(now, timezone).isoformat()
        seed = daily_seed(today, f"{platform}:{workspace}:{channel_id}")
        variant = await self._fresh_variant(pack, seed, platform, workspace, channel_id, today)

        def work(conn: sqlite3.Connection) -> DailyPosting:
            existing = daily_for_date(conn, platform, workspace, channel_id, today)
            if existing is not None:
                return DailyPosting(self._resolvable(conn, existing), False, [])
            closed = [
                self._close(conn, earlier, now)
                for earlier in open_dailies_in_channel(conn, platform, workspace, channel_id)
            ]
            cycle, used = used_in_cycle(conn, platform, workspace, channel_id)
            problem_ids, new_cycle = select_daily(pack, used, seed)
            if variant is not None:  # stored with the card that shows it
                self.service.variants.store_in(conn, variant)
                problem_ids = with_variant(pack, problem_ids, variant.problem)
            daily = Daily(
                id=secrets.token_hex(6),
                platform=platform,
                workspace=workspace,
                channel_id=channel_id,
                local_date=today,
                timezone=timezone,
                pack_id=pack.id,
                problem_ids=tuple(problem_ids),
                cycle=cycle + 1 if new_cycle else cycle,
                schedule_id=schedule_id,
                posted_at=now,
                ends_at=end_of_local_day(now, timezone),
                closed_at=None,
            )
            insert_daily(conn, daily)
            return DailyPosting(daily, True, closed)

        return await self.service.db.transact(work)

    async def _fresh_variant(
        self, pack: Pack, seed: int, platform: str, workspace: str, channel_id: str, today: str
    ) -> StoredVariant | None:
        """The day's fresh variant, made (by the runner) only while the day has no card."""
        exists = await self.service.db.run(
            lambda conn: daily_for_date(conn, platform, workspace, channel_id, today) is not None
        )
        return None if exists else await self.service.variants.daily_variant(pack, seed)

    def _resolvable(self, conn: sqlite3.Connection, daily: Daily) -> Daily:
        """The card, with its variants loaded so the engine and renderers resolve them."""
        self.service.variants.load_in(conn, daily.pack_id, daily.problem_ids)
        return daily

    async def get(self, daily_id: str) -> Daily:
        def read(conn: sqlite3.Connection) -> Daily | None:
            daily = get_daily(conn, daily_id)
            return None if daily is None else self._resolvable(conn, daily)

        daily = await self.service.db.run(read)
        if daily is None:
            raise UnknownDaily()
        return daily

    async def start(self, daily_id: str, player_id: int) -> SessionState:
        """The member's run of this daily: new, or the unfinished one to resume."""
        now = self.service.clock.now()
        return await self.service.db.transact(
            lambda conn: self._start_in(conn, daily_id, player_id, now)
        )

    async def start_for(self, delivery: Delivery, daily_id: str, describe: Describe) -> Step[None]:
        """A card's Start click: the run to show and its reply handle, committed with the
        delivery id (a redelivered click shows the same run and starts nothing)."""
        service = self.service

        def apply(conn: sqlite3.Connection, player_id: int, now: float) -> Step[None]:
            try:
                session = self._start_in(conn, daily_id, player_id, now)
            except GameError as error:
                return Step(player_id, error=error)
            if session.current is not None and session.current.is_past_deadline(now):
                session = service.expire_in(conn, session, now)  # resumed after its time
            service.remember_reply_in(conn, delivery, session.id, now)
            resumed = session.started_at < now
            return Step(player_id, session if resumed else None, session)

        return await service.delivered(delivery, "daily-start", describe, apply)

    def _start_in(
        self, conn: sqlite3.Connection, daily_id: str, player_id: int, now: float
    ) -> SessionState:
        daily = get_daily(conn, daily_id)
        if daily is None:
            raise UnknownDaily()
        entered = entry_session(conn, daily_id, player_id)
        if entered is not None:
            session = self.service.load_run(conn, entered)
            if session.is_finished:
                raise AlreadyPlayedToday()
            return session
        if not daily.is_open or now >= daily.ends_at:
            raise DailyClosed()
        self._resolvable(conn, daily)
        pack = self.service.pack(daily.pack_id)
        session = game.start_with(
            secrets.token_hex(6), player_id, "challenge", pack, list(daily.problem_ids), now
        )
        self.service.save_run(conn, None, session, now)
        add_entry(conn, daily_id, player_id, session.id)
        return session

    async def summary(self, daily_id: str) -> DailySummary:
        def read(conn: sqlite3.Connection) -> DailySummary:
            daily = get_daily(conn, daily_id)
            if daily is None:
                raise UnknownDaily()
            return self._summarize(conn, daily)

        return await self.service.db.run(read)

    async def close_due(self, platform: str | None = None) -> list[ClosedDaily]:
        """Close every card whose local day has ended; each is returned once."""
        now = self.service.clock.now()

        def work(conn: sqlite3.Connection) -> list[ClosedDaily]:
            return [self._close(conn, d, now) for d in dailies_past_end(conn, now, platform)]

        return await self.service.db.transact(work)

    async def next_end(self, platform: str | None = None) -> float | None:
        return await self.service.db.run(lambda conn: next_daily_end(conn, platform))

    async def streak(self, player_id: int, platform: str, workspace: str, timezone: str) -> int:
        """Consecutive completed days up to today (or yesterday, if today isn't done yet)."""
        today = local_date(self.service.clock.now(), timezone)
        return await self.service.db.run(
            lambda conn: current_streak(conn, player_id, platform, workspace, today)
        )

    def _close(self, conn: sqlite3.Connection, daily: Daily, now: float) -> ClosedDaily:
        close_daily(conn, daily.id, now)
        closed = replace(daily, closed_at=now)
        return ClosedDaily(closed, self._summarize(conn, closed))

    def _summarize(self, conn: sqlite3.Connection, daily: Daily) -> DailySummary:
        self._resolvable(conn, daily)  # its card names the hardest problem
        runs = [self.service.load_run(conn, sid) for sid in entry_sessions(conn, daily.id)]
        return summarize(daily.problem_ids, runs)
