"""Running leaderboard totals: folded in increments they equal a rebuild, and SQLite's period
keys equal Python's."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from bot.engine.periods import PERIODS, period_key
from storage.leaderboard import leaderboard, rebuild_totals, refresh_totals
from storage.migrations import MIGRATIONS, _apply, check_schema, migrate


def fresh(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, check_schema(conn, str(path)))
    return conn


def seed_scores(conn: sqlite3.Connection, moments: list[float]) -> None:
    conn.executemany(
        "INSERT INTO users(id, platform, workspace, external_id, display_name, created_at) "
        "VALUES (?, 'discord', ?, ?, ?, 0)",
        [(i, f"g{i % 2}", f"u{i}", f"user {i}") for i in range(1, 7)],
    )
    seed_scores_more(conn, moments, first_live=0)


def seed_scores_more(conn: sqlite3.Connection, moments: list[float], first_live: int) -> None:
    rng = random.Random(3 + first_live)
    conn.executemany(
        "INSERT INTO scores(user_id, mode, ranked, pack_id, problem_id, points, correct, "
        "scored_at, live_id, session_id) VALUES (?, ?, ?, 'p', 'q', ?, ?, ?, ?, NULL)",
        [
            (rng.randint(1, 6), mode, int(mode != "practice"), pts, int(pts > 0), at, f"l{n}")
            for n, at in enumerate(moments, start=first_live)
            for mode in (rng.choice(("challenge", "test", "live", "practice")),)
            for pts in (rng.choice((0, 10, 20, 30)),)
        ],
    )


def totals(conn: sqlite3.Connection) -> list[tuple]:
    return conn.execute("SELECT * FROM leaderboard_totals ORDER BY 1, 2, 3, 4, 5").fetchall()


def test_folding_in_increments_equals_a_rebuild(tmp_path: Path) -> None:
    conn = fresh(tmp_path / "db.sqlite")
    start = 1_767_225_600.0  # 2026-01-01 00:00 UTC, a Thursday
    rng = random.Random(1)
    moments = [start + rng.random() * 86_400 * 90 for _ in range(400)]
    seed_scores(conn, moments[:150])
    assert refresh_totals(conn) == 150
    assert refresh_totals(conn) == 0  # nothing new, nothing folded twice
    seed_scores_more(conn, moments[150:], first_live=150)
    assert refresh_totals(conn) == 250
    folded = totals(conn)
    assert folded
    rebuild_totals(conn)
    assert totals(conn) == folded
    practice = conn.execute("SELECT COUNT(*) FROM scores WHERE ranked = 0").fetchone()[0]
    counted = conn.execute(
        "SELECT SUM(answered) FROM leaderboard_totals WHERE period = 'all'"
    ).fetchone()[0]
    assert counted == 400 - practice  # practice never reaches a leaderboard


def test_sqlite_period_keys_match_python_at_the_edges(tmp_path: Path) -> None:
    conn = fresh(tmp_path / "db.sqlite")
    # Around midnight, a Sunday/Monday week boundary, a month and a year boundary.
    edges = [1_767_225_600.0, 1_767_571_200.0, 1_769_904_000.0, 1_798_761_600.0]
    moments = sorted({e + d for e in edges for d in (-1.0, -0.001, 0.0, 0.001, 1.0)})
    for at in moments:
        for period in PERIODS:
            sql_key = conn.execute(
                "SELECT CASE :p WHEN 'day' THEN date(:t, 'unixepoch') "
                "WHEN 'week' THEN date(:t, 'unixepoch', 'weekday 0', '-6 days') "
                "WHEN 'month' THEN date(:t, 'unixepoch', 'start of month') ELSE '' END",
                {"p": period, "t": at},
            ).fetchone()[0]
            assert sql_key == period_key(period, at), (period, at)


def test_own_rank_counts_everyone_ahead_with_the_tie_breaks(tmp_path: Path) -> None:
    conn = fresh(tmp_path / "db.sqlite")
    conn.executemany(
        "INSERT INTO users(id, platform, workspace, external_id, display_name, created_at) "
        "VALUES (?, 't', 'w', ?, ?, 0)",
        [(i, f"u{i}", f"user {i}") for i in range(1, 31)],
    )
    # Everyone scores 10 once; users 21..30 score a second time with 0 points (worse accuracy).
    rows = [(i, 10, 1, f"a{i}") for i in range(1, 31)]
    rows += [(i, 0, 0, f"b{i}") for i in range(21, 31)]
    conn.executemany(
        "INSERT INTO scores(user_id, mode, ranked, pack_id, problem_id, points, correct, "
        "scored_at, live_id) VALUES (?, 'live', 1, 'p', 'q', ?, ?, 0, ?)",
        rows,
    )
    refresh_totals(conn)
    top, own = leaderboard(conn, "t", "w", "all", "", limit=10, me=25)
    assert [r.user_id for r in top] == list(range(1, 11))
    assert own is not None and own.rank == 25 and own.answered == 2
    _, first = leaderboard(conn, "t", "w", "all", "", limit=10, me=1)
    assert first is not None and first.rank == 1


def test_scores_past_a_version_7_watermark_wait_in_the_queue(tmp_path: Path) -> None:
    """Migration 8 swaps the fold watermark for a queue: scores an older lrquiz folded stay
    folded (counted once), the ones after its watermark wait for the next fold."""
    conn = sqlite3.connect(tmp_path / "db.sqlite", isolation_level=None)
    for migration in MIGRATIONS:
        if migration.version <= 7:
            _apply(conn, migration)
    seed_scores(conn, [1_767_225_600.0 + 3600 * n for n in range(40)])
    conn.execute("INSERT INTO lrquiz_meta VALUES ('leaderboard_folded_score_id', '25')")
    migrate(conn, 7)
    queued = [r[0] for r in conn.execute("SELECT score_id FROM unfolded_scores ORDER BY 1")]
    assert queued == list(range(26, 41))
    watermark = "SELECT key FROM lrquiz_meta WHERE key LIKE 'leaderboard%'"
    assert conn.execute(watermark).fetchall() == []
    assert refresh_totals(conn) == 15
    assert conn.execute("SELECT COUNT(*) FROM unfolded_scores").fetchone() == (0,)
