"""A player's own record: answers, accuracy and points, per problem for grouping above."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class ProblemTally:
    pack_id: str
    problem_id: str
    answered: int
    correct: int
    points: int


def problem_tallies(conn: sqlite3.Connection, user_id: int) -> list[ProblemTally]:
    """Every scored question the player finished, summed per problem (all modes)."""
    return [
        ProblemTally(*row)
        for row in conn.execute(
            "SELECT pack_id, problem_id, COUNT(*), SUM(correct), SUM(points) FROM scores "
            "WHERE user_id = ? GROUP BY pack_id, problem_id ORDER BY pack_id, problem_id",
            (user_id,),
        )
    ]


def display_name(conn: sqlite3.Connection, user_id: int) -> str | None:
    row = conn.execute("SELECT display_name FROM users WHERE id = ?", (user_id,)).fetchone()
    return row[0] if row else None
