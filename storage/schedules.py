"""Admin schedules and the exactly-once claim of each occurrence."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.engine.schedule import ScheduleSpec


@dataclass(frozen=True)
class StoredSchedule:
    id: str
    platform: str
    workspace: str
    channel_id: str
    spec: ScheduleSpec
    paused: bool
    created_at: float


_COLUMNS = (
    "id, platform, workspace, channel_id, time_of_day, timezone, weekdays, pack_id, format, "
    "paused, created_at"
)


def _row(row: tuple) -> StoredSchedule:
    spec = ScheduleSpec(
        time_of_day=row[4],
        timezone=row[5],
        weekdays=tuple(int(d) for d in row[6].split(",")),
        pack_id=row[7],
        format=row[8],
    )
    return StoredSchedule(row[0], row[1], row[2], row[3], spec, bool(row[9]), row[10])


def add_schedule(
    conn: sqlite3.Connection,
    schedule_id: str,
    platform: str,
    workspace: str,
    channel_id: str,
    spec: ScheduleSpec,
    created_by: int | None,
    now: float,
) -> StoredSchedule:
    conn.execute(
        f"INSERT INTO schedules({_COLUMNS}, created_by) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)",
        (
            schedule_id,
            platform,
            workspace,
            channel_id,
            spec.time_of_day,
            spec.timezone,
            ",".join(map(str, spec.weekdays)),
            spec.pack_id,
            spec.format,
            now,
            created_by,
        ),
    )
    return StoredSchedule(schedule_id, platform, workspace, channel_id, spec, False, now)


def list_schedules(
    conn: sqlite3.Connection, platform: str, workspace: str | None = None
) -> list[StoredSchedule]:
    return [
        _row(row)
        for row in conn.execute(
            f"SELECT {_COLUMNS} FROM schedules WHERE platform = :platform "
            "AND (:workspace IS NULL OR workspace = :workspace) ORDER BY created_at, id",
            {"platform": platform, "workspace": workspace},
        )
    ]


def get_schedule(
    conn: sqlite3.Connection, platform: str, workspace: str, schedule_id: str
) -> StoredSchedule | None:
    row = conn.execute(
        f"SELECT {_COLUMNS} FROM schedules WHERE platform = ? AND workspace = ? AND id = ?",
        (platform, workspace, schedule_id),
    ).fetchone()
    return _row(row) if row else None


def remove_schedule(conn: sqlite3.Connection, platform: str, workspace: str, sid: str) -> bool:
    return (
        conn.execute(
            "DELETE FROM schedules WHERE platform = ? AND workspace = ? AND id = ?",
            (platform, workspace, sid),
        ).rowcount
        == 1
    )


def set_paused(
    conn: sqlite3.Connection, platform: str, workspace: str, sid: str, paused: bool
) -> bool:
    return (
        conn.execute(
            "UPDATE schedules SET paused = ? WHERE platform = ? AND workspace = ? AND id = ?",
            (int(paused), platform, workspace, sid),
        ).rowcount
        == 1
    )


def claim_occurrence(
    conn: sqlite3.Connection,
    schedule_id: str,
    local_date: str,
    due_at: float,
    now: float,
    status: str,
) -> bool:
    """True for exactly one caller per (schedule, local date), across processes."""
    return (
        conn.execute(
            "INSERT INTO schedule_runs(schedule_id, local_date, due_at, claimed_at, status) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
            (schedule_id, local_date, due_at, now, status),
        ).rowcount
        == 1
    )


def finish_occurrence(
    conn: sqlite3.Connection, schedule_id: str, local_date: str, status: str, detail: str = ""
) -> None:
    conn.execute(
        "UPDATE schedule_runs SET status = ?, detail = ? WHERE schedule_id = ? AND local_date = ?",
        (status, detail, schedule_id, local_date),
    )


def occurrence_status(conn: sqlite3.Connection, schedule_id: str, local_date: str) -> str | None:
    row = conn.execute(
        "SELECT status FROM schedule_runs WHERE schedule_id = ? AND local_date = ?",
        (schedule_id, local_date),
    ).fetchone()
    return row[0] if row else None
