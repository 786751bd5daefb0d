"""Where a front end posted a message it must edit later, so a restart can still edit it.

A front end that must post something at most once (a day's card) first claims the ref: a
row whose message id is the `PENDING` marker. Only the claimer posts; a claim left behind
by a process that died mid-post can be taken over once it is older than `STALE_CLAIM_S`.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class MessageRef:
    channel_id: str
    message_id: str
    data: dict[str, Any] = field(default_factory=dict)


def put_ref(
    conn: sqlite3.Connection, platform: str, kind: str, key: str, ref: MessageRef, now: float
) -> None:
    conn.execute(
        "INSERT INTO message_refs(platform, kind, key, channel_id, message_id, data, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(platform, kind, key) DO UPDATE SET "
        "channel_id = excluded.channel_id, message_id = excluded.message_id, "
        "data = excluded.data, updated_at = excluded.updated_at",
        (platform, kind, key, ref.channel_id, ref.message_id, json.dumps(ref.data), now),
    )


def get_ref(conn: sqlite3.Connection, platform: str, kind: str, key: str) -> MessageRef | None:
    """The posted message, or None while nothing is posted (a pending claim included)."""
    row = conn.execute(
        "SELECT channel_id, message_id, data FROM message_refs "
        "WHERE platform = ? AND kind = ? AND key = ? AND message_id != ?",
        (platform, kind, key, PENDING),
    ).fetchone()
    return MessageRef(row[0], row[1], json.loads(row[2])) if row else None


STALE_CLAIM_S = 60.0
PENDING = "(pending)"  # never a real message id (Discord) or ts (Slack)


def claim_ref(conn: sqlite3.Connection, platform: str, kind: str, key: str, now: float) -> bool:
    """True for exactly one caller while nothing is posted under this key."""
    claimed = conn.execute(
        "INSERT INTO message_refs(platform, kind, key, channel_id, message_id, updated_at) "
        "VALUES (?, ?, ?, '', ?, ?) ON CONFLICT(platform, kind, key) DO UPDATE SET "
        "updated_at = excluded.updated_at "
        "WHERE message_refs.message_id = ? AND message_refs.updated_at < ?",
        (platform, kind, key, PENDING, now, PENDING, now - STALE_CLAIM_S),
    ).rowcount
    return claimed == 1


def release_claim(conn: sqlite3.Connection, platform: str, kind: str, key: str) -> None:
    """Give up a claim whose post failed, so a later attempt may post."""
    conn.execute(
        "DELETE FROM message_refs WHERE platform = ? AND kind = ? AND key = ? AND message_id = ?",
        (platform, kind, key, PENDING),
    )
