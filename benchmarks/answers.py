"""Answer throughput through engine + storage, against the same SQL replayed, same run.

    python benchmarks/answers.py [--users 1000] [--runs-per-user 3] [--db postgresql://...]

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
per row while the service commits once per batch. The right answer closes the question,
so it also moves the learner's and the item's ratings and the review card. CPU per answer
(all threads) is printed too: steadier than wall time on a machine shared with other work.
With `--db URL` the same service run also goes to that PostgreSQL database, printed beside
SQLite (same checks, no target yet).
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
from storage.factory import open_database
from storage.users import PlayerRef
from tests.recording import Statement, record, restore


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


class Played:
    """One service run: `answers` answers by concurrent players, timed."""

    def __init__(self, answers: int, elapsed: float, cpu: float, latencies: list[float]):
        self.answers, self.elapsed, self.cpu, self.latencies = answers, elapsed, cpu, latencies


async def prepare(service: GameService, users: int, runs_per_user: int):
    """Every player's runs, each with a wrong and the right letter for question 1."""
    pack = service.pack()
    players = [
        await service.player_id(PlayerRef("bench", "w", f"u{i}", f"user {i}")) for i in range(users)
    ]
    by_player: dict[int, list[tuple[int, str, str, str]]] = {}
    for player in players:
        for _ in range(runs_per_user):
            state = await service.start(player, "challenge")
            problem = pack.problem(state.problem_ids[0])
            wrong = next(letter for letter in problem.choices if letter != problem.answer)
            by_player.setdefault(player, []).append((player, state.id, wrong, problem.answer))
    return by_player


async def play(service: GameService, by_player) -> Played:
    latencies: list[float] = []

    async def player_task(mine: list[tuple[int, str, str, str]]) -> None:
        for player, session_id, wrong, right in mine:
            for letter in (wrong, right):
                began = time.perf_counter()
                await service.answer(session_id, player, letter, question_index=0)
                latencies.append(time.perf_counter() - began)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(player_task(mine) for mine in by_player.values()))
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    return Played(len(latencies), elapsed, cpu, latencies)


def _attempt_counts(conn) -> tuple[int, int, int]:
    stored = conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
    distinct = conn.execute(
        "SELECT COUNT(*) FROM (SELECT DISTINCT session_id, idx, attempt_no FROM attempts) AS d"
    ).fetchone()[0]
    scored = conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0]
    return stored, distinct, scored


def figures(played: Played, runs: int, counts: tuple[int, int, int]) -> dict[str, float]:
    stored, distinct, scored = counts
    return {
        "answers": played.answers,
        "rate": played.answers / played.elapsed,
        "cpu_us": played.cpu / played.answers * 1e6,
        "p50_ms": percentile(played.latencies, 0.50) * 1000,
        "p99_ms": percentile(played.latencies, 0.99) * 1000,
        "lost": played.answers - stored,
        "duplicated": stored - distinct,
        "scores_ok": scored == runs,
    }


async def bench_service(
    path: Path, snapshot: Path, users: int, runs_per_user: int
) -> tuple[dict[str, float], list[list[Statement]]]:
    """The service's figures, and the transactions it ran while answering (as SQL)."""
    db = await Database.open(path)
    service = GameService(db, [default_pack()])
    by_player = await prepare(service, users, runs_per_user)
    await db.run(lambda conn: _backup(conn, snapshot))
    traced: list[Statement] = []
    real = record(db, traced)
    played = await play(service, by_player)
    restore(db, real)
    counts = await db.run(_attempt_counts)
    await db.close()
    result = figures(played, users * runs_per_user, counts)
    result["transactions"] = sum(1 for _, sql, _ in traced if sql.startswith("BEGIN"))
    return result, transactions(traced)


async def bench_other(url: str, users: int, runs_per_user: int) -> dict[str, float]:
    """The same service run on another database (PostgreSQL), counted through it."""
    db = await open_database(url)
    before = await db.run(_attempt_counts)
    service = GameService(db, [default_pack()])
    by_player = await prepare(service, users, runs_per_user)
    played = await play(service, by_player)
    after = await db.run(_attempt_counts)
    await db.close()
    counts = tuple(a - b for a, b in zip(after, before, strict=True))
    return figures(played, users * runs_per_user, counts)  # type: ignore[arg-type]


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
    parser.add_argument("--db", default=None, help="also run on this postgresql:// database")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        raw = await bench_raw(folder / "raw.db", args.users, args.users * args.runs_per_user * 2)
        ours, groups = await bench_service(
            folder / "game.db", folder / "replay.db", args.users, args.runs_per_user
        )
        same = await bench_replay(folder / "replay.db", groups, int(ours["answers"]))
        other = await bench_other(args.db, args.users, args.runs_per_user) if args.db else None
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
        f"CPU per answer: {ours['cpu_us']:.0f} us, per raw row: {raw['cpu_us']:.0f} us "
        f"(raw/ours {raw['cpu_us'] / ours['cpu_us']:.2f})"
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
