"""Leaderboard queries: points and accuracy per player within one workspace and period.

Only ranked modes (challenge, test, live) count, so untimed practice can't tilt accuracy or
ties. Reads come from `leaderboard_totals`; `refresh_totals` folds in the score rows added
since the last fold (scores are append-only, so a watermark on their id is enough). The
database runs it once per write transaction, just before COMMIT, so reading a board never
writes. The same fold keeps `leaderboard_points` (players per points and correct) equal to a
count over the totals, for ranks.
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

# The totals rows that score rows with id in (:after, :upto] add to, with their sums.
_DELTA = """
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
WHERE s.ranked = 1 AND s.id > :after AND s.id <= :upto
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
_WATERMARK = "leaderboard_folded_score_id"


def refresh_totals(conn: sqlite3.Connection) -> int:
    """Fold new score rows into the totals; call inside a write transaction. Returns rows."""
    row = conn.execute("SELECT value FROM lrquiz_meta WHERE key = ?", (_WATERMARK,)).fetchone()
    after = int(row[0]) if row else 0
    upto = conn.execute("SELECT COALESCE(MAX(id), 0) FROM scores").fetchone()[0]
    if upto <= after:
        return 0
    span = {"after": after, "upto": upto}
    conn.execute(_MOVE_POINTS, {**span, "sign": -1})
    conn.execute(_FOLD, span)
    conn.execute(_MOVE_POINTS, {**span, "sign": 1})
    conn.execute(
        "INSERT INTO lrquiz_meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (_WATERMARK, str(upto)),
    )
    return upto - after


def rebuild_totals(conn: sqlite3.Connection) -> None:
    """Recompute every running total from scratch (repairs); inside a write transaction."""
    conn.execute("DELETE FROM leaderboard_totals")
    conn.execute("DELETE FROM leaderboard_points")
    conn.execute("DELETE FROM lrquiz_meta WHERE key = ?", (_WATERMARK,))
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
