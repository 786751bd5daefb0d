"""Versioned schema migrations.

The version lives in our own `lrquiz_meta` table, not `PRAGMA user_version`, so a database
shared with other software is never confused with ours. Migrations only create and alter
lrquiz tables; a file that already has a table of ours without our metadata is refused
rather than touched.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from .errors import SchemaTooNew, StorageError


@dataclass(frozen=True)
class Migration:
    version: int
    description: str
    sql: str


MIGRATIONS: tuple[Migration, ...] = (
    Migration(
        1,
        "players, runs, live questions, scores, badges, schedules, dailies and settings",
        """
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            external_id TEXT NOT NULL,
            display_name TEXT NOT NULL,
            created_at REAL NOT NULL,
            UNIQUE (platform, workspace, external_id)
        );
        CREATE TABLE sessions (
            id TEXT PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            mode TEXT NOT NULL,
            pack_id TEXT NOT NULL,
            problem_ids TEXT NOT NULL,
            started_at REAL NOT NULL,
            finished_at REAL
        );
        CREATE INDEX sessions_user ON sessions(user_id, started_at);
        CREATE TABLE questions (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            idx INTEGER NOT NULL CHECK (idx >= 0),
            problem_id TEXT NOT NULL,
            opened_at REAL NOT NULL,
            deadline REAL,
            max_attempts INTEGER NOT NULL CHECK (max_attempts >= 1),
            hint_used INTEGER NOT NULL DEFAULT 0,
            outcome TEXT CHECK (outcome IN ('correct', 'wrong', 'expired', 'skipped')),
            points INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),
            closed_at REAL,
            PRIMARY KEY (session_id, idx)
        );
        CREATE INDEX questions_open_deadline ON questions(deadline)
            WHERE outcome IS NULL AND deadline IS NOT NULL;
        CREATE TABLE attempts (
            session_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            attempt_no INTEGER NOT NULL CHECK (attempt_no >= 1),
            choice TEXT NOT NULL CHECK (choice IN ('A', 'B', 'C', 'D')),
            correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
            answered_at REAL NOT NULL,
            PRIMARY KEY (session_id, idx, attempt_no),
            FOREIGN KEY (session_id, idx) REFERENCES questions(session_id, idx)
        );
        CREATE TRIGGER attempts_respect_question BEFORE INSERT ON attempts
        BEGIN
            SELECT RAISE(ABORT, 'lrquiz: attempt limit reached')
            WHERE NEW.attempt_no > (SELECT max_attempts FROM questions
                                    WHERE session_id = NEW.session_id AND idx = NEW.idx);
            SELECT RAISE(ABORT, 'lrquiz: question is closed')
            WHERE (SELECT outcome FROM questions
                   WHERE session_id = NEW.session_id AND idx = NEW.idx) IS NOT NULL;
        END;
        CREATE TABLE hints (
            session_id TEXT NOT NULL,
            idx INTEGER NOT NULL,
            used_at REAL NOT NULL,
            PRIMARY KEY (session_id, idx),
            FOREIGN KEY (session_id, idx) REFERENCES questions(session_id, idx)
        );
        CREATE TABLE live_questions (
            id TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            pack_id TEXT NOT NULL,
            problem_id TEXT NOT NULL,
            opened_at REAL NOT NULL,
            deadline REAL NOT NULL,
            closed_at REAL,
            posted_by INTEGER REFERENCES users(id)
        );
        CREATE INDEX live_open_deadline ON live_questions(deadline) WHERE closed_at IS NULL;
        CREATE TABLE live_answers (
            live_id TEXT NOT NULL REFERENCES live_questions(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            choice TEXT NOT NULL CHECK (choice IN ('A', 'B', 'C', 'D')),
            correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
            hint_used INTEGER NOT NULL CHECK (hint_used IN (0, 1)),
            answered_at REAL NOT NULL,
            PRIMARY KEY (live_id, user_id)
        );
        CREATE TRIGGER live_answers_while_open BEFORE INSERT ON live_answers
        BEGIN
            SELECT RAISE(ABORT, 'lrquiz: live question is closed')
            WHERE (SELECT closed_at FROM live_questions WHERE id = NEW.live_id) IS NOT NULL;
        END;
        CREATE TABLE live_hints (
            live_id TEXT NOT NULL REFERENCES live_questions(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            used_at REAL NOT NULL,
            PRIMARY KEY (live_id, user_id)
        );
        -- One ledger row per scored question, from a run or a live question, never twice.
        CREATE TABLE scores (
            id INTEGER PRIMARY KEY,
            user_id INTEGER NOT NULL REFERENCES users(id),
            mode TEXT NOT NULL,
            ranked INTEGER NOT NULL CHECK (ranked IN (0, 1)),
            pack_id TEXT NOT NULL,
            problem_id TEXT NOT NULL,
            points INTEGER NOT NULL CHECK (points >= 0),
            correct INTEGER NOT NULL CHECK (correct IN (0, 1)),
            scored_at REAL NOT NULL,
            session_id TEXT,
            idx INTEGER,
            live_id TEXT REFERENCES live_questions(id),
            UNIQUE (session_id, idx),
            UNIQUE (live_id, user_id),
            CHECK ((session_id IS NULL) != (live_id IS NULL)),
            FOREIGN KEY (session_id, idx) REFERENCES questions(session_id, idx)
        );
        CREATE INDEX scores_user_time ON scores(user_id, scored_at);
        CREATE INDEX scores_time ON scores(scored_at);
        -- Running totals per scope, period and player, so a leaderboard is an index range
        -- scan instead of an aggregate over every answer. Folded in from `scores` in batches
        -- when a leaderboard is read (storage.leaderboard.refresh_totals), which keeps the
        -- answer path free of this work. period_start is the UTC date the day / ISO week /
        -- month starts on; '' for all time.
        CREATE TABLE leaderboard_totals (
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            period TEXT NOT NULL CHECK (period IN ('day', 'week', 'month', 'all')),
            period_start TEXT NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users(id),
            points INTEGER NOT NULL,
            correct INTEGER NOT NULL,
            answered INTEGER NOT NULL,
            PRIMARY KEY (platform, workspace, period, period_start, user_id)
        );
        CREATE INDEX leaderboard_rank ON leaderboard_totals(
            platform, workspace, period, period_start,
            points DESC, correct DESC, answered ASC, user_id ASC
        );
        CREATE TABLE schedules (
            id TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            time_of_day TEXT NOT NULL,
            timezone TEXT NOT NULL,
            weekdays TEXT NOT NULL,
            pack_id TEXT NOT NULL,
            format TEXT NOT NULL CHECK (format IN ('card', 'live')),
            paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1)),
            created_by INTEGER REFERENCES users(id),
            created_at REAL NOT NULL
        );
        -- One row per occurrence ever considered: the primary key is the exactly-once claim.
        CREATE TABLE schedule_runs (
            schedule_id TEXT NOT NULL,
            local_date TEXT NOT NULL,
            due_at REAL NOT NULL,
            claimed_at REAL NOT NULL,
            status TEXT NOT NULL CHECK (status IN ('firing', 'posted', 'failed', 'skipped')),
            detail TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (schedule_id, local_date)
        );
        CREATE TABLE dailies (
            id TEXT PRIMARY KEY,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            local_date TEXT NOT NULL,
            timezone TEXT NOT NULL,
            pack_id TEXT NOT NULL,
            problem_ids TEXT NOT NULL,
            cycle INTEGER NOT NULL,
            schedule_id TEXT,
            posted_at REAL NOT NULL,
            ends_at REAL NOT NULL,
            closed_at REAL,
            UNIQUE (platform, workspace, channel_id, local_date)
        );
        CREATE INDEX dailies_open ON dailies(ends_at) WHERE closed_at IS NULL;
        CREATE TABLE daily_entries (
            daily_id TEXT NOT NULL REFERENCES dailies(id),
            user_id INTEGER NOT NULL REFERENCES users(id),
            session_id TEXT NOT NULL UNIQUE REFERENCES sessions(id),
            PRIMARY KEY (daily_id, user_id)
        );
        CREATE TABLE workspace_settings (
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            announce_badges INTEGER NOT NULL DEFAULT 0 CHECK (announce_badges IN (0, 1)),
            announce_channel TEXT,
            PRIMARY KEY (platform, workspace)
        );
        -- Where a front end posted something it must edit later (ids only, per platform).
        CREATE TABLE message_refs (
            platform TEXT NOT NULL,
            kind TEXT NOT NULL,
            key TEXT NOT NULL,
            channel_id TEXT NOT NULL,
            message_id TEXT NOT NULL,
            data TEXT NOT NULL DEFAULT '{}',
            updated_at REAL NOT NULL,
            PRIMARY KEY (platform, kind, key)
        );
        CREATE TABLE badges (
            session_id TEXT NOT NULL REFERENCES sessions(id),
            badge_id TEXT NOT NULL,
            user_id INTEGER NOT NULL REFERENCES users(id),
            pack_id TEXT NOT NULL,
            awarded_at REAL NOT NULL,
            PRIMARY KEY (session_id, badge_id)
        );
        CREATE INDEX badges_user ON badges(user_id, badge_id);
        """,
    ),
    Migration(
        2,
        "platform actions by their delivery id, so a redelivered click changes nothing",
        """
        CREATE TABLE platform_actions (
            platform TEXT NOT NULL,
            key TEXT NOT NULL,
            kind TEXT NOT NULL,
            payload TEXT NOT NULL DEFAULT '{}',
            outcome TEXT,
            received_at REAL NOT NULL,
            done_at REAL,
            PRIMARY KEY (platform, key)
        );
        CREATE INDEX platform_actions_pending ON platform_actions(received_at)
            WHERE done_at IS NULL;
        CREATE INDEX platform_actions_received ON platform_actions(received_at);
        """,
    ),
    Migration(
        3,
        "learner and item ratings, spaced-review cards",
        """
        -- Elo-style estimates (bot/engine/ratings.py); topic '' is the overall skill. Derived
        -- data: `lrquiz ratings rebuild` recomputes all three tables from the answers.
        CREATE TABLE learner_ratings (
            user_id INTEGER NOT NULL REFERENCES users(id),
            topic TEXT NOT NULL,
            skill REAL NOT NULL,
            answers INTEGER NOT NULL CHECK (answers >= 0),
            updated_at REAL NOT NULL,
            PRIMARY KEY (user_id, topic)
        );
        CREATE TABLE item_ratings (
            pack_id TEXT NOT NULL,
            problem_id TEXT NOT NULL,
            difficulty REAL NOT NULL,
            answers INTEGER NOT NULL CHECK (answers >= 0),
            updated_at REAL NOT NULL,
            PRIMARY KEY (pack_id, problem_id)
        );
        -- One FSRS card per learner and problem (bot/engine/review.py): fsrs's Card fields,
        -- times as Unix seconds.
        CREATE TABLE review_cards (
            user_id INTEGER NOT NULL REFERENCES users(id),
            pack_id TEXT NOT NULL,
            problem_id TEXT NOT NULL,
            state INTEGER NOT NULL,
            step INTEGER,
            stability REAL,
            difficulty REAL,
            due REAL NOT NULL,
            last_review REAL,
            reviews INTEGER NOT NULL CHECK (reviews >= 1),
            updated_at REAL NOT NULL,
            PRIMARY KEY (user_id, pack_id, problem_id)
        );
        CREATE INDEX review_cards_due ON review_cards(user_id, due);
        -- "Has this learner already scored this problem this week?" is one index probe.
        CREATE INDEX scores_user_problem ON scores(user_id, pack_id, problem_id, scored_at);
        """,
    ),
    Migration(
        4,
        "generated problem variants, stored whole so every later reference resolves",
        """
        -- A variant of a pack template (problems/variants.py), exactly as a learner saw it.
        -- purpose 'daily': made for a day's card; 'pool': generated ahead for adaptive runs,
        -- unused until a run takes it (taken_by, the run's id), then never offered again.
        CREATE TABLE variants (
            pack_id TEXT NOT NULL,
            id TEXT NOT NULL,
            template_id TEXT NOT NULL,
            seed INTEGER NOT NULL,
            problem TEXT NOT NULL,
            torch_version TEXT NOT NULL,
            purpose TEXT NOT NULL CHECK (purpose IN ('daily', 'pool')),
            created_at REAL NOT NULL,
            taken_by TEXT,
            taken_at REAL,
            PRIMARY KEY (pack_id, id)
        );
        CREATE INDEX variants_unused ON variants(pack_id, template_id, created_at)
            WHERE purpose = 'pool' AND taken_by IS NULL;
        """,
    ),
    Migration(
        5,
        "personal daily suggestions, live answers by learner",
        """
        -- Each learner's study set for a local day (bot/engine/suggest.py), fixed by the first
        -- request of the day so every front end shows the same one; `items` is JSON
        -- [{problem, reason, topic, success}], `session_id` the run that plays it.
        CREATE TABLE daily_suggestions (
            user_id INTEGER NOT NULL REFERENCES users(id),
            local_date TEXT NOT NULL,
            pack_id TEXT NOT NULL,
            items TEXT NOT NULL,
            created_at REAL NOT NULL,
            session_id TEXT REFERENCES sessions(id),
            PRIMARY KEY (user_id, local_date, pack_id)
        );
        -- What a learner answered live lately counts as seen (storage/learning.py).
        CREATE INDEX live_answers_user ON live_answers(user_id, answered_at);
        """,
    ),
    Migration(
        6,
        "snippet runs (Edit & run): the run log, per-user drafts, the per-workspace switch",
        """
        -- One row per snippet a learner ran: who, when, the code's hash (never the code),
        -- how it ended. A row with status 'running' is a claim: one run at a time per user.
        CREATE TABLE snippet_runs (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            user_id TEXT NOT NULL,
            source TEXT NOT NULL,
            code_sha256 TEXT NOT NULL CHECK (length(code_sha256) = 64),
            code_chars INTEGER NOT NULL CHECK (code_chars >= 0),
            started_at REAL NOT NULL,
            finished_at REAL,
            status TEXT NOT NULL,
            duration_ms REAL
        );
        CREATE INDEX snippet_runs_user ON snippet_runs(platform, workspace, user_id, started_at);
        CREATE INDEX snippet_runs_workspace ON snippet_runs(platform, workspace, started_at);
        -- The text a learner last submitted and had refused, so the editor reopens with it;
        -- only ever shown to that same learner.
        CREATE TABLE snippet_drafts (
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            user_id TEXT NOT NULL,
            code TEXT NOT NULL,
            session_id TEXT,
            idx INTEGER,
            saved_at REAL NOT NULL,
            PRIMARY KEY (platform, workspace, user_id)
        );
        CREATE TABLE snippet_settings (
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            enabled INTEGER NOT NULL CHECK (enabled IN (0, 1)),
            changed_by TEXT NOT NULL,
            changed_at REAL NOT NULL,
            PRIMARY KEY (platform, workspace)
        );
        """,
    ),
    Migration(
        7,
        "streaks as running state, players per points, covering per-player indexes",
        """
        -- Per player and workspace: the latest completed daily and how many consecutive
        -- days end there (storage/streaks.py), so a streak is read in one probe.
        CREATE TABLE daily_streaks (
            user_id INTEGER NOT NULL REFERENCES users(id),
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            last_day TEXT NOT NULL,
            length INTEGER NOT NULL CHECK (length >= 1),
            PRIMARY KEY (user_id, platform, workspace)
        );
        -- A player's dailies (streaks, the dashboard calendar) without scanning every entry.
        CREATE INDEX daily_entries_user ON daily_entries(user_id);
        -- The same index, wider: it now covers a player's stats (points and right answers per
        -- problem) and the weekly repeat check, which read each score row from the table
        -- before, one page per row once the table outgrows the cache.
        DROP INDEX scores_user_problem;
        CREATE INDEX scores_user_problem
            ON scores(user_id, pack_id, problem_id, scored_at, points, correct, session_id);
        -- How many players of a board hold each (points, correct) pair, kept with the totals
        -- at every fold, so a player's rank sums the pairs above theirs
        -- (storage/leaderboard.py) instead of counting every player ahead.
        CREATE TABLE leaderboard_points (
            platform TEXT NOT NULL,
            workspace TEXT NOT NULL,
            period TEXT NOT NULL,
            period_start TEXT NOT NULL,
            points INTEGER NOT NULL,
            correct INTEGER NOT NULL,
            players INTEGER NOT NULL,
            PRIMARY KEY (platform, workspace, period, period_start, points, correct)
        );
        INSERT INTO leaderboard_points(platform, workspace, period, period_start, points,
                                       correct, players)
        SELECT platform, workspace, period, period_start, points, correct, COUNT(*)
        FROM leaderboard_totals
        GROUP BY platform, workspace, period, period_start, points, correct;
        """,
    ),
    Migration(
        8,
        "a queue of scores not yet folded into the leaderboard totals, instead of a watermark",
        """
        -- Every score row waits here until a fold adds it to the leaderboard totals
        -- (storage/leaderboard.py). A queue instead of a watermark on score ids: on
        -- PostgreSQL replicas commit out of id order, and every writer updating one
        -- watermark row made any two concurrent answers conflict.
        CREATE TABLE unfolded_scores (
            score_id INTEGER PRIMARY KEY
        );
        CREATE TRIGGER scores_wait_for_fold AFTER INSERT ON scores
        BEGIN
            INSERT INTO unfolded_scores(score_id) VALUES (NEW.id);
        END;
        INSERT INTO unfolded_scores(score_id)
        SELECT id FROM scores
        WHERE id > COALESCE((SELECT CAST(value AS INTEGER) FROM lrquiz_meta
                             WHERE key = 'leaderboard_folded_score_id'), 0);
        DELETE FROM lrquiz_meta WHERE key = 'leaderboard_folded_score_id';
        """,
    ),
    Migration(
        9,
        "a queue of answers not yet folded into the item difficulties",
        """
        -- What each answer does to its problem's difficulty waits here until a fold moves
        -- `item_ratings` by it, in id order (storage/ratings.py). Readers add the waiting
        -- rows to the stored one, so the queue changes when a row is written, not what
        -- anyone reads. On PostgreSQL every answer to a problem writing its one row made
        -- any two replicas answering the same problem conflict. `seed` is the difficulty
        -- the problem starts from (its label's) if it has no row yet.
        CREATE TABLE item_evidence (
            id INTEGER PRIMARY KEY,
            pack_id TEXT NOT NULL,
            problem_id TEXT NOT NULL,
            seed REAL NOT NULL,
            surprise REAL NOT NULL,
            at REAL NOT NULL
        );
        CREATE INDEX item_evidence_by_item ON item_evidence(pack_id, problem_id, id);
        """,
    ),
)

LATEST_VERSION = MIGRATIONS[-1].version
DAMAGED = "this lrquiz database is damaged; restore it from a backup or move it aside"
OWNED_TABLES = (
    "users",
    "sessions",
    "questions",
    "attempts",
    "hints",
    "live_questions",
    "live_answers",
    "live_hints",
    "scores",
    "badges",
    "message_refs",
    "platform_actions",
    "learner_ratings",
    "item_ratings",
    "review_cards",
    "variants",
    "daily_suggestions",
    "snippet_runs",
    "snippet_drafts",
    "snippet_settings",
    "unfolded_scores",
    "item_evidence",
)


def current_version(conn: sqlite3.Connection) -> int:
    """0 for a database lrquiz has never touched."""
    has_meta = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'lrquiz_meta'"
    ).fetchone()
    if not has_meta:
        return 0
    row = conn.execute("SELECT value FROM lrquiz_meta WHERE key = 'schema_version'").fetchone()
    if row is None:
        return 0
    try:
        return int(row[0])
    except (TypeError, ValueError):
        raise StorageError(f"schema version {row[0]!r} is not a number") from None


def check_schema(conn: sqlite3.Connection, where: str) -> int:
    """The file's lrquiz schema version, or StorageError if lrquiz must not touch it.

    Read-only, so a refused file is left exactly as it was.
    """
    try:
        version = current_version(conn)
    except StorageError as error:
        raise StorageError(f"{where}: {DAMAGED} ({error})") from None
    if version > LATEST_VERSION:
        raise SchemaTooNew(
            f"{where}: database schema version {version} is newer than this lrquiz supports "
            f"({LATEST_VERSION}); upgrade lrquiz to use it"
        )
    if version == 0:
        _refuse_foreign_tables(conn, where)
    return version


def migrate(conn: sqlite3.Connection, version: int) -> int:
    """Apply every migration after `version`; returns the version now in force.

    Versions must increase along MIGRATIONS; gaps are allowed (a number may be reserved).
    """
    for migration in MIGRATIONS:
        if migration.version > version:
            _apply(conn, migration)
            version = migration.version
    return version


def _refuse_foreign_tables(conn: sqlite3.Connection, where: str) -> None:
    names = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    clash = sorted(names.intersection(OWNED_TABLES))
    if "lrquiz_meta" in names and len(clash) >= len(OWNED_TABLES) // 2:
        # lrquiz's own tables, but its version record is gone: damage, not another app.
        raise StorageError(f"{where}: {DAMAGED} (its schema version record is missing)")
    if clash:
        raise StorageError(
            f"{where}: already has a table {clash[0]!r} that lrquiz did not create; "
            "use another database file"
        )


def _apply(conn: sqlite3.Connection, migration: Migration) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS lrquiz_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
        )
        for statement in _statements(migration.sql):
            conn.execute(statement)
        conn.execute(
            "INSERT INTO lrquiz_meta(key, value) VALUES ('schema_version', ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (str(migration.version),),
        )
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


def _statements(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    statements: list[str] = []
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
