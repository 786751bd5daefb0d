"""Where a front end posted a message it must edit later, so a restart can still edit it."""

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
    row = conn.execute(
        "SELECT channel_id, message_id, data FROM message_refs "
        "WHERE platform = ? AND kind = ? AND key = ?",
        (platform, kind, key),
    ).fetchone()
    return MessageRef(row[0], row[1], json.loads(row[2])) if row else None
