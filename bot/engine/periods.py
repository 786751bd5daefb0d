"""Leaderboard periods as time windows (UTC calendar boundaries)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

PERIODS: tuple[str, ...] = ("day", "week", "month", "all")


def period_start(period: str, now: float) -> float | None:
    """Start of the current day / ISO week / month containing `now`; None for all time."""
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; choose one of {', '.join(PERIODS)}")
    if period == "all":
        return None
    moment = datetime.fromtimestamp(now, UTC)
    day = moment.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "week":
        day -= timedelta(days=day.weekday())
    elif period == "month":
        day = day.replace(day=1)
    return day.timestamp()


def period_key(period: str, now: float) -> str:
    """The UTC date (YYYY-MM-DD) the current period starts on; '' for all time.

    Storage keys its running totals by this, so it must match SQLite's own date arithmetic.
    """
    start = period_start(period, now)
    return "" if start is None else datetime.fromtimestamp(start, UTC).date().isoformat()
