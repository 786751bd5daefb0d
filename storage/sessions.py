"""Load and save run state. `save_session` writes only what changed between two states."""

from __future__ import annotations

import json
import sqlite3
from collections import OrderedDict

from bot.engine.errors import UnknownSession
from bot.engine.modes import rules_for
from bot.engine.state import QuestionState, SessionState

from .errors import AttemptRejected
from .users import lock_player


class SessionCache:
    """Recently used runs by id, as last read or written through one connection.

    Valid only while no other connection has committed: the owner checks SQLite's
    `PRAGMA data_version` at the start of every transaction and clears the cache when it
    moved, and clears it on every rollback. `generation` counts those clearings, so other
    caches of the same connection (storage/row_cache.py) follow the same rule.
    """

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, SessionState] = OrderedDict()
        self._data_version: int | None = None
        self.generation = 0

    def get(self, session_id: str) -> SessionState | None:
        session = self._entries.get(session_id)
        if session is not None:
            self._entries.move_to_end(session_id)
        return session

    def put(self, session: SessionState) -> None:
        self._entries[session.id] = session
        self._entries.move_to_end(session.id)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def revalidate(self, conn: sqlite3.Connection) -> None:
        """Forget everything if another connection committed since the last check."""
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._data_version:
            self.clear()
            self._data_version = version

    def clear(self) -> None:
        self._entries.clear()
        self.generation += 1


def load_session(
    conn: sqlite3.Connection, session_id: str, cache: SessionCache | None = None
) -> SessionState:
    if cache is not None and (cached := cache.get(session_id)) is not None:
        return cached
    row = conn.execute(
        "SELECT id, user_id, mode, pack_id, problem_ids, started_at, finished_at "
        "FROM sessions WHERE id = ?",
        (session_id,),
    ).fetchone()
    if row is None:
        raise UnknownSession(session_id)
    session = SessionState(
        id=row[0],
        player_id=row[1],
        mode=row[2],
        pack_id=row[3],
        problem_ids=tuple(json.loads(row[4])),
        started_at=row[5],
        questions=_load_questions(conn, session_id),
        finished_at=row[6],
        badges=_load_badges(conn, session_id) if row[6] is not None else (),
    )
    if cache is not None:
        cache.put(session)
    return session


def _load_questions(conn: sqlite3.Connection, session_id: str) -> tuple[QuestionState, ...]:
    attempts: dict[int, list[str]] = {}
    for idx, choice in conn.execute(
        "SELECT idx, choice FROM attempts WHERE session_id = ? ORDER BY idx, attempt_no",
        (session_id,),
    ):
        attempts.setdefault(idx, []).append(choice)
    return tuple(
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


def _load_badges(conn: sqlite3.Connection, session_id: str) -> tuple[str, ...]:
    return tuple(
        r[0]
        for r in conn.execute(
            "SELECT badge_id FROM badges WHERE session_id = ? ORDER BY rowid", (session_id,)
        )
    )


def save_session(
    conn: sqlite3.Connection,
    before: SessionState | None,
    after: SessionState,
    now: float,
    cache: SessionCache | None = None,
) -> None:
    """Persist the transition `before -> after`, made at `now`, in the caller's transaction.

    The first write is to the player's row (storage.users.lock_player), so at REPEATABLE READ two
    transactions that decided anything about the same player from one snapshot cannot
    both commit; see storage.isolation.
    """
    lock_player(conn, after.player_id)
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
    elif after.finished_at != before.finished_at:
        conn.execute(
            "UPDATE sessions SET finished_at = ? WHERE id = ?", (after.finished_at, after.id)
        )
    old_questions = before.questions if before else ()
    for question in after.questions:
        old = old_questions[question.index] if question.index < len(old_questions) else None
        if old != question:
            _save_question(conn, after, old, question, now)
    if after.finished_at is not None and (before is None or before.finished_at is None):
        conn.executemany(
            "INSERT INTO badges(session_id, badge_id, user_id, pack_id, awarded_at) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                (after.id, badge, after.player_id, after.pack_id, after.finished_at)
                for badge in after.badges
            ],
        )
    if cache is not None:
        cache.put(after)


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
    newly_closed = new.outcome is not None and (old is None or old.outcome is None)
    if newly_closed and new.outcome != "skipped":
        conn.execute(
            "INSERT INTO scores(user_id, mode, ranked, pack_id, problem_id, points, correct, "
            "scored_at, session_id, idx) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session.player_id,
                session.mode,
                int(rules_for(session.mode).scored),
                session.pack_id,
                new.problem_id,
                new.points,
                int(new.outcome == "correct"),
                new.closed_at,
                session.id,
                new.index,
            ),
        )


def sessions_past_deadline(
    conn: sqlite3.Connection, now: float, platform: str | None = None
) -> list[str]:
    """Runs whose open question's deadline has passed (e.g. while the bot was down).

    With `platform`, only runs of that platform's players: each front end closes its own,
    so it can update its own messages when several share one database.
    """
    return [
        row[0]
        for row in conn.execute(
            "SELECT DISTINCT q.session_id FROM questions q "
            "JOIN sessions s ON s.id = q.session_id JOIN users u ON u.id = s.user_id "
            "WHERE q.outcome IS NULL AND q.deadline IS NOT NULL AND q.deadline <= :now "
            "AND (:platform IS NULL OR u.platform = :platform)",
            {"now": now, "platform": platform},
        )
    ]


def next_run_deadline(conn: sqlite3.Connection, platform: str | None = None) -> float | None:
    """The earliest deadline of an open timed question.

    `deadline IS NOT NULL` lets SQLite walk the partial index `questions_open_deadline`
    (open timed questions only, in deadline order) and stop at the first of `platform`'s;
    without it the query scanned every question ever asked (392 ms at 5 M scores).
    """
    row = conn.execute(
        "SELECT q.deadline FROM questions q "
        "JOIN sessions s ON s.id = q.session_id JOIN users u ON u.id = s.user_id "
        "WHERE q.outcome IS NULL AND q.deadline IS NOT NULL "
        "AND (:platform IS NULL OR u.platform = :platform) "
        "ORDER BY q.deadline LIMIT 1",
        {"platform": platform},
    ).fetchone()
    return row[0] if row else None


def badge_counts(conn: sqlite3.Connection, user_id: int) -> list[tuple[str, int]]:
    """Each badge the user has earned, with how many times, in first-earned order."""
    return [
        (row[0], row[1])
        for row in conn.execute(
            "SELECT badge_id, COUNT(*) FROM badges WHERE user_id = ? "
            "GROUP BY badge_id ORDER BY MIN(awarded_at), badge_id",
            (user_id,),
        )
    ]
