"""The leaderboard read at 1 M scores on PostgreSQL, beside the same read on SQLite.

    python benchmarks/leaderboard_pg.py --db postgresql://... [--attempts 1000000]
        [--users 100000] [--queries 100]

Builds the SQLite database of benchmarks/leaderboard.py (N scored attempts from U players),
loads the same users and score rows into the given, empty PostgreSQL database (migrated by
lrquiz, rows sent with COPY; the synthetic scores have no sessions behind them, so foreign
keys are not checked during the load, as in a data-only restore), folds them into the
running totals there with the same `refresh_totals`, then times the bot's read
(`storage.leaderboard.leaderboard`: top 10 and a random caller's rank) for every period on
both engines, in the same run. Target (issue 16): p50 <= 10 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from leaderboard import build, ms  # the same database as benchmarks/leaderboard.py

from bot.engine.periods import period_key
from storage.factory import open_database
from storage.leaderboard import leaderboard, refresh_totals
from storage.pg_connection import PgConnection

PERIODS = ("all", "month", "week", "day")
LOADED = {
    "users": "id, platform, workspace, external_id, display_name, created_at",
    "scores": "id, user_id, mode, ranked, pack_id, problem_id, points, correct, scored_at, "
    "session_id, idx",
}


def reads(conn: Any, users: int, queries: int, now: float) -> dict[str, list[float]]:
    """Bot reads per period, each in its own transaction as the service runs them."""
    rng = random.Random(11)
    timed: dict[str, list[float]] = {}
    for period in PERIODS:
        key = period_key(period, now)
        samples = timed[period] = []
        for _ in range(queries):
            me = rng.randint(1, users)
            conn.execute("BEGIN")
            began = time.perf_counter()
            leaderboard(conn, "bench", "w", period, key, 10, me)
            samples.append(time.perf_counter() - began)
            conn.execute("COMMIT")
    return timed


def load(path: Path, url: str) -> float:
    """The SQLite file's users and scores into PostgreSQL, then folded there."""
    began = time.perf_counter()

    async def migrate() -> None:
        await (await open_database(url)).close()

    asyncio.run(migrate())
    lite = sqlite3.connect(path)
    pg = PgConnection.connect(url)
    try:
        with pg.raw.transaction():
            pg.raw.execute("SET LOCAL session_replication_role = replica")  # no FK checks
            for table, columns in LOADED.items():
                with pg.raw.cursor().copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in lite.execute(f"SELECT {columns} FROM {table}"):
                        copy.write_row(row)
        pg.raw.execute(
            "SELECT setval(pg_get_serial_sequence('scores', 'id'), (SELECT MAX(id) FROM scores))"
        )
        pg.execute("BEGIN")
        refresh_totals(pg)
        pg.execute("COMMIT")
        pg.raw.execute("ANALYZE")
    finally:
        pg.close()
        lite.close()
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="an empty postgresql:// database")
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=100, help="reads per period")
    args = parser.parse_args()
    now = time.time()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "board.db"
        built = build(path, args.attempts, args.users, now)
        loaded = load(path, args.db)
        lite = sqlite3.connect(path, isolation_level=None)
        on_sqlite = reads(lite, args.users, args.queries, now)
        lite.close()
    pg = PgConnection.connect(args.db)
    try:
        on_postgres = reads(pg, args.users, args.queries, now)
        scores = pg.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    finally:
        pg.close()
    print(
        f"scores: {scores:,} from {args.users:,} players (built on SQLite in {built:.1f} s, "
        f"loaded into PostgreSQL and folded in {loaded:.1f} s)"
    )
    print("bot read, top 10 + a caller's rank (p50 / p95 ms):")
    ok = True
    for period in PERIODS:
        pg_p50, lite_p50 = ms(on_postgres[period], 0.5), ms(on_sqlite[period], 0.5)
        print(
            f"  {period:>5}: PostgreSQL {pg_p50:6.2f} / {ms(on_postgres[period], 0.95):6.2f}"
            f" | SQLite {lite_p50:6.2f} / {ms(on_sqlite[period], 0.95):6.2f}"
            f" | ratio {pg_p50 / lite_p50:5.1f}x"
        )
        ok = ok and pg_p50 <= 10
    print("RESULT:", "PASS" if ok else "FAIL", "(target: PostgreSQL p50 <= 10 ms, every period)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
