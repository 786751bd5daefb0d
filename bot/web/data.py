"""What each dashboard page shows, read through one read-only Database and the loaded packs.

Every method takes the workspace it may read, and every query below it is scoped to that
workspace, so a page can only ever show the workspace its link was signed for.
"""

from __future__ import annotations

import math
import sqlite3
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.engine.badges import badges_of
from bot.engine.clock import Clock, SystemClock
from bot.engine.daily import streak
from bot.engine.periods import period_key
from bot.engine.schedule import local_date, next_occurrence
from bot.engine.stats import Accuracy
from problems.model import LETTERS, Badge, Pack, Problem
from storage.dailies import completed_days
from storage.dashboard import (
    ChoiceTally,
    DayActivity,
    Learner,
    LearnerItem,
    ScheduleRun,
    current_leaderboard,
    daily_activity,
    find_learner,
    first_choice_tallies,
    has_scored,
    last_schedule_runs,
    learner_by_id,
    learner_items,
)
from storage.database import Database
from storage.leaderboard import LeaderboardRow
from storage.schedules import StoredSchedule, list_schedules
from storage.sessions import badge_counts
from storage.stats import problem_tallies

CALENDAR_WEEKS = 13
# Item analysis: fewer first answers than this and the figures are noise, so no other flags.
MIN_ANSWERS = 10


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


@dataclass(frozen=True)
class ScheduleRow:
    schedule: StoredSchedule
    next_at: float | None
    last_run: ScheduleRun | None


@dataclass(frozen=True)
class ItemRow:
    """One problem's item statistics from learners' first attempts in one workspace."""

    pack_id: str
    problem_id: str
    heading: str
    topic: str
    key: str
    n: int
    facility: float | None  # share of first attempts that were right
    discrimination: float | None  # corrected item-total (point-biserial) correlation
    pick_rates: dict[str, float] = field(default_factory=dict)
    flags: tuple[str, ...] = ()


def heading(problem: Problem) -> str:
    """The problem's title, else the start of its prompt."""
    if problem.title:
        return problem.title
    text = " ".join(problem.prompt.split())
    return text if len(text) <= 80 else text[:77].rstrip() + "…"


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
        self.clock = clock or SystemClock()
        self.terminal_zone = terminal_zone

    # --- problems ------------------------------------------------------------------------

    def problem(self, pack_id: str, problem_id: str) -> Problem | None:
        pack = self.packs.get(pack_id)
        if pack is None:
            return None
        return next((p for p in pack.problems if p.id == problem_id), None)

    def badge(self, badge_id: str) -> Badge | None:
        for pack in self.packs.values():
            for badge in badges_of(pack):
                if badge.id == badge_id:
                    return badge
        return None

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
            return (
                daily_activity(conn, learner.id),
                problem_tallies(conn, learner.id),
                badge_counts(conn, learner.id),
                completed_days(conn, learner.id, platform, workspace),
                own,
            )

        days, tallies, badges, completed, rank = await self.db.run(read)
        topics: dict[str, Accuracy] = defaultdict(Accuracy)
        for tally in tallies:
            problem = self.problem(tally.pack_id, tally.problem_id)
            name = problem.topic_name if problem is not None else "retired problems"
            topics[name] = topics[name].add(tally.answered, tally.correct)
        earned = [(b, n) for badge_id, n in badges if (b := self.badge(badge_id)) is not None]
        earned_ids = {b.id for b, _ in earned}
        unearned = [
            b for pack in self.packs.values() for b in badges_of(pack) if b.id not in earned_ids
        ]
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
            unearned=list({b.id: b for b in unearned}.values()),
            streak=streak(completed, today),
            timezone=zone,
            calendar=calendar(today, {d.day: d.answered for d in days}, completed),
            rank=rank,
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
        """The item-analysis page's rows (the one seam a richer analysis module can replace)."""

        def read(conn: sqlite3.Connection):
            return (
                first_choice_tallies(conn, platform, workspace),
                learner_items(conn, platform, workspace),
            )

        choices, items = await self.db.run(read)
        return analyse_items(choices, items, self.problem)


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


def analyse_items(
    choices: Iterable[ChoiceTally],
    items: Iterable[LearnerItem],
    problem_of,
) -> list[ItemRow]:
    """Facility, discrimination, pick rates and flags per problem, hardest first.

    Discrimination is the correlation, over every first attempt, between being right and
    the learner's share of right first attempts on everything else they answered; learners
    with a single answer carry no information about it and are left out.
    """
    picks: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(LETTERS, 0))
    for tally in choices:
        picks[(tally.pack_id, tally.problem_id)][tally.choice] += tally.picks
    items = list(items)
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for item in items:
        totals[item.user_id][0] += item.answered
        totals[item.user_id][1] += item.correct
    sums: dict[tuple[str, str], list[float]] = defaultdict(lambda: [0.0] * 6)
    for item in items:
        n_all, c_all = totals[item.user_id]
        if n_all < 2:
            continue
        right, wrong = item.correct, item.answered - item.correct
        rest_right = (c_all - 1) / (n_all - 1)
        rest_wrong = c_all / (n_all - 1)
        s = sums[(item.pack_id, item.problem_id)]
        s[0] += item.answered
        s[1] += right  # sum of x (= sum of x squared)
        s[2] += right * rest_right + wrong * rest_wrong  # sum of rest
        s[3] += right * rest_right**2 + wrong * rest_wrong**2  # sum of rest squared
        s[4] += right * rest_right  # sum of x * rest
    rows = []
    for (pack_id, problem_id), counts in picks.items():
        problem = problem_of(pack_id, problem_id)
        n = sum(counts.values())
        key = problem.answer if problem is not None else "?"
        right = counts.get(key, 0)
        rates = {letter: counts[letter] / n for letter in LETTERS if n}
        facility = right / n if n else None
        discrimination = _correlation(sums.get((pack_id, problem_id)))
        rows.append(
            ItemRow(
                pack_id=pack_id,
                problem_id=problem_id,
                heading=heading(problem) if problem is not None else "(no longer in a pack)",
                topic=problem.topic_name if problem is not None else "",
                key=key,
                n=n,
                facility=facility,
                discrimination=discrimination,
                pick_rates=rates,
                flags=_flags(n, facility, discrimination, rates, key, problem),
            )
        )
    return sorted(rows, key=lambda r: (r.facility if r.facility is not None else 1.0, r.problem_id))


def _correlation(s: list[float] | None) -> float | None:
    if s is None:
        return None
    count, sx, sr, srr, sxr = s[0], s[1], s[2], s[3], s[4]
    var_x = count * sx - sx * sx
    var_r = count * srr - sr * sr
    if count < 2 or var_x <= 0 or var_r <= 1e-12:
        return None
    return (count * sxr - sx * sr) / math.sqrt(var_x * var_r)


def _flags(
    n: int,
    facility: float | None,
    discrimination: float | None,
    rates: dict[str, float],
    key: str,
    problem: Problem | None,
) -> tuple[str, ...]:
    if problem is None:
        return ("not in any loaded pack",)
    if n < MIN_ANSWERS:
        return (f"only {n} first answers so far",)
    flags = []
    if facility is not None and facility < 0.25:
        flags.append("very hard: under a quarter right")
    if facility is not None and facility > 0.95:
        flags.append("very easy: almost everyone right")
    if discrimination is not None and discrimination < 0:
        flags.append("negative discrimination: check the key")
    elif discrimination is not None and discrimination < 0.2:
        flags.append("weak discrimination")
    key_rate = rates.get(key, 0.0)
    for letter in problem.choices:
        if letter == key:
            continue
        rate = rates.get(letter, 0.0)
        if rate > key_rate:
            flags.append(f"{letter} is picked more often than the key {key}")
        elif rate < 0.05:
            flags.append(f"{letter} is almost never picked")
    return tuple(flags)
