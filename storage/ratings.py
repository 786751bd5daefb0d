"""Learner and item ratings in SQLite: read for selection and stats, moved per answer.

A learner's rows are written in the answer's transaction. An item's are not: an answer
queues its surprise in `item_evidence`, and `fold_item_evidence` applies the queue when
the transaction commits (SQLite just before COMMIT, PostgreSQL right after, with the
leaderboard fold). Every read adds the waiting entries to the stored row, in id order, as
the fold will, so an answer always predicts from every answer committed (or made earlier
in its own transaction) before it, and a serial history gives exactly the difficulties
that writing the row each time gave. On PostgreSQL, replicas answering the same problem at
once no longer update one row: each predicts from what its snapshot holds.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Hashable, Iterable
from typing import TypeVar

from bot.engine.ratings import (
    LearnerRatings,
    Rating,
    Update,
    move_item,
    seed_difficulty,
    update,
)
from problems.model import Problem

from .row_cache import RowCache

K = TypeVar("K", bound=Hashable)
OVERALL = ""  # the `topic` of a learner's overall skill

# Both of a learner's rows (overall, topic) in one statement: the answer path runs this.
_UPSERT_LEARNER = (
    "INSERT INTO learner_ratings(user_id, topic, skill, answers, updated_at) "
    "VALUES (?, ?, ?, ?, ?), (?, ?, ?, ?, ?) ON CONFLICT(user_id, topic) DO UPDATE SET "
    "skill = excluded.skill, answers = excluded.answers, updated_at = excluded.updated_at"
)
_UPSERT_ITEM = (
    "INSERT INTO item_ratings(pack_id, problem_id, difficulty, answers, updated_at) "
    "VALUES (?, ?, ?, ?, ?) ON CONFLICT(pack_id, problem_id) DO UPDATE SET "
    "difficulty = excluded.difficulty, answers = excluded.answers, "
    "updated_at = excluded.updated_at"
)
_QUEUE_ITEM = (
    "INSERT INTO item_evidence(pack_id, problem_id, seed, surprise, at) VALUES (?, ?, ?, ?, ?)"
)


def learner_ratings(conn: sqlite3.Connection, user_id: int) -> LearnerRatings:
    overall = Rating()
    topics: dict[str, Rating] = {}
    for topic, skill, answers in conn.execute(
        "SELECT topic, skill, answers FROM learner_ratings WHERE user_id = ?", (user_id,)
    ):
        if topic == OVERALL:
            overall = Rating(skill, answers)
        else:
            topics[topic] = Rating(skill, answers)
    return LearnerRatings(overall, topics)


def item_ratings(conn: sqlite3.Connection, pack_id: str) -> dict[str, Rating]:
    """Difficulty of every answered problem of a pack; unanswered ones use their label."""
    stored = {
        problem_id: Rating(difficulty, answers)
        for problem_id, difficulty, answers in conn.execute(
            "SELECT problem_id, difficulty, answers FROM item_ratings WHERE pack_id = ?",
            (pack_id,),
        )
    }
    queued = conn.execute(
        "SELECT problem_id, seed, surprise FROM item_evidence WHERE pack_id = ? ORDER BY id",
        (pack_id,),
    )
    return _moved(stored, queued)


def item_rating(
    conn: sqlite3.Connection, pack_id: str, problem: Problem, cache: RowCache | None = None
) -> Rating:
    """An item's difficulty (its label's seed while nobody has answered it)."""
    stored = _cached(
        cache, ("item", pack_id, problem.id), lambda: _item_row(conn, pack_id, problem.id)
    )
    return stored or seed_difficulty(problem)


def _item_row(conn: sqlite3.Connection, pack_id: str, problem_id: str) -> Rating | None:
    """The stored row with the queued answers applied; None for an unanswered item."""
    stored = _stored_item(conn, pack_id, problem_id)
    queued = conn.execute(
        "SELECT problem_id, seed, surprise FROM item_evidence "
        "WHERE pack_id = ? AND problem_id = ? ORDER BY id",
        (pack_id, problem_id),
    )
    return _moved({problem_id: stored} if stored else {}, queued).get(problem_id)


def _moved(stored: dict[K, Rating], queued: Iterable[tuple[K, float, float]]) -> dict[K, Rating]:
    """`stored` with each queued (key, seed, surprise) applied in order, as the fold applies
    them; a key with no stored row starts from its seed."""
    for key, seed, surprise in queued:
        stored[key] = move_item(stored.get(key, Rating(seed, 0)), surprise)
    return stored


def fold_item_evidence(conn: sqlite3.Connection) -> int:
    """Apply the queued answers to `item_ratings` and empty the queue of them; inside a
    write transaction (one folder at a time on PostgreSQL). Returns how many it folded.

    What readers see does not change: they already added these entries."""
    entries = conn.execute(
        "SELECT id, pack_id, problem_id, seed, surprise, at FROM item_evidence ORDER BY id"
    ).fetchall()
    if not entries:
        return 0
    last_at = {(pack_id, problem_id): at for _, pack_id, problem_id, _, _, at in entries}
    stored = {key: row for key in last_at if (row := _stored_item(conn, *key)) is not None}
    moved = _moved(stored, (((p, q), seed, surprise) for _, p, q, seed, surprise, _ in entries))
    conn.executemany(
        _UPSERT_ITEM, [(p, q, r.value, r.answers, last_at[p, q]) for (p, q), r in moved.items()]
    )
    span = {"low": entries[0][0], "high": entries[-1][0]}
    # Only the entries read above: on PostgreSQL one committed since is not in this snapshot.
    conn.execute("DELETE FROM item_evidence WHERE id BETWEEN :low AND :high", span)
    return len(entries)


def _stored_item(conn: sqlite3.Connection, pack_id: str, problem_id: str) -> Rating | None:
    row = conn.execute(
        "SELECT difficulty, answers FROM item_ratings WHERE pack_id = ? AND problem_id = ?",
        (pack_id, problem_id),
    ).fetchone()
    return Rating(*row) if row else None


def record_rating(
    conn: sqlite3.Connection,
    user_id: int,
    pack_id: str,
    problem: Problem,
    score: float,
    at: float,
    cache: RowCache | None = None,
) -> Update:
    """Move the learner's overall and topic skill by one answer, and queue its move of the
    item's difficulty (readers see it at once, see the module docstring)."""
    topic = problem.topic_name
    rows = _learner_rows(conn, user_id, cache)
    learner = LearnerRatings(rows.get(OVERALL, Rating()), rows)
    change = update(learner, item_rating(conn, pack_id, problem, cache), problem, score)
    conn.execute(
        _UPSERT_LEARNER,
        (
            *(user_id, OVERALL, change.overall.value, change.overall.answers, at),
            *(user_id, topic, change.topic.value, change.topic.answers, at),
        ),
    )
    seed = seed_difficulty(problem).value
    conn.execute(_QUEUE_ITEM, (pack_id, problem.id, seed, score - change.predicted, at))
    # Written: now the cached copies may follow (a failure above leaves them as they were).
    rows[OVERALL], rows[topic] = change.overall, change.topic
    if cache is not None:
        cache.put(("item", pack_id, problem.id), change.item)
    return change


def _learner_rows(
    conn: sqlite3.Connection, user_id: int, cache: RowCache | None
) -> dict[str, Rating]:
    """All of a learner's rows by topic (OVERALL included), in one statement; the cached
    dict itself, so an update changes it in place."""

    def load() -> dict[str, Rating]:
        return {
            topic: Rating(skill, answers)
            for topic, skill, answers in conn.execute(
                "SELECT topic, skill, answers FROM learner_ratings WHERE user_id = ?", (user_id,)
            )
        }

    return load() if cache is None else cache.get(("learner", user_id), load)


def _cached(cache: RowCache | None, key: tuple, load: Callable[[], Rating | None]) -> Rating | None:
    return load() if cache is None else cache.get(key, load)
