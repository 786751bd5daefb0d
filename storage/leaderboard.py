"""Leaderboard queries: points and accuracy per player within one workspace and period.

Only ranked modes (challenge, test, live) count, so untimed practice can't tilt accuracy or
ties. Reads come from `leaderboard_totals`; `refresh_totals` folds in the score rows that
wait in `unfolded_scores` (a trigger queues every new score) and empties that queue. SQLite
runs it in every write transaction, just before COMMIT; PostgreSQL right after each commit,
one folder at a time (storage/pg_database.py), so concurrent answers never meet on the
totals. Either way it has run before an answer is shown, and reading a board never writes.
The same fold keeps `leaderboard_points` (players per points and correct) equal to a count
over the totals, for ranks.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class LeaderboardRow:
    rank: int
    user_id: int
    name: str
    points: int
    correct: int
    answered: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.answered if self.answered else 0.0


# Ties break deterministically: more points, then more correct, then fewer answered
# (better accuracy), then whoever joined first. The index `leaderboard_rank` has this order.
_SCOPE = (
    "t.platform = :platform AND t.workspace = :workspace AND t.period = :period "
    "AND t.period_start = :start"
)
_TOP = f"""
SELECT t.user_id, u.display_name, t.points, t.correct, t.answered
FROM leaderboard_totals t JOIN users u ON u.id = t.user_id
WHERE {_SCOPE}
ORDER BY t.points DESC, t.correct DESC, t.answered ASC, t.user_id ASC
LIMIT :limit
"""
_MINE = f"""
SELECT t.user_id, u.display_name, t.points, t.correct, t.answered
FROM leaderboard_totals t JOIN users u ON u.id = t.user_id
WHERE {_SCOPE} AND t.user_id = :user
"""
# Counted from `leaderboard_points` (how many players hold each points and correct pair),
# so a rank walks the distinct pairs above the caller instead of every player ahead
# (counting those grew with the community: 8 ms at 25 k players); only players tied on
# both are counted one by one, on the `leaderboard_rank` index.
_MORE_POINTS = (
    "SELECT COALESCE(SUM(t.players), 0) FROM leaderboard_points t "
    f"WHERE {_SCOPE} AND t.points > :points"
)
_TIES_AHEAD = f"""
SELECT (SELECT COALESCE(SUM(t.players), 0) FROM leaderboard_points t
        WHERE {_SCOPE} AND t.points = :points AND t.correct > :correct)
     + (SELECT COUNT(*) FROM leaderboard_totals t
        WHERE {_SCOPE} AND t.points = :points AND t.correct = :correct
          AND (t.answered < :answered OR (t.answered = :answered AND t.user_id < :user)))
"""

# The queued score rows: a range of `scores` by id first (the queue's oldest to newest),
# so no planner can start from the queue's unreliable statistics and walk every score.
QUEUED = (
    "s.id BETWEEN :low AND :high "
    "AND s.id IN (SELECT score_id FROM unfolded_scores WHERE score_id BETWEEN :low AND :high)"
)
# The totals rows that the queued score rows add to, with their sums. Every statement of a
# fold reads the queue alike: inside one transaction (one snapshot on PostgreSQL).
_DELTA = f"""
SELECT u.platform, u.workspace, p.period,
       CASE p.period
           WHEN 'day' THEN date(s.scored_at, 'unixepoch')
           WHEN 'week' THEN date(s.scored_at, 'unixepoch', 'weekday 0', '-6 days')
           WHEN 'month' THEN date(s.scored_at, 'unixepoch', 'start of month')
           ELSE ''
       END AS start,
       s.user_id, SUM(s.points) AS points, SUM(s.correct) AS correct, COUNT(*) AS answered
FROM scores s JOIN users u ON u.id = s.user_id,
     (SELECT 'day' AS period UNION ALL SELECT 'week' UNION ALL SELECT 'month'
      UNION ALL SELECT 'all') AS p
WHERE s.ranked = 1 AND {QUEUED}
GROUP BY u.platform, u.workspace, p.period, start, s.user_id
"""
# Folds them into the running totals.
_FOLD = f"""
INSERT INTO leaderboard_totals(platform, workspace, period, period_start, user_id,
                               points, correct, answered)
{_DELTA}
ON CONFLICT (platform, workspace, period, period_start, user_id) DO UPDATE SET
    points = leaderboard_totals.points + excluded.points,
    correct = leaderboard_totals.correct + excluded.correct,
    answered = leaderboard_totals.answered + excluded.answered
"""
# Moves the players those totals rows hold, at their current points and correct answers,
# by :sign (-1 before the fold, +1 after), keeping `leaderboard_points` equal to a count
# over the totals.
_MOVE_POINTS = f"""
INSERT INTO leaderboard_points(platform, workspace, period, period_start, points, correct,
                               players)
SELECT t.platform, t.workspace, t.period, t.period_start, t.points, t.correct,
       :sign * COUNT(*)
FROM ({_DELTA}) AS d JOIN leaderboard_totals t
  ON t.platform = d.platform AND t.workspace = d.workspace AND t.period = d.period
 AND t.period_start = d.start AND t.user_id = d.user_id
GROUP BY t.platform, t.workspace, t.period, t.period_start, t.points, t.correct
ON CONFLICT (platform, workspace, period, period_start, points, correct) DO UPDATE SET
    players = leaderboard_points.players + excluded.players
"""


def queued_span(conn: sqlite3.Connection) -> dict[str, int] | None:
    """The ids of the oldest and newest queued score (`low`, `high`), None if none wait."""
    low, high = conn.execute("SELECT MIN(score_id), MAX(score_id) FROM unfolded_scores").fetchone()
    return None if low is None else {"low": low, "high": high}


def refresh_totals(conn: sqlite3.Connection) -> int:
    """Fold the queued score rows into the totals; call inside a write transaction.
    Returns how many were queued."""
    span = queued_span(conn)
    if span is None:
        return 0
    conn.execute(_MOVE_POINTS, {**span, "sign": -1})
    conn.execute(_FOLD, span)
    conn.execute(_MOVE_POINTS, {**span, "sign": 1})
    return conn.execute(
        "DELETE FROM unfolded_scores WHERE score_id BETWEEN :low AND :high", span
    ).rowcount


def rebuild_totals(conn: sqlite3.Connection) -> None:
    """Recompute every running total from scratch (repairs); inside a write transaction."""
    conn.execute("DELETE FROM leaderboard_totals")
    conn.execute("DELETE FROM leaderboard_points")
    conn.execute("DELETE FROM unfolded_scores")
    conn.execute("INSERT INTO unfolded_scores(score_id) SELECT id FROM scores")
    refresh_totals(conn)


def leaderboard(
    conn: sqlite3.Connection,
    platform: str,
    workspace: str,
    period: str,
    period_start: str,
    limit: int = 10,
    me: int | None = None,
) -> tuple[list[LeaderboardRow], LeaderboardRow | None]:
    """The top `limit` rows, and the caller's own row wherever they rank.

    Reads the running totals, which every committed write transaction has folded up to date.
    """
    scope = {"platform": platform, "workspace": workspace, "period": period, "start": period_start}
    rows = [
        LeaderboardRow(rank, *row)
        for rank, row in enumerate(conn.execute(_TOP, {**scope, "limit": limit}), start=1)
    ]
    own = next((row for row in rows if row.user_id == me), None)
    if me is not None and own is None:
        mine = conn.execute(_MINE, {**scope, "user": me}).fetchone()
        if mine is not None:
            user, _name, points, correct, answered = mine
            params = {
                **scope,
                "user": user,
                "points": points,
                "correct": correct,
                "answered": answered,
            }
            ahead = (
                conn.execute(_MORE_POINTS, params).fetchone()[0]
                + conn.execute(_TIES_AHEAD, params).fetchone()[0]
            )
            own = LeaderboardRow(ahead + 1, *mine)
    return rows, own
