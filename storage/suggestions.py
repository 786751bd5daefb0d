"""Personal daily suggestions: the set fixed for a learner's day, and the run playing it."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass

from bot.engine.suggest import Suggestion


@dataclass(frozen=True)
class DailySuggestion:
    player_id: int
    local_date: str
    pack_id: str
    items: tuple[Suggestion, ...]
    session_id: str | None = None

    @property
    def problem_ids(self) -> list[str]:
        return [s.problem_id for s in self.items]


def get_suggestion(
    conn: sqlite3.Connection, player_id: int, local_date: str, pack_id: str
) -> DailySuggestion | None:
    row = conn.execute(
        "SELECT items, session_id FROM daily_suggestions "
        "WHERE user_id = ? AND local_date = ? AND pack_id = ?",
        (player_id, local_date, pack_id),
    ).fetchone()
    if row is None:
        return None
    items = tuple(
        Suggestion(i["problem"], i["reason"], i["topic"], i["success"]) for i in json.loads(row[0])
    )
    return DailySuggestion(player_id, local_date, pack_id, items, row[1])


def insert_suggestion(conn: sqlite3.Connection, suggestion: DailySuggestion, now: float) -> None:
    items = [
        {"problem": s.problem_id, "reason": s.reason, "topic": s.topic, "success": s.success}
        for s in suggestion.items
    ]
    conn.execute(
        "INSERT INTO daily_suggestions(user_id, local_date, pack_id, items, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        (suggestion.player_id, suggestion.local_date, suggestion.pack_id, json.dumps(items), now),
    )


def attach_session(conn: sqlite3.Connection, suggestion: DailySuggestion, session_id: str) -> None:
    conn.execute(
        "UPDATE daily_suggestions SET session_id = ? "
        "WHERE user_id = ? AND local_date = ? AND pack_id = ?",
        (session_id, suggestion.player_id, suggestion.local_date, suggestion.pack_id),
    )
