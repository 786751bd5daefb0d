"""Answer throughput through engine + storage, against the same SQL replayed, same run.

    python benchmarks/answers.py [--users 1000] [--runs-per-user 3]

N concurrent players each answer every run's first question twice (wrong, then right)
through `GameService.answer`, on a file database. While they do, the connection records
every statement the service runs, with its parameters and its BEGIN IMMEDIATE ... COMMIT
group (the service's group commit). The baseline replays exactly those statements, with
the same parameters (so the same prepared-statement cache hits), on a copy of the
database as it was before the first answer, one aiosqlite thread hop per transaction: the
same SQL and the same commits, without the engine, the run cache and the asyncio tasks.
The ratio of the two rates is what the service adds (target >= 0.5), with zero lost and
zero duplicated attempts (checked below). For comparison it also prints the old baseline,
single-row INSERTs each with its own commit, which flattered the service: it commits once
per row while the service commits once per batch.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import aiosqlite

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.service import GameService
from problems.loader import default_pack
from storage.database import Database
from storage.users import PlayerRef
from tests.recording import Statement, record, restore


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def bench_service(
    path: Path, snapshot: Path, users: int, runs_per_user: int
) -> tuple[dict[str, float], list[list[Statement]]]:
    """The service's figures, and the transactions it ran while answering (as SQL)."""
    db = await Database.open(path)
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
    await db.run(lambda conn: _backup(conn, snapshot))
    traced: list[Statement] = []
    real = record(db, traced)
    started = time.perf_counter()
    await asyncio.gather(*(player_task(mine) for mine in by_player.values()))
    elapsed = time.perf_counter() - started
    restore(db, real)
    await db.close()

    expected = len(sessions) * 2
    conn = sqlite3.connect(path)
    stored = conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
    distinct = conn.execute(
        "SELECT COUNT(*) FROM (SELECT DISTINCT session_id, idx, attempt_no FROM attempts)"
    ).fetchone()[0]
    scored = conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    conn.close()
    return {
        "answers": expected,
        "transactions": sum(1 for _, sql, _ in traced if sql.startswith("BEGIN")),
        "rate": expected / elapsed,
        "p50_ms": percentile(latencies, 0.50) * 1000,
        "p99_ms": percentile(latencies, 0.99) * 1000,
        "lost": expected - stored,
        "duplicated": stored - distinct,
        "scores_ok": scored == len(sessions),
    }, transactions(traced)


def _backup(conn: sqlite3.Connection, snapshot: Path) -> None:
    target = sqlite3.connect(snapshot)
    conn.backup(target)
    target.close()


def transactions(traced: list[Statement]) -> list[list[Statement]]:
    """The recorded statements grouped from each BEGIN to its COMMIT or ROLLBACK."""
    groups: list[list[Statement]] = []
    current: list[Statement] | None = None
    for statement in traced:
        sql = statement[1]
        if sql.startswith("BEGIN"):
            current = [statement]
        elif current is not None:
            current.append(statement)
            if sql in ("COMMIT", "ROLLBACK"):
                groups.append(current)
                current = None
    return groups


async def bench_replay(
    snapshot: Path, groups: list[list[Statement]], answers: int
) -> dict[str, float]:
    """The same transactions, one thread hop each, on the database as it was before."""
    conn = await aiosqlite.connect(snapshot, isolation_level=None)
    await conn.execute("PRAGMA journal_mode = WAL")
    await conn.execute("PRAGMA synchronous = NORMAL")
    await conn.execute("PRAGMA foreign_keys = ON")
    failed = 0

    def replay(group: list[Statement]) -> None:
        nonlocal failed
        for method, sql, params in group:
            try:
                getattr(conn._conn, method)(sql, params)
            except sqlite3.Error:  # it failed for the service too, which then rolled back
                failed += 1

    started = time.perf_counter()
    for group in groups:
        # aiosqlite's call-on-the-connection-thread, as storage.database runs a batch.
        await conn._execute(replay, group)
    elapsed = time.perf_counter() - started
    async with conn.execute("SELECT COUNT(*) FROM attempts") as cursor:
        (attempts,) = await cursor.fetchone()  # type: ignore[misc]
    await conn.close()
    return {
        "transactions": len(groups),
        "rate": answers / elapsed,
        "failed": failed,
        "same_rows": attempts == answers,
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

    started = time.perf_counter()
    await asyncio.gather(*(writer(n) for n in range(tasks)))
    elapsed = time.perf_counter() - started
    await conn.close()
    return {"rows": per_task * tasks, "rate": per_task * tasks / elapsed}


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=1000)
    parser.add_argument("--runs-per-user", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        raw = await bench_raw(folder / "raw.db", args.users, args.users * args.runs_per_user * 2)
        ours, groups = await bench_service(
            folder / "game.db", folder / "replay.db", args.users, args.runs_per_user
        )
        same = await bench_replay(folder / "replay.db", groups, int(ours["answers"]))
    ratio = ours["rate"] / same["rate"]
    print(f"users: {args.users}, answers: {ours['answers']}")
    print(
        f"engine + storage answers:    {ours['rate']:,.0f} answers/s  "
        f"p50 {ours['p50_ms']:.2f} ms  p99 {ours['p99_ms']:.2f} ms  "
        f"({ours['transactions']} group commits)"
    )
    print(
        f"same SQL, same group commits replayed: {same['rate']:,.0f} answers/s "
        f"({same['transactions']} transactions, {same['failed']} statements failed as before, "
        f"same attempts stored: {'yes' if same['same_rows'] else 'NO'})"
    )
    print(f"ratio to the same SQL: {ratio:.2f} (target >= 0.50)")
    print(
        f"old baseline, one commit per single-row INSERT: {raw['rate']:,.0f} rows/s "
        f"(ratio {ours['rate'] / raw['rate']:.2f}; not like for like)"
    )
    print(
        f"lost attempts: {ours['lost']}, duplicated attempts: {ours['duplicated']}, "
        f"one score per question: {'yes' if ours['scores_ok'] else 'NO'}"
    )
    ok = (
        ratio >= 0.5
        and same["same_rows"]
        and ours["lost"] == 0
        and ours["duplicated"] == 0
        and ours["scores_ok"]
    )
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
