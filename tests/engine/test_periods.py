"""Leaderboard periods as UTC calendar windows."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from bot.engine.periods import PERIODS, period_start


def ts(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


NOW = ts(2026, 5, 28, 20, 26, 40)  # a Thursday


def test_day_starts_at_utc_midnight() -> None:
    assert period_start("day", NOW) == ts(2026, 5, 28)
    assert period_start("day", ts(2026, 5, 28)) == ts(2026, 5, 28)
    assert period_start("day", ts(2026, 5, 28) - 0.001) == ts(2026, 5, 27)


def test_week_starts_on_monday() -> None:
    start = period_start("week", NOW)
    assert start == ts(2026, 5, 25)
    assert datetime.fromtimestamp(start, UTC).weekday() == 0
    assert period_start("week", ts(2026, 5, 25)) == ts(2026, 5, 25)  # Monday 00:00 itself
    assert period_start("week", ts(2026, 5, 31, 23, 59, 59)) == ts(2026, 5, 25)  # Sunday night
    assert period_start("week", ts(2026, 6, 1, 0, 0, 1)) == ts(2026, 6, 1)


def test_week_spanning_a_month_and_year_boundary() -> None:
    assert period_start("week", ts(2026, 1, 1, 12)) == ts(2025, 12, 29)


def test_month_starts_on_the_first() -> None:
    assert period_start("month", NOW) == ts(2026, 5, 1)
    assert period_start("month", ts(2026, 3, 1)) == ts(2026, 3, 1)
    assert period_start("month", ts(2026, 3, 1) - 1) == ts(2026, 2, 1)
    assert period_start("month", ts(2028, 2, 29, 23)) == ts(2028, 2, 1)


def test_all_time_has_no_start() -> None:
    assert period_start("all", NOW) is None
    assert PERIODS == ("day", "week", "month", "all")


def test_boundaries_are_utc_whatever_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    if not hasattr(time, "tzset"):
        pytest.skip("no tzset on this platform")
    try:
        monkeypatch.setenv("TZ", "Pacific/Kiritimati")  # UTC+14
        time.tzset()
        assert period_start("day", ts(2026, 5, 28, 11)) == ts(2026, 5, 28)
        monkeypatch.setenv("TZ", "America/Los_Angeles")
        time.tzset()
        assert period_start("week", ts(2026, 6, 1, 2)) == ts(2026, 6, 1)
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("period", ["year", "", "Day", "weekly"])
def test_unknown_period_is_a_value_error(period: str) -> None:
    with pytest.raises(ValueError, match="unknown period"):
        period_start(period, NOW)
