"""Schedule parsing and occurrence times, daylight-saving changes included."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.engine.daily import streak
from bot.engine.schedule import (
    EVERY_DAY,
    ScheduleError,
    ScheduleSpec,
    end_of_local_day,
    latest_occurrence,
    next_occurrence,
    occurrence_on,
    parse_format,
    parse_time_of_day,
    parse_timezone,
    parse_weekdays,
)


def utc(*args: int) -> float:
    return datetime(*args, tzinfo=UTC).timestamp()


def spec(
    time_of_day: str = "09:00", tz: str = "Europe/Berlin", weekdays: tuple[int, ...] = EVERY_DAY
) -> ScheduleSpec:
    return ScheduleSpec(time_of_day, tz, weekdays, "lr-differential")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("9", "09:00"), ("09:05", "09:05"), (" 23:59 ", "23:59"), ("0:00", "00:00")],
)
def test_times_of_day(text: str, expected: str) -> None:
    assert parse_time_of_day(text) == expected


@pytest.mark.parametrize("text", ["24:00", "9:60", "nine", "9am", "", "12:5"])
def test_bad_times_name_the_value(text: str) -> None:
    with pytest.raises(ScheduleError, match=f"time {text!r} is not a time of day"):
        parse_time_of_day(text)


def test_time_zones_must_be_iana_names() -> None:
    assert parse_timezone("America/New_York") == "America/New_York"
    for bad in ("Mars/Olympus", "CEST+2", "", "../etc/passwd"):
        with pytest.raises(ScheduleError, match="not an IANA time zone"):
            parse_timezone(bad)


@pytest.mark.parametrize(
    ("text", "days"),
    [
        ("daily", EVERY_DAY),
        ("weekdays", (0, 1, 2, 3, 4)),
        ("weekends", (5, 6)),
        ("mon,wed,fri", (0, 2, 4)),
        ("Mon Wed", (0, 2)),
        ("mon-fri", (0, 1, 2, 3, 4)),
        ("fri-mon", (0, 4, 5, 6)),
        ("tuesday", (1,)),
    ],
)
def test_weekdays(text: str, days: tuple[int, ...]) -> None:
    assert parse_weekdays(text) == days


@pytest.mark.parametrize("text", ["funday", "mon-xyz", ",", "m"])
def test_bad_weekdays_name_the_value(text: str) -> None:
    with pytest.raises(ScheduleError):
        parse_weekdays(text)


def test_formats() -> None:
    assert parse_format("Live") == "live"
    with pytest.raises(ScheduleError, match="format 'poll'"):
        parse_format("poll")


def test_occurrence_follows_summer_time() -> None:
    winter = occurrence_on(spec(), date(2026, 1, 15))
    summer = occurrence_on(spec(), date(2026, 7, 15))
    assert winter.at == utc(2026, 1, 15, 8) and summer.at == utc(2026, 7, 15, 7)


def test_a_time_skipped_by_the_spring_change_fires_once_just_after_it() -> None:
    # Berlin jumps from 02:00 to 03:00 on 2026-03-29: 02:30 does not exist that day.
    occurrence = occurrence_on(spec("02:30"), date(2026, 3, 29))
    assert occurrence.local_date == "2026-03-29"
    assert occurrence.at == utc(2026, 3, 29, 1, 30)  # 03:30 CEST


def test_a_time_repeated_by_the_autumn_change_fires_once_on_its_first_pass() -> None:
    # Berlin goes from 03:00 back to 02:00 on 2026-10-25: 02:30 happens twice.
    s = spec("02:30")
    first = occurrence_on(s, date(2026, 10, 25))
    assert first.at == utc(2026, 10, 25, 0, 30)  # 02:30 CEST
    after_second_pass = utc(2026, 10, 25, 1, 45)
    assert latest_occurrence(s, after_second_pass, not_before=0) == first
    assert next_occurrence(s, first.at).local_date == "2026-10-26"


def test_latest_and_next_occurrence_respect_weekdays_and_creation_time() -> None:
    s = spec("09:00", "UTC", (0,))  # Mondays
    wednesday = utc(2026, 12, 2, 12)
    assert latest_occurrence(s, wednesday, not_before=0).local_date == "2026-11-30"
    assert latest_occurrence(s, wednesday, not_before=utc(2026, 12, 1)) is None
    assert next_occurrence(s, wednesday).local_date == "2026-12-07"
    monday_9 = utc(2026, 12, 7, 9)
    assert latest_occurrence(s, monday_9, not_before=0).local_date == "2026-12-07"
    assert next_occurrence(s, monday_9).local_date == "2026-12-14"


def test_end_of_local_day() -> None:
    assert end_of_local_day(utc(2026, 3, 28, 22, 30), "Europe/Berlin") == utc(2026, 3, 28, 23)
    assert end_of_local_day(utc(2026, 3, 29, 12), "Europe/Berlin") == utc(2026, 3, 29, 22)


def test_streak_edges() -> None:
    d = date(2026, 5, 10)
    days = {date(2026, 5, 8), date(2026, 5, 9), d}
    assert streak(days, d) == 3
    assert streak(days - {d}, d) == 2  # today not played yet: yesterday's streak holds
    assert streak(days - {date(2026, 5, 9)}, d) == 1
    assert streak(days, date(2026, 5, 12)) == 0  # missed a whole day
    assert streak(set(), d) == 0
