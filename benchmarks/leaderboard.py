"""Leaderboard query latency: top 10 plus the caller's own rank, against a full scan.

    python benchmarks/leaderboard.py [--attempts 1000000] [--users 100000] [--queries 200]

Builds a database with N scored attempts from U players in one workspace on the real schema
and folds them into the running totals (`storage.leaderboard.refresh_totals`, as the bot
does on its first leaderboard read). Between two reads `--new-per-read` answers arrive;
each read folds them in and then runs `storage.leaderboard.leaderboard` for a random
caller, as the bot does; both parts are timed. In the same run the baseline: one aggregate
over every score row, as a leaderboard without running totals would do.
Target: p50 <= 10 ms for the top-10 + own rank query.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.engine.periods import period_key
from storage.leaderboard import leaderboard, refresh_totals
from storage.migrations import check_schema, migrate

BASELINE = """
SELECT s.user_id, SUM(s.points) AS points, SUM(s.correct) AS correct, COUNT(*) AS answered
FROM scores s JOIN users u ON u.id = s.user_id
WHERE u.platform = 'bench' AND u.workspace = 'w' AND s.ranked = 1
GROUP BY s.user_id
ORDER BY points DESC, correct DESC, answered ASC, s.user_id ASC
"""


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def build(path: Path, attempts: int, users: int, now: float) -> float:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    migrate(conn, check_schema(conn, str(path)))
    rng = random.Random(7)
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO users(id, platform, workspace, external_id, display_name, created_at) "
        "VALUES (?, 'bench', 'w', ?, ?, 0)",
        ((i, f"u{i}", f"user {i}") for i in range(1, users + 1)),
    )
    conn.executemany(
        "INSERT INTO scores(user_id, mode, ranked, pack_id, problem_id, points, correct, "
        "scored_at, session_id, idx) VALUES (?, 'challenge', 1, 'p', 'q', ?, ?, ?, ?, 0)",
        (
            (rng.randint(1, users), pts, int(pts > 0), now - rng.random() * 86_400 * 60, f"s{i}")
            for i in range(attempts)
            for pts in (rng.choice((0, 0, 5, 10, 15, 20, 30)),)
        ),
    )
    refresh_totals(conn)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


def arrive(
    conn: sqlite3.Connection, rng: random.Random, users: int, count: int, now: float, tag: str
) -> None:
    """New answers land between two leaderboard reads (untimed)."""
    with conn:
        conn.executemany(
            "INSERT INTO scores(user_id, mode, ranked, pack_id, problem_id, points, correct, "
            "scored_at, session_id, idx) VALUES (?, 'challenge', 1, 'p', 'q', 10, 1, ?, ?, 0)",
            [(rng.randint(1, users), now, f"{tag}-{i}") for i in range(count)],
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--new-per-read",
        type=int,
        default=20,
        help="answers arriving between two reads, folded in by the read",
    )
    args = parser.parse_args()
    now = time.time()
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "board.db"
        built = build(path, args.attempts, args.users, now)
        conn = sqlite3.connect(path)
        conn.execute("PRAGMA synchronous = NORMAL")  # as storage.database configures it
        queries: dict[str, list[float]] = {}
        reads: dict[str, list[float]] = {}
        for period in ("all", "month", "week", "day"):
            key = period_key(period, now)
            queries[period], reads[period] = [], []
            for q in range(args.queries):
                me = rng.randint(1, args.users)
                arrive(conn, rng, args.users, args.new_per_read, now, f"{period}{q}")
                with conn:  # one write transaction, as GameService.leaderboard runs it
                    began = time.perf_counter()
                    refresh_totals(conn)
                    folded = time.perf_counter()
                    leaderboard(conn, "bench", "w", period, key, 10, me)
                    done = time.perf_counter()
                queries[period].append(done - folded)
                reads[period].append(done - began)
        baseline = []
        for _ in range(max(3, args.queries // 50)):
            began = time.perf_counter()
            conn.execute(BASELINE).fetchmany(10)
            baseline.append(time.perf_counter() - began)
        rows = conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
        conn.close()
    print(
        f"scores: {rows:,} from {args.users:,} players (built in {built:.1f} s); "
        f"{args.new_per_read} new answers folded in by each read"
    )
    for period in queries:
        q, r = queries[period], reads[period]
        print(
            f"{period:>5}: top-10 + own rank query p50 {percentile(q, 0.5) * 1000:6.2f} ms "
            f"p95 {percentile(q, 0.95) * 1000:6.2f} ms | with the fold p50 "
            f"{percentile(r, 0.5) * 1000:6.2f} ms p95 {percentile(r, 0.95) * 1000:6.2f} ms"
        )
    base_p50 = percentile(baseline, 0.5) * 1000
    all_p50 = percentile(queries["all"], 0.5) * 1000
    print(
        f"baseline full-scan aggregate (all time): p50 {base_p50:.1f} ms "
        f"({base_p50 / all_p50:.0f}x the all-time query)"
    )
    ok = all(percentile(q, 0.5) * 1000 <= 10 for q in queries.values())
    print("RESULT:", "PASS" if ok else "FAIL", "(target: query p50 <= 10 ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
