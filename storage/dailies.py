"""Daily challenges: the day's card, who entered it, and completed days for streaks."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Daily:
    id: str
    platform: str
    workspace: str
    channel_id: str
    local_date: str
    timezone: str
    pack_id: str
    problem_ids: tuple[str, ...]
    cycle: int
    schedule_id: str | None
    posted_at: float
    ends_at: float
    closed_at: float | None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


_COLUMNS = (
    "id, platform, workspace, channel_id, local_date, timezone, pack_id, problem_ids, cycle, "
    "schedule_id, posted_at, ends_at, closed_at"
)


def _row(row: tuple) -> Daily:
    return Daily(*row[:7], tuple(json.loads(row[7])), *row[8:])


def insert_daily(conn: sqlite3.Connection, daily: Daily) -> None:
    conn.execute(
        f"INSERT INTO dailies({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            daily.id,
            daily.platform,
            daily.workspace,
            daily.channel_id,
            daily.local_date,
            daily.timezone,
            daily.pack_id,
            json.dumps(list(daily.problem_ids)),
            daily.cycle,
            daily.schedule_id,
            daily.posted_at,
            daily.ends_at,
            daily.closed_at,
        ),
    )


def get_daily(conn: sqlite3.Connection, daily_id: str) -> Daily | None:
    row = conn.execute(f"SELECT {_COLUMNS} FROM dailies WHERE id = ?", (daily_id,)).fetchone()
    return _row(row) if row else None


def daily_for_date(
    conn: sqlite3.Connection, platform: str, workspace: str, channel_id: str, local_date: str
) -> Daily | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM dailies WHERE platform = ? AND workspace = ? "
        "AND channel_id = ? AND local_date = ?",
        (platform, workspace, channel_id, local_date),
    ).fetchone()
    return _row(row) if row else None


def open_dailies_in_channel(
    conn: sqlite3.Connection, platform: str, workspace: str, channel_id: str
) -> list[Daily]:
    return [
        _row(row)
        for row in conn.execute(
            f"SELECT {_COLUMNS} FROM dailies WHERE platform = ? AND workspace = ? "
            "AND channel_id = ? AND closed_at IS NULL ORDER BY posted_at",
            (platform, workspace, channel_id),
        )
    ]


def dailies_past_end(conn: sqlite3.Connection, now: float, platform: str | None) -> list[Daily]:
    return [
        _row(row)
        for row in conn.execute(
            f"SELECT {_COLUMNS} FROM dailies WHERE closed_at IS NULL AND ends_at <= :now "
            "AND (:platform IS NULL OR platform = :platform) ORDER BY ends_at",
            {"now": now, "platform": platform},
        )
    ]


def close_daily(conn: sqlite3.Connection, daily_id: str, now: float) -> None:
    conn.execute(
        "UPDATE dailies SET closed_at = ? WHERE id = ? AND closed_at IS NULL", (now, daily_id)
    )


def used_in_cycle(
    conn: sqlite3.Connection, platform: str, workspace: str, channel_id: str
) -> tuple[int, set[str]]:
    """The channel's current selection cycle and the problems it has used so far."""
    row = conn.execute(
        "SELECT MAX(cycle) FROM dailies WHERE platform = ? AND workspace = ? AND channel_id = ?",
        (platform, workspace, channel_id),
    ).fetchone()
    cycle = row[0] if row and row[0] is not None else 0
    used: set[str] = set()
    for (ids,) in conn.execute(
        "SELECT problem_ids FROM dailies WHERE platform = ? AND workspace = ? "
        "AND channel_id = ? AND cycle = ?",
        (platform, workspace, channel_id, cycle),
    ):
        used.update(json.loads(ids))
    return cycle, used


def entry_session(conn: sqlite3.Connection, daily_id: str, user_id: int) -> str | None:
    row = conn.execute(
        "SELECT session_id FROM daily_entries WHERE daily_id = ? AND user_id = ?",
        (daily_id, user_id),
    ).fetchone()
    return row[0] if row else None


def add_entry(conn: sqlite3.Connection, daily_id: str, user_id: int, session_id: str) -> None:
    conn.execute(
        "INSERT INTO daily_entries(daily_id, user_id, session_id) VALUES (?, ?, ?)",
        (daily_id, user_id, session_id),
    )


def entry_sessions(conn: sqlite3.Connection, daily_id: str) -> list[str]:
    return [
        r[0]
        for r in conn.execute(
            "SELECT session_id FROM daily_entries WHERE daily_id = ? ORDER BY rowid", (daily_id,)
        )
    ]


def daily_of_session(conn: sqlite3.Connection, session_id: str) -> Daily | None:
    row = conn.execute(
        "SELECT daily_id FROM daily_entries WHERE session_id = ?", (session_id,)
    ).fetchone()
    return get_daily(conn, row[0]) if row else None


def completed_days(
    conn: sqlite3.Connection, user_id: int, platform: str, workspace: str
) -> set[date]:
    """Local dates of the dailies this player completed in one workspace (for streaks).

    Completed means every question was asked and closed; a run the player quit is not.
    """
    return {
        date.fromisoformat(r[0])
        for r in conn.execute(
            "SELECT DISTINCT d.local_date FROM daily_entries e "
            "JOIN dailies d ON d.id = e.daily_id JOIN sessions s ON s.id = e.session_id "
            "WHERE e.user_id = ? AND d.platform = ? AND d.workspace = ? "
            "AND s.finished_at IS NOT NULL "
            "AND (SELECT COUNT(*) FROM questions q WHERE q.session_id = s.id "
            "     AND q.outcome IS NOT NULL AND q.outcome != 'skipped') "
            "    = json_array_length(s.problem_ids)",
            (user_id, platform, workspace),
        )
    }


def next_daily_end(conn: sqlite3.Connection, platform: str | None) -> float | None:
    row = conn.execute(
        "SELECT MIN(ends_at) FROM dailies WHERE closed_at IS NULL "
        "AND (:platform IS NULL OR platform = :platform)",
        {"platform": platform},
    ).fetchone()
    return row[0] if row else None
