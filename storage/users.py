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


def find_user(
    conn: sqlite3.Connection, platform: str, workspace: str, external_id: str
) -> int | None:
    """A known user's id, or None; never creates one (looking someone up is not playing)."""
    row = conn.execute(
        "SELECT id FROM users WHERE platform = ? AND workspace = ? AND external_id = ?",
        (platform, workspace, external_id),
    ).fetchone()
    return int(row[0]) if row else None


def get_user(conn: sqlite3.Connection, user_id: int) -> PlayerRef | None:
    """Who a user id is on their platform, e.g. to mention them in a chat message."""
    row = conn.execute(
        "SELECT platform, workspace, external_id, display_name FROM users WHERE id = ?",
        (user_id,),
    ).fetchone()
    return PlayerRef(*row) if row else None
