"""Admin schedules: validated management, and firing each occurrence exactly once.

Every occurrence (schedule, local date) is claimed by inserting its row in
`schedule_runs` inside a transaction, so two bot processes, or one restarting around the
fire time, post it once. A bot that was down at fire time posts late once if it is back
within the grace window; beyond that the occurrence is recorded as skipped and logged.
A post that fails for a passing reason (a 5xx, a timeout) is retried with backoff while the
occurrence is within the grace window. A claim is at-most-once: if the process dies
between claiming and posting, that day's post is lost rather than risked twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import sqlite3
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.engine.schedule import (
    Occurrence,
    ScheduleError,
    ScheduleSpec,
    latest_occurrence,
    next_occurrence,
    parse_format,
    parse_time_of_day,
    parse_timezone,
    parse_weekdays,
)
from bot.service import GameService
from storage.schedules import (
    StoredSchedule,
    add_schedule,
    claim_occurrence,
    finish_occurrence,
    get_schedule,
    list_schedules,
    remove_schedule,
    set_paused,
)

log = logging.getLogger(__name__)

DEFAULT_GRACE_S = 15 * 60.0
# Waits between tries of a post that failed for a passing reason (a 5xx, a timeout).
RETRY_DELAYS_S = (2.0, 10.0, 30.0, 60.0, 120.0, 300.0)
GRACE_ENV = "LRQUIZ_SCHEDULE_GRACE_S"
Fire = Callable[[StoredSchedule, Occurrence], Awaitable[None]]


@dataclass(frozen=True)
class FireResult:
    schedule_id: str
    local_date: str
    status: str  # posted | failed | skipped


def grace_from_env(value: str | None = None) -> float:
    """Seconds a missed occurrence may still post late ($LRQUIZ_SCHEDULE_GRACE_S).

    ValueError, naming the variable and the value, for anything but a number >= 0.
    """
    raw = (os.environ.get(GRACE_ENV, "") if value is None else value).strip()
    if not raw:
        return DEFAULT_GRACE_S
    try:
        grace = float(raw)
    except ValueError:
        grace = -1.0
    if not grace >= 0:  # also refuses nan
        raise ValueError(f"{GRACE_ENV} must be a number of seconds (0 or more), not {raw!r}")
    return grace


class Schedules:
    """Add, list, pause, resume and remove schedules for one platform."""

    def __init__(self, service: GameService, platform: str) -> None:
        self.service = service
        self.platform = platform

    async def add(
        self,
        workspace: str,
        channel_id: str,
        time_of_day: str,
        timezone: str,
        weekdays: str = "daily",
        pack_id: str | None = None,
        format: str = "card",
        created_by: int | None = None,
    ) -> StoredSchedule:
        """Validate what an admin typed (ScheduleError names the bad value) and store it."""
        if not channel_id.strip():
            raise ScheduleError("channel is missing; name the channel to post in")
        try:
            pack = self.service.pack(pack_id)
        except ValueError as error:
            raise ScheduleError(str(error)) from None
        spec = ScheduleSpec(
            parse_time_of_day(time_of_day),
            parse_timezone(timezone),
            parse_weekdays(weekdays),
            pack.id,
            parse_format(format),
        )
        now = self.service.clock.now()
        return await self.service.db.transact(
            lambda conn: add_schedule(
                conn,
                secrets.token_hex(3),
                self.platform,
                workspace,
                channel_id,
                spec,
                created_by,
                now,
            )
        )

    async def list(self, workspace: str) -> list[StoredSchedule]:
        return await self.service.db.run(
            lambda conn: list_schedules(conn, self.platform, workspace)
        )

    async def home_timezone(self, workspace: str) -> str:
        """The zone a workspace's days are counted in (streaks, cards posted by hand): its
        first schedule's, else UTC."""
        schedules = await self.list(workspace)
        return schedules[0].spec.timezone if schedules else "UTC"

    async def get(self, workspace: str, schedule_id: str) -> StoredSchedule:
        found = await self.service.db.run(
            lambda conn: get_schedule(conn, self.platform, workspace, schedule_id)
        )
        if found is None:
            raise ScheduleError(f"no schedule {schedule_id!r} here; see the schedule list")
        return found

    async def remove(self, workspace: str, schedule_id: str) -> None:
        await self._change(workspace, schedule_id, remove_schedule)

    async def pause(self, workspace: str, schedule_id: str) -> None:
        await self._change(workspace, schedule_id, lambda c, p, w, s: set_paused(c, p, w, s, True))

    async def resume(self, workspace: str, schedule_id: str) -> None:
        await self._change(workspace, schedule_id, lambda c, p, w, s: set_paused(c, p, w, s, False))

    async def _change(
        self,
        workspace: str,
        schedule_id: str,
        change: Callable[[sqlite3.Connection, str, str, str], bool],
    ) -> None:
        done = await self.service.db.transact(
            lambda conn: change(conn, self.platform, workspace, schedule_id.strip())
        )
        if not done:
            raise ScheduleError(f"no schedule {schedule_id!r} here; see the schedule list")


class Scheduler:
    """Fires due occurrences of one platform's schedules through `fire`."""

    def __init__(
        self,
        service: GameService,
        platform: str,
        fire: Fire,
        grace_s: float = DEFAULT_GRACE_S,
        max_sleep_s: float = 30.0,
        retry_delays_s: tuple[float, ...] = RETRY_DELAYS_S,
    ) -> None:
        self.service = service
        self.platform = platform
        self.fire = fire
        self.grace_s = grace_s
        self.retry_delays_s = retry_delays_s
        self.max_sleep_s = max_sleep_s
        self._wake = asyncio.Event()

    def poke(self) -> None:
        """Schedules changed: re-plan the next wake-up."""
        self._wake.set()

    async def tick(self) -> list[FireResult]:
        """Claim and fire (or skip) every occurrence that is due now."""
        now = self.service.clock.now()
        schedules = await self.service.db.run(lambda conn: list_schedules(conn, self.platform))
        results = []
        for schedule in schedules:
            if schedule.paused:
                continue
            occurrence = latest_occurrence(schedule.spec, now, not_before=schedule.created_at)
            if occurrence is None:
                continue
            late = now - occurrence.at > self.grace_s
            status = "skipped" if late else "firing"
            won = await self.service.db.transact(
                lambda conn, o=occurrence, s=schedule, st=status: claim_occurrence(
                    conn, s.id, o.local_date, o.at, now, st
                )
            )
            if not won:
                continue
            if late:
                log.warning(
                    "schedule %s missed %s by %.0f s (grace %.0f s): skipped",
                    schedule.id,
                    occurrence.local_date,
                    now - occurrence.at,
                    self.grace_s,
                )
                results.append(FireResult(schedule.id, occurrence.local_date, "skipped"))
                continue
            results.append(await self._fire(schedule, occurrence))
        return results

    async def _fire(self, schedule: StoredSchedule, occurrence: Occurrence) -> FireResult:
        """Post, retrying a passing failure (`error.transient`) while within the grace."""
        delays = iter(self.retry_delays_s)
        while True:
            try:
                await self.fire(schedule, occurrence)
            except Exception as error:
                delay = next(delays, None)
                late = self.service.clock.now() - occurrence.at
                passing = getattr(error, "transient", False)
                if passing and delay is not None and late + delay <= self.grace_s:
                    log.warning(
                        "schedule %s: posting for %s failed (%s); retrying in %.0f s",
                        schedule.id,
                        occurrence.local_date,
                        error,
                        delay,
                    )
                    await asyncio.sleep(delay)
                    continue
                log.exception(
                    "schedule %s failed to post for %s", schedule.id, occurrence.local_date
                )
                status, detail = "failed", str(error)[:500]
            else:
                status, detail = "posted", ""
            break
        await self.service.db.transact(
            lambda conn: finish_occurrence(conn, schedule.id, occurrence.local_date, status, detail)
        )
        return FireResult(schedule.id, occurrence.local_date, status)

    async def next_fire_at(self) -> float | None:
        now = self.service.clock.now()
        schedules = await self.service.db.run(lambda conn: list_schedules(conn, self.platform))
        upcoming = [next_occurrence(s.spec, now).at for s in schedules if not s.paused]
        return min(upcoming) if upcoming else None

    async def run_forever(self) -> None:
        while True:
            try:
                await self.tick()
                nxt = await self.next_fire_at()
                now = self.service.clock.now()
                delay = (
                    self.max_sleep_s
                    if nxt is None
                    else min(self.max_sleep_s, max(0.0, nxt - now) + 0.05)
                )
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("scheduler tick failed; retrying")
                delay = self.max_sleep_s
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)
