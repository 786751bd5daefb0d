"""Leaderboard queries: points and accuracy per player within one workspace and period.

Only ranked modes (challenge, test) count, so untimed practice can't tilt accuracy or ties.
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
# (better accuracy), then whoever joined first.
_RANKED = """
WITH totals AS (
    SELECT s.user_id, SUM(s.points) AS points, SUM(s.correct) AS correct, COUNT(*) AS answered
    FROM scores s JOIN users u ON u.id = s.user_id
    WHERE u.platform = :platform AND u.workspace = :workspace AND s.ranked = 1
      AND (:since IS NULL OR s.scored_at >= :since)
    GROUP BY s.user_id
), ranked AS (
    SELECT ROW_NUMBER() OVER (ORDER BY points DESC, correct DESC, answered ASC, user_id ASC)
           AS rank, user_id, points, correct, answered
    FROM totals
)
SELECT r.rank, r.user_id, u.display_name, r.points, r.correct, r.answered
FROM ranked r JOIN users u ON u.id = r.user_id
WHERE r.rank <= :limit OR r.user_id = :me
ORDER BY r.rank
"""


def leaderboard(
    conn: sqlite3.Connection,
    platform: str,
    workspace: str,
    since: float | None,
    limit: int = 10,
    me: int | None = None,
) -> tuple[list[LeaderboardRow], LeaderboardRow | None]:
    """The top `limit` rows, and the caller's own row wherever they rank."""
    rows = [
        LeaderboardRow(*row)
        for row in conn.execute(
            _RANKED,
            {
                "platform": platform,
                "workspace": workspace,
                "since": since,
                "limit": limit,
                "me": me,
            },
        )
    ]
    own = next((row for row in rows if row.user_id == me), None)
    return [row for row in rows if row.rank <= limit], own
