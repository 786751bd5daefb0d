"""Leaderboard queries: points and accuracy per player within one workspace and period.

Only ranked modes (challenge, test, live) count, so untimed practice can't tilt accuracy or
ties. Reads come from `leaderboard_totals`; `refresh_totals` folds in the score rows added
since the last fold (scores are append-only, so a watermark on their id is enough). The
database runs it once per write transaction, just before COMMIT, so reading a board never
writes.
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
# Counted in two index range scans: strictly more points, then ties that break ahead.
_MORE_POINTS = f"SELECT COUNT(*) FROM leaderboard_totals t WHERE {_SCOPE} AND t.points > :points"
_TIES_AHEAD = f"""
SELECT COUNT(*) FROM leaderboard_totals t
WHERE {_SCOPE} AND t.points = :points AND (
    t.correct > :correct
    OR (t.correct = :correct AND (t.answered < :answered
        OR (t.answered = :answered AND t.user_id < :user)))
)
"""

# Folds score rows with id in (:after, :upto] into the running totals.
_FOLD = """
INSERT INTO leaderboard_totals(platform, workspace, period, period_start, user_id,
                               points, correct, answered)
SELECT u.platform, u.workspace, p.period,
       CASE p.period
           WHEN 'day' THEN date(s.scored_at, 'unixepoch')
           WHEN 'week' THEN date(s.scored_at, 'unixepoch', 'weekday 0', '-6 days')
           WHEN 'month' THEN date(s.scored_at, 'unixepoch', 'start of month')
           ELSE ''
       END AS start,
       s.user_id, SUM(s.points), SUM(s.correct), COUNT(*)
FROM scores s JOIN users u ON u.id = s.user_id,
     (SELECT 'day' AS period UNION ALL SELECT 'week' UNION ALL SELECT 'month'
      UNION ALL SELECT 'all') AS p
WHERE s.ranked = 1 AND s.id > :after AND s.id <= :upto
GROUP BY u.platform, u.workspace, p.period, start, s.user_id
ON CONFLICT (platform, workspace, period, period_start, user_id) DO UPDATE SET
    points = leaderboard_totals.points + excluded.points,
    correct = leaderboard_totals.correct + excluded.correct,
    answered = leaderboard_totals.answered + excluded.answered
"""
_WATERMARK = "leaderboard_folded_score_id"


def refresh_totals(conn: sqlite3.Connection) -> int:
    """Fold new score rows into the totals; call inside a write transaction. Returns rows."""
    row = conn.execute("SELECT value FROM lrquiz_meta WHERE key = ?", (_WATERMARK,)).fetchone()
    after = int(row[0]) if row else 0
    upto = conn.execute("SELECT COALESCE(MAX(id), 0) FROM scores").fetchone()[0]
    if upto <= after:
        return 0
    conn.execute(_FOLD, {"after": after, "upto": upto})
    conn.execute(
        "INSERT INTO lrquiz_meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (_WATERMARK, str(upto)),
    )
    return upto - after


def rebuild_totals(conn: sqlite3.Connection) -> None:
    """Recompute every running total from scratch (repairs); inside a write transaction."""
    conn.execute("DELETE FROM leaderboard_totals")
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
