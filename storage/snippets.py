"""Edit & run storage: the run log, per-user drafts and the per-workspace switch.

The run log keeps who ran what and how it ended, but only the SHA-256 of the code, so an
admin can audit use without anyone's code being kept or shown to another user. A row with
status 'running' doubles as the claim that enforces one run at a time per user: the
limits are read and the claim is written in one transaction, so two front-end processes
on one database cannot both let a user past the limit.

A draft is the text a learner last submitted, keyed by that learner, so the editor can
reopen with exactly their text (after a refusal, or to edit again); it is only ever read
back for the same user.
"""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass

RUNNING = "running"
# A run whose runner never answered (not configured, down): logged, but not held against
# the learner's or the workspace's quota.
UNAVAILABLE = "unavailable"


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Who:
    platform: str
    workspace: str
    user_id: str


@dataclass(frozen=True)
class RecentRuns:
    """What the limits are checked against, read inside the claiming transaction."""

    user_starts: tuple[float, ...]  # the user's counted runs in the window, oldest first
    user_running_since: float | None  # the start of the user's unfinished run, if any
    workspace_count: int  # counted runs in the workspace in the window
    workspace_starts: tuple[float, ...]  # the workspace's oldest starts in the window


@dataclass(frozen=True)
class LoggedRun:
    id: int
    platform: str
    workspace: str
    user_id: str
    source: str
    code_sha256: str
    code_chars: int
    started_at: float
    finished_at: float | None
    status: str
    duration_ms: float | None


def recent_runs(
    conn: sqlite3.Connection, who: Who, since: float, running_after: float, oldest: int
) -> RecentRuns:
    """Runs started after `since`; an unfinished one counts as running if it started after
    `running_after` (older claims are a crashed process's, not a run in progress);
    `oldest` is how many of the workspace's oldest starts to return."""
    counted = "status != ? AND started_at > ?"
    user_starts = tuple(
        row[0]
        for row in conn.execute(
            "SELECT started_at FROM snippet_runs WHERE platform = ? AND workspace = ? "
            f"AND user_id = ? AND {counted} ORDER BY started_at",
            (who.platform, who.workspace, who.user_id, UNAVAILABLE, since),
        )
    )
    running = conn.execute(
        "SELECT max(started_at) FROM snippet_runs WHERE platform = ? AND workspace = ? "
        "AND user_id = ? AND status = ? AND started_at > ?",
        (who.platform, who.workspace, who.user_id, RUNNING, running_after),
    ).fetchone()[0]
    where = f"platform = ? AND workspace = ? AND {counted}"
    args = (who.platform, who.workspace, UNAVAILABLE, since)
    count = conn.execute(f"SELECT count(*) FROM snippet_runs WHERE {where}", args).fetchone()[0]
    starts = tuple(
        row[0]
        for row in conn.execute(
            f"SELECT started_at FROM snippet_runs WHERE {where} ORDER BY started_at LIMIT ?",
            (*args, oldest),
        )
    )
    return RecentRuns(user_starts, running, int(count), starts)


def start_run(conn: sqlite3.Connection, who: Who, source: str, code: str, now: float) -> int:
    """The new run's id (`RETURNING`, since a PostgreSQL cursor has no `lastrowid`)."""
    row = conn.execute(
        "INSERT INTO snippet_runs(platform, workspace, user_id, source, code_sha256, "
        "code_chars, started_at, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
        (
            who.platform,
            who.workspace,
            who.user_id,
            source,
            code_hash(code),
            len(code),
            now,
            RUNNING,
        ),
    ).fetchone()
    return int(row[0])


def finish_run(
    conn: sqlite3.Connection, run_id: int, status: str, duration_ms: float | None, now: float
) -> None:
    conn.execute(
        "UPDATE snippet_runs SET status = ?, duration_ms = ?, finished_at = ? WHERE id = ?",
        (status, duration_ms, now, run_id),
    )


def run_log(conn: sqlite3.Connection, platform: str, workspace: str) -> list[LoggedRun]:
    """A workspace's runs, newest first (for admins and audits; no code in it)."""
    rows = conn.execute(
        "SELECT id, platform, workspace, user_id, source, code_sha256, code_chars, started_at, "
        "finished_at, status, duration_ms FROM snippet_runs WHERE platform = ? AND workspace = ? "
        "ORDER BY started_at DESC, id DESC",
        (platform, workspace),
    ).fetchall()
    return [LoggedRun(*row) for row in rows]


# --- the per-workspace switch ------------------------------------------------------------


def snippets_enabled(conn: sqlite3.Connection, platform: str, workspace: str) -> bool:
    """On unless an admin of the workspace turned it off."""
    row = conn.execute(
        "SELECT enabled FROM snippet_settings WHERE platform = ? AND workspace = ?",
        (platform, workspace),
    ).fetchone()
    return True if row is None else bool(row[0])


def set_snippets_enabled(conn: sqlite3.Connection, who: Who, enabled: bool, now: float) -> None:
    conn.execute(
        "INSERT INTO snippet_settings(platform, workspace, enabled, changed_by, changed_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT(platform, workspace) DO UPDATE SET "
        "enabled = excluded.enabled, changed_by = excluded.changed_by, "
        "changed_at = excluded.changed_at",
        (who.platform, who.workspace, int(enabled), who.user_id, now),
    )


# --- drafts ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    code: str
    session_id: str | None
    index: int | None


def save_draft(conn: sqlite3.Connection, who: Who, draft: Draft, now: float) -> None:
    conn.execute(
        "INSERT INTO snippet_drafts(platform, workspace, user_id, code, session_id, idx, "
        "saved_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(platform, workspace, user_id) "
        "DO UPDATE SET code = excluded.code, session_id = excluded.session_id, "
        "idx = excluded.idx, saved_at = excluded.saved_at",
        (who.platform, who.workspace, who.user_id, draft.code, draft.session_id, draft.index, now),
    )


def load_draft(conn: sqlite3.Connection, who: Who) -> Draft | None:
    row = conn.execute(
        "SELECT code, session_id, idx FROM snippet_drafts "
        "WHERE platform = ? AND workspace = ? AND user_id = ?",
        (who.platform, who.workspace, who.user_id),
    ).fetchone()
    return Draft(row[0], row[1], row[2]) if row else None
