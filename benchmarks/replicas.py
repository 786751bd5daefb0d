"""Answer throughput of one process vs several on one PostgreSQL database, same run.

    python benchmarks/replicas.py --db postgresql://... [--processes 2] [--users 200]

Each process opens the database, starts runs for its own players and answers every run's
first question twice (wrong, then right) through `GameService.answer`, all players at
once, like one replica behind a load balancer. First one process alone (the baseline),
then `--processes` of them at the same moment, `--rounds` times interleaved; the figure is
their combined answers/s over the single process's (the median over the rounds), with the
serialization retries PostgreSQL forced, the CPU per answer of the replicas and of their
PostgreSQL backends (when the server is local), which say whether the cores ran out, and
the answers per transaction (group commit), which say whether batching differed. The issue's
goal is >= 1.6x for two replicas; on a machine whose cores also run the PostgreSQL server
the ratio says more about the cores than about the database. Every answer is checked:
none lost, none duplicated, one score per question.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from benchmarks.procstat import cpu_seconds  # noqa: E402
from bot.service import GameService  # noqa: E402
from problems.loader import default_pack  # noqa: E402
from storage.factory import open_database  # noqa: E402
from storage.users import PlayerRef  # noqa: E402


async def replica(url: str, name: str, users: int, start_at: float) -> dict[str, float]:
    """One process's share: its own players, all answering at once from `start_at`."""
    db = await open_database(url)
    backend = await db.run(lambda conn: conn.execute("SELECT pg_backend_pid()").fetchone()[0])
    pack = default_pack()
    service = GameService(db, [pack])
    work = []
    for i in range(users):
        player = await service.player_id(PlayerRef("bench", "w", f"{name}-{i}", f"{name} {i}"))
        state = await service.start(player, "challenge")
        problem = pack.problem(state.problem_ids[0])
        wrong = next(letter for letter in problem.choices if letter != problem.answer)
        work.append((player, state.id, wrong, problem.answer))
    await asyncio.sleep(max(0.0, start_at - time.time()))
    began, cpu_began = time.perf_counter(), time.process_time()
    late = time.time() - start_at  # > 0: setting up overran the common start
    server_began = cpu_seconds(backend)
    retries_before = getattr(db, "retries", 0)  # those of setting up the runs not counted
    batches_before = db.batches

    async def play(player: int, session_id: str, wrong: str, right: str) -> None:
        for letter in (wrong, right):
            await service.answer(session_id, player, letter, question_index=0)

    await asyncio.gather(*(play(*entry) for entry in work))
    elapsed, cpu = time.perf_counter() - began, time.process_time() - cpu_began
    server = cpu_seconds(backend) - server_began
    retries = getattr(db, "retries", 0) - retries_before
    batches = db.batches - batches_before
    await db.close()
    return {
        "answers": 2 * users,
        "seconds": elapsed,
        "cpu": cpu,
        "server_cpu": server,
        "retries": retries,
        "batches": batches,
        "late": late,
        "start_retries": retries_before,
    }


async def run_processes(url: str, count: int, users: int, tag: str) -> list[dict[str, float]]:
    start_at = time.time() + 3.0 + 0.5 * count  # every process has its runs ready by then
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--worker",
            "--db",
            url,
            "--users",
            str(users),
            "--name",
            f"{tag}{n}",
            "--start-at",
            str(start_at),
            env={**os.environ, "PYTHONPATH": str(REPO)},
            stdout=asyncio.subprocess.PIPE,
        )
        for n in range(count)
    ]
    reports = []
    for proc in procs:
        out, _ = await proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"a replica failed (exit {proc.returncode})")
        reports.append(json.loads(out.decode().strip().splitlines()[-1]))
    return reports


def _checks(url: str) -> tuple[int, int, int, int]:
    from storage.pg_connection import PgConnection

    conn = PgConnection.connect(url)
    try:
        one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
        return (
            one("SELECT COUNT(*) FROM attempts"),
            one(
                "SELECT COUNT(*) FROM (SELECT DISTINCT session_id, idx, attempt_no FROM attempts) d"
            ),
            one("SELECT COUNT(*) FROM scores"),
            one("SELECT COUNT(*) FROM sessions"),
        )
    finally:
        conn.close()


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a postgresql:// URL (its data is kept)")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--users", type=int, default=200, help="players per process")
    parser.add_argument("--rounds", type=int, default=3, help="solo/pair rounds, interleaved")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--name", default="", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, default=0.0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(await replica(args.db, args.name, args.users, args.start_at)))
        return 0
    await (await open_database(args.db)).close()  # created and migrated before counting
    before = _checks(args.db)
    tag = f"r{int(time.time())}-"
    ratios: list[float] = []
    print(f"players per process: {args.users}, answers per process: {2 * args.users}")
    for round_no in range(args.rounds):
        alone = await run_processes(args.db, 1, args.users, f"{tag}{round_no}solo")
        together = await run_processes(args.db, args.processes, args.users, f"{tag}{round_no}pair")
        one_rate = alone[0]["answers"] / alone[0]["seconds"]
        # Combined rate: all answers over the span from the common start to the last finish.
        many_rate = sum(r["answers"] for r in together) / max(r["seconds"] for r in together)
        ratios.append(many_rate / one_rate)
        print(f"round {round_no + 1}:")
        print(f"  1 process:   {one_rate:,.0f} answers/s, retries {alone[0]['retries']}")
        print(
            f"  {args.processes} processes: {many_rate:,.0f} answers/s combined, retries "
            f"{'/'.join(str(r['retries']) for r in together)}"
        )
        for label, reports in (("1 process", alone), (f"{args.processes} processes", together)):
            answers = sum(r["answers"] for r in reports)
            replica_ms = 1000 * sum(r["cpu"] for r in reports) / answers
            server_ms = 1000 * sum(r["server_cpu"] for r in reports) / answers
            per_batch = answers / max(1, sum(r["batches"] for r in reports))
            print(
                f"  CPU per answer, {label}: replica {replica_ms:.2f} ms + PostgreSQL "
                f"backend {server_ms:.2f} ms; {per_batch:.1f} answers per transaction"
            )
        starts = "/".join(str(r["start_retries"]) for r in together)
        print(
            f"  retries while starting the runs (untimed): 1 process {alone[0]['start_retries']}, "
            f"{args.processes} processes {starts}"
        )
        late_ms = 1000 * max(r["late"] for r in (*alone, *together))
        print(
            f"  ratio: {ratios[-1]:.2f}; load average {os.getloadavg()[0]:.2f}; "
            f"latest start {late_ms:.0f} ms after the common start"
        )
    print(
        f"ratio {args.processes} processes / 1, median of {len(ratios)}: "
        f"{statistics.median(ratios):.2f} (goal >= 1.6 for 2) on {os.cpu_count()} cores"
    )
    stored, distinct, scored, sessions = (
        a - b for a, b in zip(_checks(args.db), before, strict=True)
    )
    expected = 2 * args.users * (1 + args.processes) * args.rounds
    lost, duplicated = expected - stored, stored - distinct
    print(
        f"lost attempts: {lost}, duplicated: {duplicated}, "
        f"one score per question: {'yes' if scored == sessions else 'NO'}"
    )
    return 0 if lost == duplicated == 0 and scored == sessions else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
