"""What each dashboard page shows, read through one read-only Database and the loaded packs.

Every method takes the workspace it may read, and every query below it is scoped to that
workspace, so a page can only ever show the workspace its link was signed for.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from bot.engine.badges import every_badge
from bot.engine.clock import Clock, SystemClock
from bot.engine.daily import streak
from bot.engine.item_analysis import analyse
from bot.engine.periods import period_key
from bot.engine.schedule import local_date, next_occurrence
from bot.engine.stats import Accuracy, StatsView, build_stats
from problems.model import Badge, Pack, Problem
from storage.dailies import completed_days
from storage.dashboard import (
    DayActivity,
    Learner,
    ScheduleRun,
    current_leaderboard,
    daily_activity,
    find_learner,
    has_scored,
    last_schedule_runs,
    learner_by_id,
)
from storage.database import Database
from storage.item_stats import first_tries
from storage.leaderboard import LeaderboardRow
from storage.learning import learning_summary
from storage.schedules import StoredSchedule, list_schedules
from storage.sessions import badge_counts
from storage.stats import problem_tallies
from storage.variants import resolve_problem, with_stored_variants

from .items import ItemRow, item_rows

CALENDAR_WEEKS = 13


@dataclass(frozen=True)
class Board:
    period: str
    rows: list[LeaderboardRow]
    own: LeaderboardRow | None


@dataclass(frozen=True)
class TopicAccuracy:
    topic: str
    accuracy: Accuracy


@dataclass(frozen=True)
class CalendarDay:
    day: date
    answered: int
    completed_daily: bool
    future: bool


@dataclass(frozen=True)
class Profile:
    learner: Learner
    points: int
    overall: Accuracy
    days: list[DayActivity]
    topics: list[TopicAccuracy]
    badges: list[tuple[Badge, int]]
    unearned: list[Badge]
    streak: int
    timezone: str
    calendar: list[list[CalendarDay]]  # weeks, oldest first; each Monday..Sunday
    rank: LeaderboardRow | None
    # Predicted mastery per topic and spaced-review cards (bot/engine/stats.py).
    learning: StatsView | None = None


@dataclass(frozen=True)
class ScheduleRow:
    schedule: StoredSchedule
    next_at: float | None
    last_run: ScheduleRun | None


class DashboardData:
    def __init__(
        self,
        db: Database,
        packs: Sequence[Pack],
        clock: Clock | None = None,
        terminal_zone: str = "UTC",
    ) -> None:
        self.db = db
        self.packs = {pack.id: pack for pack in packs}
        self.all_badges = every_badge(packs)
        self.clock = clock or SystemClock()
        self.terminal_zone = terminal_zone

    # --- problems ------------------------------------------------------------------------

    def problem(self, pack_id: str, problem_id: str) -> Problem | None:
        pack = self.packs.get(pack_id)
        if pack is None:
            return None
        return next((p for p in pack.problems if p.id == problem_id), None)

    async def find_problem(self, pack_id: str, problem_id: str) -> Problem | None:
        """A fixed problem, else a stored variant, exactly as learners were shown it."""
        pack = self.packs.get(pack_id)
        if pack is None:
            return None
        return await self.db.run(lambda conn: resolve_problem(conn, pack, problem_id))

    def badge(self, badge_id: str) -> Badge | None:
        return self.all_badges.get(badge_id)

    # --- learners and boards ---------------------------------------------------------------

    async def learner(self, platform: str, workspace: str, external_id: str) -> Learner | None:
        return await self.db.run(lambda c: find_learner(c, platform, workspace, external_id))

    async def learner_by_id(self, platform: str, workspace: str, user_id: int) -> Learner | None:
        return await self.db.run(lambda c: learner_by_id(c, platform, workspace, user_id))

    async def has_answered(
        self, platform: str, workspace: str, external_id: str, pack_id: str, problem_id: str
    ) -> bool:
        def read(conn: sqlite3.Connection) -> bool:
            learner = find_learner(conn, platform, workspace, external_id)
            return learner is not None and has_scored(conn, learner.id, pack_id, problem_id)

        return await self.db.run(read)

    async def leaderboard(
        self, platform: str, workspace: str, period: str, me: int | None, limit: int = 25
    ) -> Board:
        start = period_key(period, self.clock.now())
        rows, own = await self.db.run(
            lambda c: current_leaderboard(c, platform, workspace, period, start, limit, me)
        )
        return Board(period, rows, own)

    async def home_timezone(self, platform: str, workspace: str) -> str:
        """Where the workspace's days are counted: the terminal's zone, else the zone of its
        first schedule, else UTC (the bot's rule, bot.scheduler.Schedules.home_timezone)."""
        if platform == "terminal":
            return self.terminal_zone
        schedules = await self.db.run(lambda c: list_schedules(c, platform, workspace))
        return schedules[0].spec.timezone if schedules else "UTC"

    async def profile(self, platform: str, workspace: str, learner: Learner) -> Profile:
        zone = await self.home_timezone(platform, workspace)
        now = self.clock.now()

        def read(conn: sqlite3.Connection):
            _, own = current_leaderboard(conn, platform, workspace, "all", "", 1, learner.id)
            tallies = problem_tallies(conn, learner.id)
            for tally in tallies:  # variants count under their template's topic
                if (pack := self.packs.get(tally.pack_id)) is not None:
                    found = resolve_problem(conn, pack, tally.problem_id)
                    if found is not None:
                        problems[(tally.pack_id, tally.problem_id)] = found
            return (
                daily_activity(conn, learner.id),
                tallies,
                badge_counts(conn, learner.id),
                completed_days(conn, learner.id, platform, workspace),
                own,
                learning_summary(conn, learner.id, list(self.packs.values()), now),
            )

        problems: dict[tuple[str, str], Problem] = {}
        days, tallies, badges, completed, rank, (mastery, recalls) = await self.db.run(read)
        topics: dict[str, Accuracy] = defaultdict(Accuracy)
        for tally in tallies:
            problem = problems.get((tally.pack_id, tally.problem_id))
            name = problem.topic_name if problem is not None else "retired problems"
            topics[name] = topics[name].add(tally.answered, tally.correct)
        earned = [(b, n) for badge_id, n in badges if (b := self.badge(badge_id)) is not None]
        earned_ids = {b.id for b, _ in earned}
        unearned = [b for b in self.all_badges.values() if b.id not in earned_ids]
        today = local_date(now, zone)
        return Profile(
            learner=learner,
            points=sum(t.points for t in tallies),
            overall=Accuracy(sum(t.answered for t in tallies), sum(t.correct for t in tallies)),
            days=days,
            topics=sorted(
                (TopicAccuracy(name, acc) for name, acc in topics.items()),
                key=lambda t: (t.accuracy.ratio, t.topic),
            ),
            badges=earned,
            unearned=unearned,
            streak=streak(completed, today),
            timezone=zone,
            calendar=calendar(today, {d.day: d.answered for d in days}, completed),
            rank=rank,
            learning=build_stats(learner.name, [], [], mastery, recalls),
        )

    # --- admin -------------------------------------------------------------------------

    async def schedules(self, platform: str, workspace: str) -> list[ScheduleRow]:
        now = self.clock.now()

        def read(conn: sqlite3.Connection):
            found = list_schedules(conn, platform, workspace)
            return found, last_schedule_runs(conn, [s.id for s in found])

        found, runs = await self.db.run(read)
        return [
            ScheduleRow(s, None if s.paused else next_occurrence(s.spec, now).at, runs.get(s.id))
            for s in found
        ]

    async def item_analysis(self, platform: str, workspace: str) -> list[ItemRow]:
        """This workspace's first tries, analysed as `lrquiz problems stats` does."""

        def read(conn: sqlite3.Connection) -> list[ItemRow]:
            rows = []
            for pack in self.packs.values():
                responses = first_tries(conn, pack.id, platform, workspace)
                answered = with_stored_variants(conn, pack, (r.problem_id for r in responses))
                rows += item_rows(pack.id, answered, analyse(answered, responses))
            return rows

        rows = await self.db.run(read)
        # Hardest first: the problems most worth a second look.
        return sorted(rows, key=lambda r: (1.0 if r.facility is None else r.facility, r.problem_id))


def calendar(
    today: date, answered_on: dict[str, int], completed: Iterable[date]
) -> list[list[CalendarDay]]:
    """The last CALENDAR_WEEKS Monday-to-Sunday weeks up to the one containing `today`."""
    done = set(completed)
    monday = today - timedelta(days=today.weekday())
    first = monday - timedelta(weeks=CALENDAR_WEEKS - 1)
    weeks = []
    for week in range(CALENDAR_WEEKS):
        days = []
        for offset in range(7):
            day = first + timedelta(weeks=week, days=offset)
            days.append(
                CalendarDay(day, answered_on.get(day.isoformat(), 0), day in done, day > today)
            )
        weeks.append(days)
    return weeks
