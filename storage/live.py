"""Load and save live questions; scores are written when a live question closes."""

from __future__ import annotations

import sqlite3

from bot.engine.errors import GameError
from bot.engine.live import LiveAnswer, LiveState

from .errors import AttemptRejected
from .users import lock_players


class UnknownLiveQuestion(GameError):
    def __init__(self, live_id: str) -> None:
        super().__init__("This live question no longer exists.")
        self.live_id = live_id


def insert_live(
    conn: sqlite3.Connection,
    state: LiveState,
    platform: str,
    workspace: str,
    posted_by: int | None,
) -> None:
    conn.execute(
        "INSERT INTO live_questions(id, platform, workspace, pack_id, problem_id, opened_at, "
        "deadline, posted_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (
            state.id,
            platform,
            workspace,
            state.pack_id,
            state.problem_id,
            state.opened_at,
            state.deadline,
            posted_by,
        ),
    )


def load_live(conn: sqlite3.Connection, live_id: str) -> LiveState:
    row = conn.execute(
        "SELECT id, pack_id, problem_id, opened_at, deadline, closed_at "
        "FROM live_questions WHERE id = ?",
        (live_id,),
    ).fetchone()
    if row is None:
        raise UnknownLiveQuestion(live_id)
    points = {
        user: pts
        for user, pts in conn.execute(
            "SELECT user_id, points FROM scores WHERE live_id = ?", (live_id,)
        )
    }
    answers = tuple(
        LiveAnswer(user, choice, at, bool(hint), bool(correct), points.get(user, 0))
        for user, choice, at, hint, correct in conn.execute(
            "SELECT user_id, choice, answered_at, hint_used, correct FROM live_answers "
            "WHERE live_id = ? ORDER BY answered_at, rowid",
            (live_id,),
        )
    )
    hinted = tuple(
        r[0]
        for r in conn.execute(
            "SELECT user_id FROM live_hints WHERE live_id = ? ORDER BY used_at", (live_id,)
        )
    )
    return LiveState(row[0], row[1], row[2], row[3], row[4], answers, hinted, row[5])


def save_live(conn: sqlite3.Connection, before: LiveState, after: LiveState, now: float) -> None:
    """Persist new answers, hints and the closing (with its score rows)."""
    known = {a.player_id for a in before.answers}
    for answer in after.answers:
        if answer.player_id in known:
            continue
        try:
            conn.execute(
                "INSERT INTO live_answers(live_id, user_id, choice, correct, hint_used, "
                "answered_at) VALUES (?, ?, ?, ?, ?, ?)",
                (
                    after.id,
                    answer.player_id,
                    answer.letter,
                    int(answer.correct),
                    int(answer.hint_used),
                    answer.at,
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise AttemptRejected(str(exc)) from None
    for player_id in set(after.hinted) - set(before.hinted):
        conn.execute(
            "INSERT OR IGNORE INTO live_hints(live_id, user_id, used_at) VALUES (?, ?, ?)",
            (after.id, player_id, now),
        )
    if after.closed_at is not None and before.closed_at is None:
        # The players' rows first: a run unit of one of them (at REPEATABLE READ, which SSI
        # does not see) may be checking this week's scores for the same problem.
        lock_players(conn, [a.player_id for a in after.answers])
        conn.execute(
            "UPDATE live_questions SET closed_at = ? WHERE id = ?", (after.closed_at, after.id)
        )
        conn.executemany(
            "INSERT INTO scores(user_id, mode, ranked, pack_id, problem_id, points, correct, "
            "scored_at, live_id) VALUES (?, 'live', 1, ?, ?, ?, ?, ?, ?)",
            [
                (
                    a.player_id,
                    after.pack_id,
                    after.problem_id,
                    a.points,
                    int(a.correct),
                    after.closed_at,
                    after.id,
                )
                for a in after.answers
            ],
        )


def live_past_deadline(
    conn: sqlite3.Connection, now: float, platform: str | None = None
) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT id FROM live_questions WHERE closed_at IS NULL AND deadline <= :now "
            "AND (:platform IS NULL OR platform = :platform) ORDER BY deadline",
            {"now": now, "platform": platform},
        )
    ]


def next_live_deadline(conn: sqlite3.Connection, platform: str | None = None) -> float | None:
    row = conn.execute(
        "SELECT MIN(deadline) FROM live_questions WHERE closed_at IS NULL "
        "AND (:platform IS NULL OR platform = :platform)",
        {"platform": platform},
    ).fetchone()
    return row[0] if row else None
