"""Admin schedules: parsing what an admin typed, and when each occurrence falls.

An occurrence is identified by its local date in the schedule's time zone, so it fires at
most once per day whatever daylight-saving time does: a time skipped by the spring change
fires at the equivalent instant just after it, and a time repeated in autumn fires on its
first pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAY_NAMES: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FORMATS: tuple[str, ...] = ("card", "live")
EVERY_DAY: tuple[int, ...] = tuple(range(7))
_ALIASES = {
    "daily": EVERY_DAY,
    "everyday": EVERY_DAY,
    "every day": EVERY_DAY,
    "weekdays": (0, 1, 2, 3, 4),
    "weekends": (5, 6),
}
_TIME = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*$")


class ScheduleError(ValueError):
    """What the admin typed is not a valid schedule; the message names the value."""


@dataclass(frozen=True)
class Occurrence:
    local_date: str
    at: float


@dataclass(frozen=True)
class ScheduleSpec:
    """When and what to post: a local time of day on some weekdays, in an IANA zone."""

    time_of_day: str
    timezone: str
    weekdays: tuple[int, ...]
    pack_id: str
    format: str = "card"

    def describe(self) -> str:
        days = (
            "every day"
            if self.weekdays == EVERY_DAY
            else ",".join(WEEKDAY_NAMES[d] for d in self.weekdays)
        )
        return f"{self.time_of_day} {self.timezone}, {days}, {self.format} of {self.pack_id}"


def parse_time_of_day(text: str) -> str:
    match = _TIME.match(text)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if hour < 24 and minute < 60:
            return f"{hour:02d}:{minute:02d}"
    raise ScheduleError(f"time {text!r} is not a time of day; use HH:MM on a 24-hour clock")


def parse_timezone(text: str) -> str:
    name = text.strip()
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"time zone {text!r} is not an IANA time zone name (e.g. Europe/Berlin, UTC)"
        ) from None
    return name


def parse_weekdays(text: str) -> tuple[int, ...]:
    """'daily', 'weekdays', 'weekends', 'mon,wed,fri' or ranges such as 'mon-fri'."""
    cleaned = text.strip().lower()
    if cleaned in _ALIASES:
        return _ALIASES[cleaned]
    days: set[int] = set()
    for part in filter(None, (p.strip() for p in cleaned.replace(" ", ",").split(","))):
        first, _, last = part.partition("-")
        try:
            start = WEEKDAY_NAMES.index(first[:3]) if len(first) >= 3 else -1
            end = WEEKDAY_NAMES.index(last[:3]) if last else start
        except ValueError:
            start = end = -1
        if start < 0 or end < 0:
            raise ScheduleError(
                f"weekday {part!r} is not a day; use mon..sun, ranges like mon-fri, "
                "or daily / weekdays / weekends"
            )
        span = range(start, end + 1) if start <= end else [*range(start, 7), *range(end + 1)]
        days.update(span)
    if not days:
        raise ScheduleError(f"weekdays {text!r} name no day")
    return tuple(sorted(days))


def parse_format(text: str) -> str:
    name = text.strip().lower()
    if name not in FORMATS:
        raise ScheduleError(f"format {text!r} is not one of: {', '.join(FORMATS)}")
    return name


def occurrence_on(spec: ScheduleSpec, day: date) -> Occurrence:
    hour, minute = map(int, spec.time_of_day.split(":"))
    local = datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(spec.timezone))
    return Occurrence(day.isoformat(), local.timestamp())


def latest_occurrence(spec: ScheduleSpec, now: float, not_before: float) -> Occurrence | None:
    """The most recent occurrence at or before `now` and not before `not_before`."""
    today = datetime.fromtimestamp(now, ZoneInfo(spec.timezone)).date()
    for back in range(8):
        day = today - timedelta(days=back)
        if day.weekday() not in spec.weekdays:
            continue
        occurrence = occurrence_on(spec, day)
        if occurrence.at <= now:
            return occurrence if occurrence.at >= not_before else None
    return None


def next_occurrence(spec: ScheduleSpec, now: float) -> Occurrence:
    """The first occurrence strictly after `now`."""
    today = datetime.fromtimestamp(now, ZoneInfo(spec.timezone)).date()
    for ahead in range(9):
        day = today + timedelta(days=ahead)
        if day.weekday() in spec.weekdays:
            occurrence = occurrence_on(spec, day)
            if occurrence.at > now:
                return occurrence
    raise ScheduleError("schedule has no weekday")  # parse_weekdays never allows this


def local_date(now: float, timezone: str) -> date:
    return datetime.fromtimestamp(now, ZoneInfo(timezone)).date()


def end_of_local_day(now: float, timezone: str) -> float:
    """The next local midnight, when a daily challenge closes."""
    zone = ZoneInfo(timezone)
    tomorrow = datetime.fromtimestamp(now, zone).date() + timedelta(days=1)
    return datetime.combine(tomorrow, time(0, 0), tzinfo=zone).timestamp()
