"""Players, scoped by platform and workspace (Discord guild, Slack team, terminal)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class PlayerRef:
    """Who is playing, as the front end knows them."""

    platform: str
    workspace: str
    external_id: str
    display_name: str


def ensure_user(conn: sqlite3.Connection, player: PlayerRef, now: float) -> int:
    """The user's id, created on first sight; the display name follows renames."""
    row = conn.execute(
        "INSERT INTO users(platform, workspace, external_id, display_name, created_at) "
        "VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT(platform, workspace, external_id) "
        "DO UPDATE SET display_name = excluded.display_name "
        "RETURNING id",
        (player.platform, player.workspace, player.external_id, player.display_name, now),
    ).fetchone()
    return int(row[0])
