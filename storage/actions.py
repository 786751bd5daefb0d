"""Platform actions by delivery id: what makes a redelivered click or command change nothing.

Every state-changing action a chat platform delivers carries a unique id (a Discord
interaction id; Slack's trigger_id or action_ts with the user and action). The action is
recorded under that id in the same transaction that applies it, with the outcome the player
was shown, so a second delivery finds the row and gets the same outcome without applying
anything again. Actions with side effects outside the database (posting a public message)
are recorded as pending before the platform is told "received" and marked done afterwards,
so a restart can finish what a crash interrupted.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

# Platforms redeliver within minutes; a day of history is ample and keeps the table small.
KEEP_S = 24 * 3600.0


@dataclass(frozen=True)
class StoredAction:
    key: str
    kind: str
    payload: dict[str, Any]
    outcome: dict[str, Any] | None
    received_at: float

    @property
    def done(self) -> bool:
        return self.outcome is not None


def find_action(conn: sqlite3.Connection, platform: str, key: str) -> StoredAction | None:
    row = conn.execute(
        "SELECT key, kind, payload, outcome, received_at FROM platform_actions "
        "WHERE platform = ? AND key = ?",
        (platform, key),
    ).fetchone()
    if row is None:
        return None
    return StoredAction(
        row[0], row[1], json.loads(row[2]), json.loads(row[3]) if row[3] else None, row[4]
    )


def record_pending(
    conn: sqlite3.Connection,
    platform: str,
    key: str,
    kind: str,
    payload: dict[str, Any],
    now: float,
) -> bool:
    """True when this is the first delivery of `key` (the caller must now carry it out)."""
    inserted = conn.execute(
        "INSERT INTO platform_actions(platform, key, kind, payload, received_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(platform, key) DO NOTHING",
        (platform, key, kind, json.dumps(payload), now),
    ).rowcount
    return inserted == 1


def record_done(
    conn: sqlite3.Connection,
    platform: str,
    key: str,
    kind: str,
    outcome: dict[str, Any],
    now: float,
) -> None:
    """The action's outcome, stored with (or after) the change it made."""
    conn.execute(
        "INSERT INTO platform_actions(platform, key, kind, outcome, received_at, done_at) "
        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(platform, key) DO UPDATE SET "
        "outcome = excluded.outcome, done_at = excluded.done_at",
        (platform, key, kind, json.dumps(outcome), now, now),
    )


def pending_actions(conn: sqlite3.Connection, platform: str, since: float) -> list[StoredAction]:
    """Actions received after `since` whose outcome was never stored (a crash came first)."""
    rows = conn.execute(
        "SELECT key, kind, payload, outcome, received_at FROM platform_actions "
        "WHERE done_at IS NULL AND platform = ? AND received_at >= ? ORDER BY received_at",
        (platform, since),
    ).fetchall()
    return [StoredAction(r[0], r[1], json.loads(r[2]), None, r[4]) for r in rows]


def forget_old_actions(conn: sqlite3.Connection, now: float) -> int:
    return conn.execute(
        "DELETE FROM platform_actions WHERE received_at < ?", (now - KEEP_S,)
    ).rowcount
