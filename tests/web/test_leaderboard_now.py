"""The read-only board equals the bot's board after folding, whatever is still unfolded."""

from __future__ import annotations

import random
import shutil
import sqlite3
from pathlib import Path

import pytest

from bot.engine.periods import PERIODS, period_key
from storage.dashboard import current_leaderboard
from storage.leaderboard import leaderboard, refresh_totals
from storage.migrations import check_schema, migrate

NOW = 1_780_000_000.0


def add_scores(conn: sqlite3.Connection, rng: random.Random, count: int, users: int) -> None:
    conn.executemany(
        "INSERT INTO scores(user_id, mode, ranked, pack_id, problem_id, points, correct, "
        "scored_at, session_id, idx) VALUES (?, 'challenge', ?, 'p', 'q', ?, ?, ?, ?, 0)",
        [
            (
                rng.randint(1, users),
                int(rng.random() < 0.9),
                pts,
                int(pts > 0),
                NOW - rng.random() * 86_400 * 40,
                f"s{rng.random()}",
            )
            for _ in range(count)
            # Few distinct values, so ties on points, correct and answered are common.
            for pts in (rng.choice((0, 0, 10, 20)),)
        ],
    )


def build(path: Path, seed: int) -> None:
    rng = random.Random(seed)
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, check_schema(conn, str(path)))
    conn.executemany(
        "INSERT INTO users(id, platform, workspace, external_id, display_name, created_at) "
        "VALUES (?, 'slack', ?, ?, ?, 0)",
        [(i, "T1" if i % 4 else "T2", f"U{i}", f"user {i}") for i in range(1, 61)],
    )
    add_scores(conn, rng, 400, 60)
    refresh_totals(conn)  # the bot read its board once ...
    add_scores(conn, rng, rng.choice((0, 3, 40)), 60)  # ... and these came after
    conn.close()


@pytest.mark.parametrize("seed", range(6))
def test_current_board_matches_the_folded_board(tmp_path: Path, seed: int) -> None:
    live, folded = tmp_path / "live.db", tmp_path / "folded.db"
    build(live, seed)
    shutil.copy(live, folded)
    writer = sqlite3.connect(folded, isolation_level=None)
    refresh_totals(writer)
    reader = sqlite3.connect(f"file:{live}?mode=ro", uri=True)
    for period in PERIODS:
        start = period_key(period, NOW)
        for me in (None, 1, 2, 5, 13, 30, 59, 4):  # 4 is in T2: never on T1's board
            for limit in (1, 5, 25):
                got = current_leaderboard(reader, "slack", "T1", period, start, limit, me)
                want = leaderboard(writer, "slack", "T1", period, start, limit, me)
                assert got == want, (period, me, limit)
    assert reader.execute("SELECT COUNT(*) FROM leaderboard_totals").fetchone()[0] > 0
