"""Does a fresh variant cost a run's start anything? Starting from the pool against fixed
problems only, and against generating the variant on the spot, in the same run.

    python benchmarks/variants.py [--starts 300] [--taken 20000] [--runner URL]

A real runner (a local one with an empty result cache unless --runner) keys one variant of
every shipped template; their generation time is measured (p50 of one variant). Then, on
a SQLite file with the shipped pack, a learner starts `--starts` test runs through
GameService.start (the two cases interleaved):
  baseline  the store has no variants (fixed problems only);
  pool      every template has an unused variant (refilled between starts, untimed) and
            `--taken` variants already taken by earlier runs sit in the same table.
Targets: pool p50 <= 1.5 x baseline p50 (the pool is a cheap read), and pool p50 under a
tenth of one variant's generation p50 (a run never waits on the runner).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.bootstrap import open_runner
from bot.engine.clock import FakeClock
from bot.service import GameService
from bot.variant_bank import DAILY_SEEDS
from problems.loader import default_pack
from problems.serial import problem_to_json
from problems.variants import parse_variant_id, variant_id
from storage.database import Database
from storage.users import PlayerRef
from storage.variants import POOL, StoredVariant, put_variant

T0 = 1_780_000_000.0


async def generate(runner_url: str | None) -> tuple[list[StoredVariant], list[float]]:
    pack = default_pack()
    db = await Database.open(":memory:")
    service = GameService(db, [pack], FakeClock(T0))
    made, times = [], []
    if runner_url is None:  # a local runner with an empty cache: every code really runs
        os.environ["LRQUIZ_RUNNER_CACHE"] = ":memory:"
    async with open_runner(runner_url) as runner:
        if runner is None:
            raise SystemExit("benchmarks/variants.py needs the runner (pip install -e '.[runner]')")
        service.variants.use_runner(runner)
        await runner.run("print(1)")  # the first job waits for a cold runner to warm up
        for template in pack.templates:
            seed = DAILY_SEEDS + secrets.randbelow(DAILY_SEEDS)
            started = time.perf_counter()
            made.append(await service.variants.generate(pack, template, seed, POOL))
            times.append(time.perf_counter() - started)
    await db.close()
    return made, times


def add_taken(path: Path, variants: list[StoredVariant], count: int) -> None:
    """`count` variants earlier runs took: copies of real ones under new ids."""
    conn = sqlite3.connect(path)
    with conn:
        for n in range(count):
            source = variants[n % len(variants)]
            seed = DAILY_SEEDS + 500_000_000 + n
            problem = replace(source.problem, id=variant_id(source.template_id, seed))
            conn.execute(
                "INSERT INTO variants(pack_id, id, template_id, seed, problem, torch_version, "
                "purpose, created_at, taken_by, taken_at) VALUES (?, ?, ?, ?, ?, ?, 'pool', ?, "
                "?, ?)",
                (
                    source.pack_id,
                    problem.id,
                    source.template_id,
                    seed,
                    problem_to_json(problem),
                    source.torch_version,
                    T0,
                    f"run{n}",
                    T0,
                ),
            )
    conn.close()


class Starter:
    """One learner starting test runs on one database file; with `pool`, the pool's
    variants are untaken again (untimed) before each start."""

    def __init__(self, service: GameService, player: int, pool: list[StoredVariant]) -> None:
        self.service, self.player, self.pool = service, player, pool
        self.times: list[float] = []
        self.picked = 0

    @classmethod
    async def open(cls, path: Path, pool: list[StoredVariant]) -> Starter:
        service = GameService(await Database.open(path), [default_pack()], FakeClock(T0))
        player = await service.player_id(PlayerRef("terminal", "local", "bench", "bench"))
        await service.db.transact(lambda c: [put_variant(c, v) for v in pool])
        return cls(service, player, pool)

    async def start(self, seed: int) -> None:
        if self.pool:
            ids = [self.pool[0].pack_id, *(v.problem.id for v in self.pool)]
            untake = (
                "UPDATE variants SET taken_by = NULL, taken_at = NULL "
                f"WHERE pack_id = ? AND id IN ({', '.join('?' * (len(ids) - 1))})"
            )
            await self.service.db.transact(lambda c: c.execute(untake, ids))
        started = time.perf_counter()
        run = await self.service.start(self.player, "test", seed=seed)
        self.times.append(time.perf_counter() - started)
        self.picked += sum(1 for i in run.problem_ids if parse_variant_id(i))
        await self.service.quit(run.id, self.player)


def p50_ms(values: list[float]) -> float:
    return statistics.median(values) * 1000


async def main_async(args: argparse.Namespace) -> int:
    variants, gen_times = await generate(args.runner)
    print(
        f"generated {len(variants)} variants (PyTorch {variants[0].torch_version}); "
        f"one variant p50 {p50_ms(gen_times):.0f} ms, max {max(gen_times) * 1000:.0f} ms"
    )
    with tempfile.TemporaryDirectory() as tmp:
        base_path, pool_path = Path(tmp) / "base.db", Path(tmp) / "pool.db"
        for path in (base_path, pool_path):
            await (await Database.open(path)).close()  # created and migrated
        add_taken(pool_path, variants, args.taken)
        base, pooled = await Starter.open(base_path, []), await Starter.open(pool_path, variants)
        for n in range(args.starts):  # interleaved, so load on the machine hits both alike
            await base.start(n)
            await pooled.start(n)
        for starter in (base, pooled):
            await starter.service.db.close()
    ratio = p50_ms(pooled.times) / p50_ms(base.times)
    print(f"start a test run, baseline (fixed only): p50 {p50_ms(base.times):.2f} ms")
    print(
        f"start a test run, pool of {len(variants)} + {args.taken} taken: "
        f"p50 {p50_ms(pooled.times):.2f} ms ({pooled.picked} variants picked in {args.starts} runs)"
    )
    print(f"  pool / baseline: {ratio:.2f} (target <= 1.5)")
    versus = p50_ms(pooled.times) / p50_ms(gen_times)
    print(f"  pool start / one variant's generation: {versus:.3f} (target < 0.1)")
    ok = ratio <= 1.5 and versus < 0.1 and pooled.picked > 0
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=300)
    parser.add_argument("--taken", type=int, default=20_000)
    parser.add_argument("--runner", default=None, help="runner URL (default: a local one)")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    raise SystemExit(main())
