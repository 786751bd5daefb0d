"""Answer throughput through engine + storage, against raw aiosqlite inserts, same run.

    python benchmarks/answers.py [--users 1000] [--runs-per-user 3] [--db postgresql://...]

N concurrent players each answer every run's first question twice (wrong, then right)
through `GameService.answer`, on a file database; the right answer closes the question, so
it also moves the learner's and the item's ratings and the review card. The baseline in
the same run is raw aiosqlite: single-row INSERTs, each its own commit, from the same
number of concurrent tasks, with the same pragmas. Target: at least half the raw rate,
zero lost and zero duplicated attempts (checked below). With `--db URL` the same service
run also goes to that PostgreSQL database, printed beside SQLite (same checks, no target
yet).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

import aiosqlite

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.service import GameService
from problems.loader import default_pack
from storage.factory import open_database
from storage.users import PlayerRef


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _attempt_counts(conn) -> tuple[int, int, int]:
    stored = conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
    distinct = conn.execute(
        "SELECT COUNT(*) FROM (SELECT DISTINCT session_id, idx, attempt_no FROM attempts) AS d"
    ).fetchone()[0]
    scored = conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    return stored, distinct, scored


async def bench_service(path: Path | str, users: int, runs_per_user: int) -> dict[str, float]:
    db = await open_database(path)
    before = await db.run(_attempt_counts)
    pack = default_pack()
    service = GameService(db, [pack])
    players = [
        await service.player_id(PlayerRef("bench", "w", f"u{i}", f"user {i}")) for i in range(users)
    ]
    sessions: list[tuple[int, str, str, str]] = []
    for player in players:
        for _ in range(runs_per_user):
            state = await service.start(player, "challenge")
            problem = pack.problem(state.problem_ids[0])
            wrong = next(letter for letter in problem.choices if letter != problem.answer)
            sessions.append((player, state.id, wrong, problem.answer))
    latencies: list[float] = []

    async def player_task(mine: list[tuple[int, str, str, str]]) -> None:
        for player, session_id, wrong, right in mine:
            for letter in (wrong, right):
                began = time.perf_counter()
                await service.answer(session_id, player, letter, question_index=0)
                latencies.append(time.perf_counter() - began)

    by_player: dict[int, list[tuple[int, str, str, str]]] = {}
    for entry in sessions:
        by_player.setdefault(entry[0], []).append(entry)
    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(player_task(mine) for mine in by_player.values()))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = await db.run(_attempt_counts)
    await db.close()

    expected = len(sessions) * 2
    stored, distinct, scored = (a - b for a, b in zip(after, before, strict=True))
    return {
        "answers": expected,
        "rate": expected / elapsed,
        "cpu_us": cpu / expected * 1e6,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "lost": expected - stored,
        "duplicated": stored - distinct,
        "scores_ok": scored == len(sessions),
    }


async def bench_raw(path: Path, tasks: int, rows: int) -> dict[str, float]:
    conn = await aiosqlite.connect(path, isolation_level=None)
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, who INTEGER, v TEXT)")
    per_task = rows // tasks

    async def writer(who: int) -> None:
        for i in range(per_task):
            await conn.execute("INSERT INTO t(who, v) VALUES (?, ?)", (who, f"row {i}"))

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(writer(n) for n in range(tasks)))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    await conn.close()
    rows = per_task * tasks
    return {"rows": rows, "rate": rows / elapsed, "cpu_us": cpu / rows * 1e6}


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--runs-per-user", type=int, default=3)
    parser.add_argument("--db", default=None, help="also run the service on this database URL")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        raw = await bench_raw(Path(tmp) / "raw.db", args.users, args.users * args.runs_per_user * 2)
        ours = await bench_service(Path(tmp) / "game.db", args.users, args.runs_per_user)
        other = await bench_service(args.db, args.users, args.runs_per_user) if args.db else None
    ratio = ours["rate"] / raw["rate"]
    print(f"users: {args.users}, answers: {ours['answers']}")
    print(f"raw aiosqlite insert+commit: {raw['rate']:,.0f} rows/s ({raw['rows']} rows)")
    print(
        f"engine + storage answers:    {ours['rate']:,.0f} answers/s  "
        f"p50 {ours['p50_ms']:.2f} ms  p99 {ours['p99_ms']:.2f} ms"
    )
    print(f"ratio to raw: {ratio:.2f} (target >= 0.50)")
    # CPU time (all threads) is steadier than wall time on a machine shared with other work.
    print(
        f"CPU per answer: {ours['cpu_us']:.0f} us, per raw row: {raw['cpu_us']:.0f} us "
        f"(raw/ours {raw['cpu_us'] / ours['cpu_us']:.2f})"
    )
    print(
        f"lost attempts: {ours['lost']}, duplicated attempts: {ours['duplicated']}, "
        f"one score per question: {'yes' if ours['scores_ok'] else 'NO'}"
    )
    ok = ratio >= 0.5 and ours["lost"] == 0 and ours["duplicated"] == 0 and ours["scores_ok"]
    if other is not None:
        print(
            f"same answers on {args.db.split('?')[0]}: {other['rate']:,.0f} answers/s  "
            f"p50 {other['p50_ms']:.2f} ms  p99 {other['p99_ms']:.2f} ms  "
            f"({other['rate'] / ours['rate']:.2f}x the SQLite service)"
        )
        print(
            f"  lost attempts: {other['lost']}, duplicated: {other['duplicated']}, "
            f"one score per question: {'yes' if other['scores_ok'] else 'NO'}"
        )
        ok = ok and other["lost"] == 0 and other["duplicated"] == 0 and other["scores_ok"]
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
