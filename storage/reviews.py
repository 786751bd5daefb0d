"""FSRS review cards in SQLite: one per learner and problem, due times indexed per learner."""

from __future__ import annotations

import sqlite3

from fsrs import Card

from bot.engine.review import card_from_row, card_to_row

from .row_cache import RowCache

_CARD = "state, step, stability, difficulty, due, last_review"


def get_card(
    conn: sqlite3.Connection,
    user_id: int,
    pack_id: str,
    problem_id: str,
    cache: RowCache | None = None,
) -> Card | None:
    def load() -> Card | None:
        row = conn.execute(
            f"SELECT {_CARD} FROM review_cards WHERE user_id = ? AND pack_id = ? "
            "AND problem_id = ?",
            (user_id, pack_id, problem_id),
        ).fetchone()
        return card_from_row(row) if row else None

    return load() if cache is None else cache.get(("card", user_id, pack_id, problem_id), load)


def put_card(
    conn: sqlite3.Connection,
    user_id: int,
    pack_id: str,
    problem_id: str,
    card: Card,
    at: float,
    cache: RowCache | None = None,
) -> None:
    row = card_to_row(card)
    conn.execute(
        f"INSERT INTO review_cards(user_id, pack_id, problem_id, {_CARD}, reviews, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?) "
        "ON CONFLICT(user_id, pack_id, problem_id) DO UPDATE SET "
        "state = excluded.state, step = excluded.step, stability = excluded.stability, "
        "difficulty = excluded.difficulty, due = excluded.due, "
        "last_review = excluded.last_review, reviews = review_cards.reviews + 1, "
        "updated_at = excluded.updated_at",
        (user_id, pack_id, problem_id, *row, at),
    )
    if cache is not None:
        # Its times are whole microseconds, which float seconds near now hold exactly, so
        # the card equals what reading the row back would give (the rebuild test checks).
        cache.put(("card", user_id, pack_id, problem_id), card)


def due_problems(conn: sqlite3.Connection, user_id: int, pack_id: str, now: float) -> list[str]:
    """The learner's problems due by `now` in this pack, most overdue first."""
    return [
        row[0]
        for row in conn.execute(
            "SELECT problem_id FROM review_cards WHERE user_id = ? AND due <= ? AND pack_id = ? "
            "ORDER BY due, problem_id",
            (user_id, now, pack_id),
        )
    ]


def learner_cards(conn: sqlite3.Connection, user_id: int) -> list[Card]:
    return [
        card_from_row(row)
        for row in conn.execute(f"SELECT {_CARD} FROM review_cards WHERE user_id = ?", (user_id,))
    ]
