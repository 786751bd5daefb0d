"""Per-workspace settings an admin controls (badge announcements for now)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkspaceSettings:
    announce_badges: bool = False
    announce_channel: str | None = None


def get_settings(conn: sqlite3.Connection, platform: str, workspace: str) -> WorkspaceSettings:
    row = conn.execute(
        "SELECT announce_badges, announce_channel FROM workspace_settings "
        "WHERE platform = ? AND workspace = ?",
        (platform, workspace),
    ).fetchone()
    return WorkspaceSettings(bool(row[0]), row[1]) if row else WorkspaceSettings()


def put_settings(
    conn: sqlite3.Connection, platform: str, workspace: str, settings: WorkspaceSettings
) -> None:
    conn.execute(
        "INSERT INTO workspace_settings(platform, workspace, announce_badges, announce_channel) "
        "VALUES (?, ?, ?, ?) ON CONFLICT(platform, workspace) DO UPDATE SET "
        "announce_badges = excluded.announce_badges, "
        "announce_channel = excluded.announce_channel",
        (platform, workspace, int(settings.announce_badges), settings.announce_channel),
    )
