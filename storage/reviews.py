"""FSRS review cards in SQLite: one per learner and problem, due times indexed per learner."""

from __future__ import annotations

import sqlite3

from fsrs import Card

from bot.engine.review import card_from_text, card_to_text, due_at


def get_card(conn: sqlite3.Connection, user_id: int, pack_id: str, problem_id: str) -> Card | None:
    row = conn.execute(
        "SELECT card FROM review_cards WHERE user_id = ? AND pack_id = ? AND problem_id = ?",
        (user_id, pack_id, problem_id),
    ).fetchone()
    return card_from_text(row[0]) if row else None


def put_card(
    conn: sqlite3.Connection, user_id: int, pack_id: str, problem_id: str, card: Card, at: float
) -> None:
    conn.execute(
        "INSERT INTO review_cards(user_id, pack_id, problem_id, card, due, reviews, updated_at) "
        "VALUES (?, ?, ?, ?, ?, 1, ?) ON CONFLICT(user_id, pack_id, problem_id) DO UPDATE SET "
        "card = excluded.card, due = excluded.due, reviews = reviews + 1, "
        "updated_at = excluded.updated_at",
        (user_id, pack_id, problem_id, card_to_text(card), due_at(card), at),
    )


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
        card_from_text(row[0])
        for row in conn.execute("SELECT card FROM review_cards WHERE user_id = ?", (user_id,))
    ]
