"""Learner and item ratings in SQLite: read for selection and stats, moved per answer."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from bot.engine.ratings import LearnerRatings, Rating, Update, seed_difficulty, update
from problems.model import Problem

from .row_cache import RowCache

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
    return {
        problem_id: Rating(difficulty, answers)
        for problem_id, difficulty, answers in conn.execute(
            "SELECT problem_id, difficulty, answers FROM item_ratings WHERE pack_id = ?",
            (pack_id,),
        )
    }


def item_rating(
    conn: sqlite3.Connection, pack_id: str, problem: Problem, cache: RowCache | None = None
) -> Rating:
    """An item's difficulty (its label's seed while nobody has answered it)."""
    stored = _cached(
        cache, ("item", pack_id, problem.id), lambda: _item_row(conn, pack_id, problem)
    )
    return stored or seed_difficulty(problem)


def _item_row(conn: sqlite3.Connection, pack_id: str, problem: Problem) -> Rating | None:
    row = conn.execute(
        "SELECT difficulty, answers FROM item_ratings WHERE pack_id = ? AND problem_id = ?",
        (pack_id, problem.id),
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
    """Move the learner's overall and topic skill and the item's difficulty by one answer."""
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
    conn.execute(_UPSERT_ITEM, (pack_id, problem.id, change.item.value, change.item.answers, at))
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
