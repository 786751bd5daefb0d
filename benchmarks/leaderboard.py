"""Leaderboard latency, quiet and busy: what a reader and a writer pay, against a full scan.

    python benchmarks/leaderboard.py [--attempts 1000000] [--users 100000] [--queries 200]
        [--new-per-read 20] [--busy 2000] [--busy-queries 20] [--batch 20]

Builds a database with N scored attempts from U players in one workspace on the real schema
and folds them into the running totals. Scores are folded where the bot writes them: every
write transaction runs `storage.leaderboard.refresh_totals` just before COMMIT
(`Database._commit`), so a board read only reads. Between two reads answers arrive, in
commits of `--batch` answers each with that fold; timed are the fold per commit (what a
writer pays), the bot's read (`storage.leaderboard.leaderboard`, top 10 + a random
caller's rank) and the dashboard's read (`storage.dashboard.current_leaderboard`).
Two cases: quiet (`--new-per-read` answers between reads) and busy (`--busy`, an active
community). A third case shows the totals lagging `--busy` answers behind (a writer that
does not fold, e.g. during a copy): the dashboard's merge of unfolded scores, and the old
read path that folded them first (refresh_totals + leaderboard in the read). In the same
run the baseline: one aggregate over every score row, as without running totals.
Target: p50 <= 10 ms for the bot's read in every case.
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
from storage.dashboard import current_leaderboard
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
    conn: sqlite3.Connection,
    rng: random.Random,
    users: int,
    count: int,
    now: float,
    tag: str,
    batch: int | None,
) -> list[float]:
    """`count` new answers in commits of `batch`, each folded just before its COMMIT as
    storage.database does (seconds per fold returned); `batch=None`: one commit, no fold."""
    folds = []
    step = batch or count
    for first in range(0, count, step):
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(
            "INSERT INTO scores(user_id, mode, ranked, pack_id, problem_id, points, correct, "
            "scored_at, session_id, idx) VALUES (?, 'challenge', 1, 'p', 'q', 10, 1, ?, ?, 0)",
            [
                (rng.randint(1, users), now, f"{tag}-{i}")
                for i in range(first, min(count, first + step))
            ],
        )
        if batch is not None:
            began = time.perf_counter()
            refresh_totals(conn)
            folds.append(time.perf_counter() - began)
        conn.execute("COMMIT")
    return folds


def ms(samples: list[float], q: float) -> float:
    return percentile(samples, q) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attempts", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200, help="reads per period, quiet")
    parser.add_argument("--new-per-read", type=int, default=20, help="answers between reads")
    parser.add_argument("--busy", type=int, default=2000, help="answers between reads, busy")
    parser.add_argument("--busy-queries", type=int, default=20, help="reads per period, busy")
    parser.add_argument("--batch", type=int, default=20, help="answers per group commit")
    args = parser.parse_args()
    now = time.time()
    rng = random.Random(11)
    cases = (
        ("quiet", args.new_per_read, args.queries),
        ("busy", args.busy, args.busy_queries),
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "board.db"
        built = build(path, args.attempts, args.users, now)
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA synchronous = NORMAL")  # as storage.database configures it
        figures: dict[tuple[str, str], dict[str, list[float]]] = {}
        for case, fresh, reads in (*cases, ("lagging", args.busy, args.busy_queries)):
            for period in ("all", "month", "week", "day"):
                key = period_key(period, now)
                got = figures[case, period] = {"bot": [], "dash": [], "fold": [], "old": []}
                for q in range(reads):
                    me = rng.randint(1, args.users)
                    tag = f"{case}{period}{q}"
                    lagging = case == "lagging"
                    got["fold"] += arrive(
                        conn, rng, args.users, fresh, now, tag, None if lagging else args.batch
                    )
                    began = time.perf_counter()
                    current_leaderboard(conn, "bench", "w", period, key, 10, me)
                    got["dash"].append(time.perf_counter() - began)
                    conn.execute("BEGIN IMMEDIATE")
                    began = time.perf_counter()
                    if lagging:  # the read path as it was: fold, then read
                        refresh_totals(conn)
                    leaderboard(conn, "bench", "w", period, key, 10, me)
                    got["old" if lagging else "bot"].append(time.perf_counter() - began)
                    conn.execute("COMMIT")
        baseline = []
        for _ in range(max(3, args.queries // 50)):
            began = time.perf_counter()
            conn.execute(BASELINE).fetchmany(10)
            baseline.append(time.perf_counter() - began)
        rows = conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
        conn.close()
    print(
        f"scores: {rows:,} at the end, from {args.users:,} players (built in {built:.1f} s); "
        f"answers committed {args.batch} per transaction, each folded before its COMMIT"
    )
    ok = True
    for case, fresh, _ in cases:
        print(f"\n{case}: {fresh} answers between two reads (p50 / p95 ms)")
        for period in ("all", "month", "week", "day"):
            got = figures[case, period]
            print(
                f"  {period:>5}: bot read {ms(got['bot'], 0.5):6.2f} / {ms(got['bot'], 0.95):6.2f}"
                f" | dashboard read {ms(got['dash'], 0.5):6.2f} / {ms(got['dash'], 0.95):6.2f}"
                f" | fold per commit of {args.batch} {ms(got['fold'], 0.5):5.2f} /"
                f" {ms(got['fold'], 0.95):5.2f}"
            )
            ok = ok and ms(got["bot"], 0.5) <= 10
    print(f"\nlagging: totals {args.busy} answers behind (p50 / p95 ms)")
    for period in ("all", "month", "week", "day"):
        got = figures["lagging", period]
        print(
            f"  {period:>5}: dashboard merge of the unfolded {ms(got['dash'], 0.5):6.2f} /"
            f" {ms(got['dash'], 0.95):6.2f} | old read path, fold then read"
            f" {ms(got['old'], 0.5):7.2f} / {ms(got['old'], 0.95):7.2f}"
        )
    base_p50 = ms(baseline, 0.5)
    all_p50 = ms(figures["quiet", "all"]["bot"], 0.5)
    print(
        f"\nbaseline full-scan aggregate (all time): p50 {base_p50:.1f} ms "
        f"({base_p50 / all_p50:.0f}x the bot's all-time read)"
    )
    print("RESULT:", "PASS" if ok else "FAIL", "(target: bot read p50 <= 10 ms in every case)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
