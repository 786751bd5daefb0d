"""Daily streaks as running state, so reading one is one primary-key probe.

Walking every completed day on each stats call made a 1,000-day streak cost ~14 ms per
read. Instead `daily_streaks` keeps, per player and workspace, the latest completed day and
the length of the run of consecutive days ending there, updated in the transaction that
completes a daily. The rare cases the state cannot answer exactly (no state yet, e.g. a
database from before this table; a day completed out of order; a day ahead of the reader's
timezone) fall back to the full computation over `completed_days`, so the answer is always
the one `bot.engine.daily.streak` gives.
"""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta

from bot.engine.daily import streak

from .dailies import completed_days

ONE_DAY = timedelta(days=1)


def _state(
    conn: sqlite3.Connection, user_id: int, platform: str, workspace: str
) -> tuple[date, int] | None:
    row = conn.execute(
        "SELECT last_day, length FROM daily_streaks "
        "WHERE user_id = ? AND platform = ? AND workspace = ?",
        (user_id, platform, workspace),
    ).fetchone()
    return (date.fromisoformat(row[0]), row[1]) if row else None


def record_completed_day(
    conn: sqlite3.Connection, user_id: int, platform: str, workspace: str, day: date
) -> int:
    """Note that the player completed `day`'s daily (inside the transaction that completes
    it, before that run is saved); returns the streak reached on `day`."""
    state = _state(conn, user_id, platform, workspace)
    if state is not None and day >= state[0]:
        last, length = state
        if day == last:
            return length
        reached = length + 1 if day == last + ONE_DAY else 1
        _put(conn, user_id, platform, workspace, day, reached)
        return reached
    days = completed_days(conn, user_id, platform, workspace) | {day}
    latest = max(days)
    _put(conn, user_id, platform, workspace, latest, streak(days, latest))
    return streak(days, day)


def current_streak(
    conn: sqlite3.Connection, user_id: int, platform: str, workspace: str, today: date
) -> int:
    """Consecutive completed days ending today, or yesterday if today is not done yet."""
    state = _state(conn, user_id, platform, workspace)
    if state is None or state[0] > today:
        return streak(completed_days(conn, user_id, platform, workspace), today)
    last, length = state
    return length if last >= today - ONE_DAY else 0


def _put(
    conn: sqlite3.Connection, user_id: int, platform: str, workspace: str, last: date, length: int
) -> None:
    conn.execute(
        "INSERT INTO daily_streaks(user_id, platform, workspace, last_day, length) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id, platform, workspace) DO UPDATE SET "
        "last_day = excluded.last_day, length = excluded.length",
        (user_id, platform, workspace, last.isoformat(), length),
    )
