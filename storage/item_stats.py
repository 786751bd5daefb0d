"""The first try of every answered run question, for item analysis (read-only)."""

from __future__ import annotations

import sqlite3

from bot.engine.item_analysis import Response

_FIRST_TRIES = """
SELECT q.session_id, q.problem_id, a.choice, COALESCE(a.correct, 0), a.answered_at - q.opened_at
FROM questions q
JOIN sessions s ON s.id = q.session_id
JOIN users u ON u.id = s.user_id
LEFT JOIN attempts a ON a.session_id = q.session_id AND a.idx = q.idx AND a.attempt_no = 1
WHERE s.pack_id = :pack AND q.outcome IN ('correct', 'wrong', 'expired')
  AND (:platform IS NULL OR (u.platform = :platform AND u.workspace = :workspace))
ORDER BY q.session_id, q.idx
"""


def first_tries(
    conn: sqlite3.Connection,
    pack_id: str,
    platform: str | None = None,
    workspace: str | None = None,
) -> list[Response]:
    """One response per answered (not skipped) question of the pack, timeouts as wrong;
    only one workspace's players when `platform` and `workspace` are given."""
    scope = {"pack": pack_id, "platform": platform, "workspace": workspace}
    return [
        Response(run_id, problem_id, choice, bool(right), seconds)
        for run_id, problem_id, choice, right, seconds in conn.execute(_FIRST_TRIES, scope)
    ]
