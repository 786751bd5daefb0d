"""Read-only queries for the web dashboard, every one scoped to one platform and workspace.

The dashboard opens the database read-only, so it can never fold new scores into
`leaderboard_totals` as the bot does on its writes. `current_leaderboard` therefore adds the
score rows still queued for a fold on the fly: the totals plus that (usually short) queue
give the same board the bot would show after folding.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from .leaderboard import (
    _MINE,
    _MORE_POINTS,
    _TIES_AHEAD,
    _TOP,
    QUEUED,
    LeaderboardRow,
    leaderboard,
    queued_span,
)


@dataclass(frozen=True)
class Learner:
    id: int
    external_id: str
    name: str
    joined_at: float


@dataclass(frozen=True)
class DayActivity:
    """One UTC day of a learner's finished questions (all modes)."""

    day: str
    answered: int
    correct: int
    points: int


@dataclass(frozen=True)
class ScheduleRun:
    local_date: str
    status: str
    detail: str


Totals = tuple[int, int, int]  # points, correct, answered

# --- learners --------------------------------------------------------------------------


def find_learner(
    conn: sqlite3.Connection, platform: str, workspace: str, external_id: str
) -> Learner | None:
    row = conn.execute(
        "SELECT id, external_id, display_name, created_at FROM users "
        "WHERE platform = ? AND workspace = ? AND external_id = ?",
        (platform, workspace, external_id),
    ).fetchone()
    return Learner(*row) if row else None


def learner_by_id(
    conn: sqlite3.Connection, platform: str, workspace: str, user_id: int
) -> Learner | None:
    """A learner by database id, but only if they belong to this workspace."""
    row = conn.execute(
        "SELECT id, external_id, display_name, created_at FROM users "
        "WHERE id = ? AND platform = ? AND workspace = ?",
        (user_id, platform, workspace),
    ).fetchone()
    return Learner(*row) if row else None


def daily_activity(conn: sqlite3.Connection, user_id: int) -> list[DayActivity]:
    """Answers, right answers and points per UTC day, oldest first (scores_user_time index)."""
    return [
        DayActivity(*row)
        for row in conn.execute(
            "SELECT date(scored_at, 'unixepoch') AS day, COUNT(*), SUM(correct), SUM(points) "
            "FROM scores WHERE user_id = ? GROUP BY day ORDER BY day",
            (user_id,),
        )
    ]


# --- leaderboard -----------------------------------------------------------------------

# The queue only: aggregated from the queued score rows first (a range of ids, see QUEUED),
# then joined to the few users it names (CROSS JOIN keeps that order, instead of a filter
# built over every user).
_PENDING = f"""
SELECT p.user_id, u.display_name, p.points, p.correct, p.answered
FROM (
    SELECT s.user_id, SUM(s.points) AS points, SUM(s.correct) AS correct, COUNT(*) AS answered
    FROM scores s
    WHERE s.ranked = 1 AND {QUEUED}
      AND CASE :period
              WHEN 'day' THEN date(s.scored_at, 'unixepoch')
              WHEN 'week' THEN date(s.scored_at, 'unixepoch', 'weekday 0', '-6 days')
              WHEN 'month' THEN date(s.scored_at, 'unixepoch', 'start of month')
              ELSE ''
          END = :start
    GROUP BY s.user_id
) AS p CROSS JOIN users u ON u.id = p.user_id
WHERE u.platform = :platform AND u.workspace = :workspace
"""
_OLD = """
SELECT user_id, points, correct, answered FROM leaderboard_totals
WHERE platform = :platform AND workspace = :workspace AND period = :period
  AND period_start = :start AND user_id IN (SELECT CAST(value AS INTEGER) FROM json_each(:users))
"""


def _order(row: LeaderboardRow) -> tuple[int, int, int, int]:
    return (-row.points, -row.correct, row.answered, row.user_id)


def _ahead(a: Totals, a_user: int, b: Totals, b_user: int) -> bool:
    """Does (a, a_user) rank strictly ahead of (b, b_user)?"""
    return (-a[0], -a[1], a[2], a_user) < (-b[0], -b[1], b[2], b_user)


def current_leaderboard(
    conn: sqlite3.Connection,
    platform: str,
    workspace: str,
    period: str,
    period_start: str,
    limit: int = 10,
    me: int | None = None,
) -> tuple[list[LeaderboardRow], LeaderboardRow | None]:
    """The board as the bot would show it after folding, without writing anything.

    Only learners with unfolded scores can change place, so the top `limit` lies within the
    totals' top `limit + len(pending)` plus the pending learners; the caller's rank is the
    totals' count ahead, corrected for each pending learner's old and new standing.
    """
    scope = {"platform": platform, "workspace": workspace, "period": period, "start": period_start}
    span = queued_span(conn)
    pending = {
        user: (name, (points, correct, answered))
        for user, name, points, correct, answered in (
            conn.execute(_PENDING, {**scope, **span}) if span else ()
        )
    }
    if not pending:
        return leaderboard(conn, platform, workspace, period, period_start, limit, me)
    old: dict[int, Totals | None] = dict.fromkeys(pending)
    for user, points, correct, answered in conn.execute(
        _OLD, {**scope, "users": json.dumps(list(pending))}
    ):
        old[user] = (points, correct, answered)
    # Learners without pending scores keep their order, so the first `limit` of them in
    # the totals are the only others that can make the top; stop reading there.
    merged: dict[int, tuple[str, Totals]] = {}
    others = 0
    for user, name, points, correct, answered in conn.execute(
        _TOP, {**scope, "limit": limit + len(pending)}
    ):
        if user not in pending:
            merged[user] = (name, (points, correct, answered))
            others += 1
            if others == limit:
                break
    for user, (name, new) in pending.items():
        before = old[user] or (0, 0, 0)
        merged[user] = (name, (before[0] + new[0], before[1] + new[1], before[2] + new[2]))
    ordered = sorted(
        (LeaderboardRow(0, user, name, *totals) for user, (name, totals) in merged.items()),
        key=_order,
    )
    rows = [
        LeaderboardRow(rank, r.user_id, r.name, r.points, r.correct, r.answered)
        for rank, r in enumerate(ordered[:limit], start=1)
    ]
    own = next((row for row in rows if row.user_id == me), None)
    if me is None or own is not None:
        return rows, own
    if me in merged:
        name, mine = merged[me]
    else:
        found = conn.execute(_MINE, {**scope, "user": me}).fetchone()
        if found is None:
            return rows, None
        name, mine = found[1], (found[2], found[3], found[4])
    params = {**scope, "user": me, "points": mine[0], "correct": mine[1], "answered": mine[2]}
    ahead = (
        conn.execute(_MORE_POINTS, params).fetchone()[0]
        + conn.execute(_TIES_AHEAD, params).fetchone()[0]
    )
    for user in pending:
        before = old[user]
        if before is not None and _ahead(before, user, mine, me):
            ahead -= 1  # counted with its stale totals ...
        if user != me and _ahead(merged[user][1], user, mine, me):
            ahead += 1  # ... but this is where it really stands
    return rows, LeaderboardRow(ahead + 1, me, name, *mine)


# --- schedules -------------------------------------------------------------------------


def last_schedule_runs(conn: sqlite3.Connection, schedule_ids: list[str]) -> dict[str, ScheduleRun]:
    """Each schedule's most recent occurrence (posted, failed, skipped or firing)."""
    found: dict[str, ScheduleRun] = {}
    for schedule_id in schedule_ids:
        row = conn.execute(
            "SELECT local_date, status, detail FROM schedule_runs WHERE schedule_id = ? "
            "ORDER BY local_date DESC LIMIT 1",
            (schedule_id,),
        ).fetchone()
        if row is not None:
            found[schedule_id] = ScheduleRun(*row)
    return found


def has_scored(conn: sqlite3.Connection, user_id: int, pack_id: str, problem_id: str) -> bool:
    """Has the learner finished this problem at least once (so its solution is no spoiler)?"""
    return (
        conn.execute(
            "SELECT 1 FROM scores WHERE user_id = ? AND pack_id = ? AND problem_id = ? LIMIT 1",
            (user_id, pack_id, problem_id),
        ).fetchone()
        is not None
    )
