"""Players per (points, correct): always a count over the totals, so ranks stay exact."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

from bot.engine.clock import FakeClock
from bot.service import GameService
from storage.database import Database
from storage.leaderboard import leaderboard, refresh_totals
from storage.migrations import MIGRATIONS, _apply, migrate
from tests.factories import make_pack
from tests.storage.support import T0, play_run, ref

COUNTED = """
SELECT platform, workspace, period, period_start, points, correct, COUNT(*)
FROM leaderboard_totals GROUP BY platform, workspace, period, period_start, points, correct
ORDER BY 1, 2, 3, 4, 5, 6
"""
KEPT = """
SELECT platform, workspace, period, period_start, points, correct, players
FROM leaderboard_points WHERE players != 0 ORDER BY 1, 2, 3, 4, 5, 6
"""


def brute_rank(conn: sqlite3.Connection, period: str, start: str, user: int) -> int | None:
    rows = conn.execute(
        "SELECT user_id FROM leaderboard_totals WHERE platform = 'discord' AND workspace = 'g1' "
        "AND period = ? AND period_start = ? "
        "ORDER BY points DESC, correct DESC, answered ASC, user_id ASC",
        (period, start),
    ).fetchall()
    ids = [r[0] for r in rows]
    return ids.index(user) + 1 if user in ids else None


def insert_scores(conn: sqlite3.Connection, rng: random.Random, count: int, tag: str) -> None:
    conn.executemany(
        "INSERT INTO scores(user_id, mode, ranked, pack_id, problem_id, points, correct, "
        "scored_at, session_id, idx) VALUES (?, 'challenge', 1, 'p', 'q', ?, ?, ?, ?, 0)",
        [
            (
                rng.randint(1, 30),
                (pts := rng.choice((0, 5, 10, 10, 20))),
                int(pts > 0),
                T0 + rng.randrange(0, 20 * 86_400),
                f"{tag}-{i}",
            )
            for i in range(count)
        ],
    )


def test_folds_keep_players_per_points_equal_to_the_totals_and_ranks_exact(
    tmp_path: Path,
) -> None:
    conn = sqlite3.connect(tmp_path / "quiz.db", isolation_level=None)
    migrate(conn, 0)
    conn.executemany(
        "INSERT INTO users(id, platform, workspace, external_id, display_name, created_at) "
        "VALUES (?, 'discord', 'g1', ?, ?, 0)",
        [(i, f"u{i}", f"U{i}") for i in range(1, 31)],
    )
    rng = random.Random(5)
    for fold in range(25):  # many commits, each folding a few new answers
        conn.execute("BEGIN IMMEDIATE")
        insert_scores(conn, rng, rng.randint(1, 12), f"f{fold}")
        refresh_totals(conn)
        conn.execute("COMMIT")
        assert conn.execute(KEPT).fetchall() == conn.execute(COUNTED).fetchall()
    for period, start in conn.execute(
        "SELECT DISTINCT period, period_start FROM leaderboard_totals"
    ).fetchall():
        for user in range(1, 31):
            _, own = leaderboard(conn, "discord", "g1", period, start, limit=1, me=user)
            expected = brute_rank(conn, period, start, user)
            assert (own.rank if own else None) == expected, (period, start, user)
    conn.close()


def test_the_migration_counts_the_players_of_an_existing_database(tmp_path: Path) -> None:
    """A database from before the table: its totals are counted when it is migrated."""
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path, isolation_level=None)
    mine = next(i for i, m in enumerate(MIGRATIONS) if "leaderboard_points" in m.sql)
    for migration in MIGRATIONS[:mine]:
        _apply(conn, migration)
    conn.executemany(
        "INSERT INTO users(id, platform, workspace, external_id, display_name, created_at) "
        "VALUES (?, 'discord', 'g1', ?, ?, 0)",
        [(i, f"u{i}", f"U{i}") for i in range(1, 31)],
    )
    conn.execute("BEGIN IMMEDIATE")
    insert_scores(conn, random.Random(9), 200, "old")
    # The fold as it was: totals only.
    conn.execute(
        "INSERT INTO leaderboard_totals SELECT 'discord', 'g1', 'all', '', user_id, "
        "SUM(points), SUM(correct), COUNT(*) FROM scores GROUP BY user_id"
    )
    conn.execute(
        "INSERT INTO lrquiz_meta(key, value) SELECT 'leaderboard_folded_score_id', MAX(id) "
        "FROM scores"
    )
    conn.execute("COMMIT")
    migrate(conn, MIGRATIONS[mine - 1].version)
    assert conn.execute(KEPT).fetchall() == conn.execute(COUNTED).fetchall() != []
    conn.close()


async def test_ranks_through_the_service_match_the_full_order(tmp_path: Path) -> None:
    clock = FakeClock(T0)
    db = await Database.open(tmp_path / "quiz.db")
    service = GameService(db, [make_pack()], clock)
    try:
        players = [await service.player_id(ref(f"p{i}", "discord", "g1")) for i in range(8)]
        for n, player in enumerate(players):
            run = await service.start(player, "challenge", seed=n)

            def letters_for(problem, n=n):
                wrong = [c for c in problem.choices if c != problem.answer]
                return [problem.answer] if n % 3 else [*wrong[:1], problem.answer]

            await play_run(service, run.id, player, letters_for)
        for player in players:
            board = await service.leaderboard("discord", "g1", "all", me=player, limit=1)
            expected = await db.run(lambda c, p=player: brute_rank(c, "all", "", p))
            assert board.own is not None and board.own.rank == expected
    finally:
        await db.close()
