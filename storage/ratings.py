"""Learner and item ratings in SQLite: read for selection and stats, moved per answer."""

from __future__ import annotations

import sqlite3

from bot.engine.ratings import LearnerRatings, Rating, Update, seed_difficulty, update
from problems.model import Problem

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


def item_rating(conn: sqlite3.Connection, pack_id: str, problem: Problem) -> Rating:
    row = conn.execute(
        "SELECT difficulty, answers FROM item_ratings WHERE pack_id = ? AND problem_id = ?",
        (pack_id, problem.id),
    ).fetchone()
    return Rating(*row) if row else seed_difficulty(problem)


def record_rating(
    conn: sqlite3.Connection,
    user_id: int,
    pack_id: str,
    problem: Problem,
    score: float,
    at: float,
) -> Update:
    """Move the learner's overall and topic skill and the item's difficulty by one answer."""
    learner = _learner_for(conn, user_id, problem.topic_name)
    change = update(learner, item_rating(conn, pack_id, problem), problem, score)
    conn.execute(
        _UPSERT_LEARNER,
        (
            *(user_id, OVERALL, change.overall.value, change.overall.answers, at),
            *(user_id, problem.topic_name, change.topic.value, change.topic.answers, at),
        ),
    )
    conn.execute(_UPSERT_ITEM, (pack_id, problem.id, change.item.value, change.item.answers, at))
    return change


def _learner_for(conn: sqlite3.Connection, user_id: int, topic: str) -> LearnerRatings:
    """Only the two rows one update needs (overall and this topic), one index probe each."""
    rows = {
        name: Rating(skill, answers)
        for name, skill, answers in conn.execute(
            "SELECT topic, skill, answers FROM learner_ratings "
            "WHERE user_id = ? AND topic IN (?, ?)",
            (user_id, OVERALL, topic),
        )
    }
    overall = rows.pop(OVERALL, Rating())
    return LearnerRatings(overall, rows)
