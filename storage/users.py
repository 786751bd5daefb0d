"""Players, scoped by platform and workspace (Discord guild, Slack team, terminal)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
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


def lock_player(conn: sqlite3.Connection, player_id: int) -> None:
    """Write the player's row (to itself), before any other write of the unit.

    Everything a run's unit checks before writing is the player's own: the run's attempts
    and outcomes (the attempt limit, one score per question), the repeat-award window, the
    player's ratings, review cards and streak. Writing one row that every such unit writes
    turns any two of them that overlap into a write conflict, which PostgreSQL reports as a
    serialization failure at REPEATABLE READ (or makes the second wait for the first): the
    loser reruns from a snapshot that shows the winner's rows. A plain row lock (FOR UPDATE)
    would not do: a row only locked by a committed transaction raises nothing, and the
    loser would decide from its stale snapshot. Coming first also means a second click
    never reaches the attempts insert to fail there with a unique-key error instead of a
    retry. On SQLite BEGIN IMMEDIATE already serialises writers; this costs one write.
    """
    lock_players(conn, [player_id])


def lock_players(conn: sqlite3.Connection, player_ids: Iterable[int]) -> None:
    """`lock_player` for several, in id order (two units locking the same players in
    opposite orders would deadlock until PostgreSQL's deadlock_timeout)."""
    conn.executemany(
        "UPDATE users SET display_name = display_name WHERE id = ?",
        [(player_id,) for player_id in sorted(set(player_ids))],
    )
