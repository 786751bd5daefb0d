"""Per-action latency as the database grows: does any player action slow with history?

    python benchmarks/scale.py [--sizes 10000 1000000 5000000] [--reps 200] [--cache DIR]

For each size N a real lrquiz database holds N scored questions (N/5 finished challenge
runs of 5 questions, each with its attempt and score row, folded into the leaderboard
totals) from N/200 players of one Discord workspace, so each player's own history is
~200 answers at every size: what grows is the community, as it does with use. One player
also has a 1,000-day daily streak. Rows are generated with recursive-CTE INSERTs in one
transaction and the file is cached under `--cache` (default: the temp dir) for later runs.

Then the real GameService on that file times each action, p50 over `--reps`:
start (a challenge run), answer, next deadline (the deadline watcher's query, with the
runs the benchmark opened still running), leaderboard (all time, top 10 + the caller's
rank), stats, streak. In the same run, the queries this benchmark was written to fix are
timed as they were (next deadline scanning every question; a rank counting every player
ahead, alone; a streak counted from every completed day), as the baseline. Printed: p50
per size, and the ratio of the largest size to the smallest per action (goal <= 3x each).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.bootstrap import default_packs
from bot.dailies import DailyChallenges
from bot.engine.clock import FakeClock
from bot.engine.daily import streak
from bot.service import GameService
from storage.dailies import completed_days
from storage.database import Database
from storage.leaderboard import rebuild_totals
from storage.migrations import MIGRATIONS

NOW = datetime(2026, 6, 1, 12, tzinfo=UTC).timestamp()
PER_PLAYER = 200
STREAK_DAYS = 1000
STREAKER = 1  # the player with the long streak
OLD_NEXT_DEADLINE = (
    "SELECT MIN(q.deadline) FROM questions q "
    "JOIN sessions s ON s.id = q.session_id JOIN users u ON u.id = s.user_id "
    "WHERE q.outcome IS NULL AND (:platform IS NULL OR u.platform = :platform)"
)
# How a player's rank counted the players ahead before leaderboard_points: one by one.
OLD_COUNT_AHEAD = """
SELECT COUNT(*) FROM leaderboard_totals t
WHERE t.platform = 'discord' AND t.workspace = 'g1' AND t.period = 'all' AND t.period_start = ''
  AND t.points > (SELECT points FROM leaderboard_totals WHERE platform = 'discord'
                  AND workspace = 'g1' AND period = 'all' AND period_start = '' AND user_id = ?)
"""

# Whether answer i was right and its points: scrambled, so players' totals differ as in
# a real community (and ties are as rare as there).
RIGHT = "((i * 2654435761) % 1000003) % 3 != 0"
POINTS = f"CASE WHEN {RIGHT} THEN 5 * (1 + ((i * 40503) % 65537) % 4) ELSE 0 END"

SERIES = """
WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < :count - 1)
"""


def generate(path: Path, scores: int, pack_id: str, problem_ids: list[str]) -> None:
    """Fill a freshly migrated file with `scores` answered questions, in one transaction."""
    users = max(10, scores // PER_PLAYER)
    runs = scores // 5
    ids = "[" + ",".join(f'"{p}"' for p in problem_ids) + "]"
    step = 365 * 86_400 / scores  # the history spreads over the past year
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.execute("PRAGMA synchronous = OFF")
    conn.execute("PRAGMA cache_size = -1000000")
    (trigger,) = conn.execute(
        "SELECT sql FROM sqlite_master WHERE name = 'attempts_respect_question'"
    ).fetchone()
    params: dict[str, Any] = {
        "users": users,
        "pack": pack_id,
        "ids": ids,
        "k": len(problem_ids),
        "t0": NOW - 366 * 86_400,
        "step": step,
    }
    conn.execute("BEGIN")
    conn.execute("DROP TRIGGER attempts_respect_question")  # every generated row is closed
    conn.execute(
        SERIES + "INSERT INTO users(id, platform, workspace, external_id, display_name, "
        "created_at) SELECT i + 1, 'discord', 'g1', 'u' || (i + 1), 'Player ' || (i + 1), 0 "
        "FROM n",
        {**params, "count": users},
    )
    conn.execute(
        SERIES + "INSERT INTO sessions(id, user_id, mode, pack_id, problem_ids, started_at, "
        "finished_at) SELECT printf('h%09d', i), 1 + i % :users, 'challenge', :pack, "
        "json_array(json_extract(:ids, '$[' || (i % :k) || ']')), :t0 + i * 5 * :step, "
        ":t0 + (i * 5 + 4) * :step FROM n",
        {**params, "count": runs},
    )
    conn.execute(
        SERIES + "INSERT INTO questions(session_id, idx, problem_id, opened_at, deadline, "
        "max_attempts, outcome, points, closed_at) SELECT printf('h%09d', i / 5), i % 5, "
        "json_extract(:ids, '$[' || ((i / 5 + i % 5) % :k) || ']'), :t0 + i * :step, "
        f":t0 + i * :step + 60, 2, CASE WHEN {RIGHT} THEN 'correct' ELSE 'wrong' END, "
        f"{POINTS}, :t0 + i * :step + 20 FROM n",
        {**params, "count": runs * 5},
    )
    conn.execute(
        SERIES + "INSERT INTO attempts(session_id, idx, attempt_no, choice, correct, "
        f"answered_at) SELECT printf('h%09d', i / 5), i % 5, 1, 'A', {RIGHT}, "
        ":t0 + i * :step + 20 FROM n",
        {**params, "count": runs * 5},
    )
    conn.execute(
        SERIES + "INSERT INTO scores(id, user_id, mode, ranked, pack_id, problem_id, points, "
        "correct, scored_at, session_id, idx) SELECT i + 1, 1 + (i / 5) % :users, "
        "'challenge', 1, :pack, json_extract(:ids, '$[' || ((i / 5 + i % 5) % :k) || ']'), "
        f"{POINTS}, {RIGHT}, :t0 + i * :step + 20, "
        "printf('h%09d', i / 5), i % 5 FROM n",
        {**params, "count": runs * 5},
    )
    conn.execute(trigger)
    add_streak_history(conn, pack_id, problem_ids[0])
    rebuild_totals(conn)
    conn.execute("COMMIT")
    conn.close()


def add_streak_history(conn: sqlite3.Connection, pack_id: str, problem_id: str) -> None:
    """STREAK_DAYS completed one-question dailies for STREAKER, ending yesterday."""
    today = datetime.fromtimestamp(NOW, UTC).date()
    rows = []
    for n in range(1, STREAK_DAYS + 1):
        day = today - timedelta(days=n)
        rows.append((f"d{n}", day.isoformat(), NOW - n * 86_400))
    conn.executemany(
        "INSERT INTO dailies(id, platform, workspace, channel_id, local_date, timezone, "
        "pack_id, problem_ids, cycle, posted_at, ends_at, closed_at) VALUES "
        "(?, 'discord', 'g1', 'c1', ?, 'UTC', ?, json_array(?), 0, ?, ?, ?)",
        [(i, d, pack_id, problem_id, at, at + 3600, at + 3600) for i, d, at in rows],
    )
    conn.executemany(
        "INSERT INTO sessions(id, user_id, mode, pack_id, problem_ids, started_at, finished_at)"
        " VALUES (?, ?, 'daily', ?, json_array(?), ?, ?)",
        [(i, STREAKER, pack_id, problem_id, at, at + 60) for i, _, at in rows],
    )
    conn.executemany(
        "INSERT INTO questions(session_id, idx, problem_id, opened_at, max_attempts, outcome, "
        "points, closed_at) VALUES (?, 0, ?, ?, 2, 'correct', 10, ?)",
        [(i, problem_id, at, at + 60) for i, _, at in rows],
    )
    conn.executemany(
        "INSERT INTO daily_entries(daily_id, user_id, session_id) VALUES (?, ?, ?)",
        [(i, STREAKER, i) for i, _, _ in rows],
    )
    # The running state a daily completed yesterday leaves (storage/streaks.py).
    yesterday = (today - timedelta(days=1)).isoformat()
    conn.execute(
        "INSERT INTO daily_streaks(user_id, platform, workspace, last_day, length) "
        "VALUES (?, 'discord', 'g1', ?, ?)",
        (STREAKER, yesterday, STREAK_DAYS),
    )


async def prepared(cache: Path, scores: int, service_packs: list) -> Path:
    schema = hashlib.sha1("".join(m.sql for m in MIGRATIONS).encode()).hexdigest()[:10]
    path = cache / f"scale-{scores}-{schema}.db"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    for leftover in cache.glob(partial.name + "*"):
        leftover.unlink()
    db = await Database.open(partial)  # the real migrations
    await db.close()
    pack = service_packs[0]
    started = time.perf_counter()
    generate(partial, scores, pack.id, [p.id for p in pack.problems])
    partial.rename(path)
    print(f"  generated {scores:,} scores in {time.perf_counter() - started:.0f} s: {path}")
    return path


async def p50(action: Callable[[int], Awaitable[Any]], reps: int) -> float:
    samples = []
    for i in range(reps):
        started = time.perf_counter()
        await action(i)
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1000


async def measure(path: Path, reps: int) -> dict[str, float]:
    clock = FakeClock(NOW)
    db = await Database.open(path)
    service = GameService(db, default_packs(), clock)
    dailies = DailyChallenges(service)
    users = await db.run(lambda c: c.execute("SELECT COUNT(*) FROM users").fetchone()[0])
    players = [1 + (i * 7919) % users for i in range(reps)]
    runs = []
    figures: dict[str, float] = {}
    try:

        async def start(i: int) -> None:
            runs.append(await service.start(players[i], "challenge", seed=i))

        async def answer(i: int) -> None:
            await service.answer(runs[i].id, players[i], "A")

        figures["start"] = await p50(start, reps)
        figures["answer"] = await p50(answer, reps)
        # Half the runs still have an open timed question (the other half got "A" right or
        # used both tries), which is what the deadline watcher looks for.
        figures["next deadline"] = await p50(lambda i: service.next_deadline("discord"), reps)
        figures["  before: scan"] = await p50(
            lambda i: db.run(lambda c: c.execute(OLD_NEXT_DEADLINE, {"platform": "discord"})),
            max(5, reps // 20),
        )
        figures["leaderboard"] = await p50(
            lambda i: service.leaderboard("discord", "g1", "all", me=players[i]), reps
        )
        figures["  before: count ahead"] = await p50(
            lambda i: db.run(lambda c: c.execute(OLD_COUNT_AHEAD, (players[i],)).fetchone()),
            reps,
        )
        figures["stats"] = await p50(lambda i: service.stats(players[i]), reps)
        figures["streak"] = await p50(
            lambda i: dailies.streak(STREAKER, "discord", "g1", "UTC"), reps
        )
        today = datetime.fromtimestamp(NOW, UTC).date()
        figures["  before: count days"] = await p50(
            lambda i: db.run(lambda c: streak(completed_days(c, STREAKER, "discord", "g1"), today)),
            max(5, reps // 4),
        )
        clock.advance(86_400)
        await service.close_expired()  # leave the cached file without open runs
    finally:
        await db.close()
    return figures


async def main(sizes: list[int], reps: int, cache: Path) -> int:
    cache.mkdir(parents=True, exist_ok=True)
    packs = default_packs()
    table: dict[int, dict[str, float]] = {}
    for size in sizes:
        path = await prepared(cache, size, packs)
        table[size] = await measure(path, reps)
    smallest, largest = min(sizes), max(sizes)
    print(f"\np50 ms per action ({reps} reps), by scores in the database")
    print(f"  {'action':<22}" + "".join(f"{s:>12,}" for s in sizes) + f"{'ratio':>9}")
    ok = True
    for action in table[smallest]:
        ratio = table[largest][action] / table[smallest][action]
        baseline = action.startswith(" ")
        print(
            f"  {action:<22}"
            + "".join(f"{table[s][action]:12.3f}" for s in sizes)
            + f"{ratio:8.1f}x"
            + ("" if baseline else "  (goal <= 3x)")
        )
        ok = ok and (baseline or ratio <= 3)
    print("  (the 'before' rows are the queries as they were, measured in the same run)")
    print("\nRESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000, 5_000_000])
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "lrquiz-scale")
    args = parser.parse_args()
    if min(args.sizes) < 1000 or args.reps < 1:
        parser.error("--sizes must be at least 1000 each and --reps at least 1")
    sys.exit(asyncio.run(main(sorted(set(args.sizes)), args.reps, args.cache)))
