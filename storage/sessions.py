"""Load and save run state. `save_session` writes only what changed between two states."""

from __future__ import annotations

import json
import sqlite3

from bot.engine.errors import UnknownSession
from bot.engine.state import QuestionState, SessionState

from .errors import AttemptRejected


def load_session(conn: sqlite3.Connection, session_id: str) -> SessionState:
    row = conn.execute(
        "SELECT id, user_id, mode, pack_id, problem_ids, started_at, finished_at "
        "FROM sessions WHERE id = ?",
        (session_id,),
    ).fetchone()
    if row is None:
        raise UnknownSession(session_id)
    attempts: dict[int, list[str]] = {}
    for idx, choice in conn.execute(
        "SELECT idx, choice FROM attempts WHERE session_id = ? ORDER BY idx, attempt_no",
        (session_id,),
    ):
        attempts.setdefault(idx, []).append(choice)
    questions = tuple(
        QuestionState(
            index=row[0],
            problem_id=row[1],
            opened_at=row[2],
            deadline=row[3],
            max_attempts=row[4],
            attempts=tuple(attempts.get(row[0], ())),
            hint_used=bool(row[5]),
            outcome=row[6],
            points=row[7],
            closed_at=row[8],
        )
        for row in conn.execute(
            "SELECT idx, problem_id, opened_at, deadline, max_attempts, hint_used, outcome, "
            "points, closed_at FROM questions WHERE session_id = ? ORDER BY idx",
            (session_id,),
        )
    )
    badges = tuple(
        r[0]
        for r in conn.execute(
            "SELECT badge_id FROM badges WHERE session_id = ? ORDER BY badge_id", (session_id,)
        )
    )
    return SessionState(
        id=row[0],
        player_id=row[1],
        mode=row[2],
        pack_id=row[3],
        problem_ids=tuple(json.loads(row[4])),
        started_at=row[5],
        questions=questions,
        finished_at=row[6],
        badges=badges,
    )


def save_session(
    conn: sqlite3.Connection, before: SessionState | None, after: SessionState, now: float
) -> None:
    """Persist the transition `before -> after`, made at `now`, in the caller's transaction."""
    if before is None:
        conn.execute(
            "INSERT INTO sessions(id, user_id, mode, pack_id, problem_ids, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                after.id,
                after.player_id,
                after.mode,
                after.pack_id,
                json.dumps(list(after.problem_ids)),
                after.started_at,
            ),
        )
    old_questions = before.questions if before else ()
    for question in after.questions:
        old = old_questions[question.index] if question.index < len(old_questions) else None
        if old != question:
            _save_question(conn, after, old, question, now)
    if after.finished_at is not None and (before is None or before.finished_at is None):
        conn.execute(
            "UPDATE sessions SET finished_at = ? WHERE id = ?", (after.finished_at, after.id)
        )
        conn.executemany(
            "INSERT OR IGNORE INTO badges(user_id, badge_id, pack_id, session_id, awarded_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (after.player_id, badge, after.pack_id, after.id, after.finished_at)
                for badge in after.badges
            ],
        )


def _save_question(
    conn: sqlite3.Connection,
    session: SessionState,
    old: QuestionState | None,
    new: QuestionState,
    now: float,
) -> None:
    if old is None:
        conn.execute(
            "INSERT INTO questions(session_id, idx, problem_id, opened_at, deadline, max_attempts)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (session.id, new.index, new.problem_id, new.opened_at, new.deadline, new.max_attempts),
        )
    known = len(old.attempts) if old else 0
    for number, choice in enumerate(new.attempts[known:], start=known + 1):
        try:
            conn.execute(
                "INSERT INTO attempts(session_id, idx, attempt_no, choice, correct, answered_at) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (
                    session.id,
                    new.index,
                    number,
                    choice,
                    int(new.outcome == "correct" and number == len(new.attempts)),
                    now,
                ),
            )
        except sqlite3.IntegrityError as exc:
            raise AttemptRejected(str(exc)) from None
    if new.hint_used and not (old and old.hint_used):
        conn.execute(
            "INSERT OR IGNORE INTO hints(session_id, idx, used_at) VALUES (?, ?, ?)",
            (session.id, new.index, now),
        )
    if old is not None or new.hint_used or new.outcome is not None:
        conn.execute(
            "UPDATE questions SET hint_used = ?, outcome = ?, points = ?, closed_at = ? "
            "WHERE session_id = ? AND idx = ?",
            (int(new.hint_used), new.outcome, new.points, new.closed_at, session.id, new.index),
        )
    if new.outcome is not None and (old is None or old.outcome is None):
        conn.execute(
            "INSERT INTO scores(session_id, idx, user_id, mode, points, correct, scored_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                session.id,
                new.index,
                session.player_id,
                session.mode,
                new.points,
                int(new.outcome == "correct"),
                new.closed_at,
            ),
        )


def sessions_past_deadline(conn: sqlite3.Connection, now: float) -> list[str]:
    """Runs whose open question's deadline has passed (e.g. while the bot was down)."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT session_id FROM questions "
            "WHERE outcome IS NULL AND deadline IS NOT NULL AND deadline <= ?",
            (now,),
        )
    ]
