"""Why psycopg on its own thread, not asyncpg: cost per statement of a synchronous unit.

    python benchmarks/pg_drivers.py --db postgresql://... [--statements 3000]

The storage functions are synchronous units of several statements. (b) psycopg 3 runs a
unit on one dedicated thread, as the PostgreSQL engine does; (a) asyncpg would need each
statement sent from the unit's worker thread to the event loop and the result back. Both
run the same upserts, five to a transaction, on the same database, in the same run.
asyncpg is not a dependency of lrquiz: install it to compare (`pip install asyncpg`).
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import sys
import time

import psycopg

UPSERT = (
    "INSERT INTO bench_drivers VALUES ($1, $2) "
    "ON CONFLICT (k) DO UPDATE SET v = bench_drivers.v + 1"
)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a postgresql:// URL (a scratch table is used)")
    parser.add_argument("--statements", type=int, default=3000)
    args = parser.parse_args()
    loop = asyncio.get_running_loop()
    units = args.statements // 5

    thread = concurrent.futures.ThreadPoolExecutor(1)
    conn = await loop.run_in_executor(
        thread, lambda: psycopg.connect(args.db, autocommit=True, cursor_factory=psycopg.RawCursor)
    )
    conn.execute("DROP TABLE IF EXISTS bench_drivers")
    conn.execute("CREATE TABLE bench_drivers (k int PRIMARY KEY, v int)")

    def psycopg_unit(i: int) -> None:
        conn.execute("BEGIN")
        for j in range(5):
            conn.execute(UPSERT, (i % 100, j))
        conn.execute("COMMIT")

    began = time.perf_counter()
    for i in range(units):
        await loop.run_in_executor(thread, psycopg_unit, i)
    psycopg_us = (time.perf_counter() - began) / (units * 5) * 1e6
    print(f"psycopg 3 on its own thread: {psycopg_us:.0f} us a statement")
    try:
        import asyncpg
    except ImportError:
        print("asyncpg is not installed; pip install asyncpg to compare")
        return 0
    info = conn.info
    pool = await asyncpg.connect(
        host=info.host, port=info.port, user=info.user, database=info.dbname
    )
    worker = concurrent.futures.ThreadPoolExecutor(1)

    def asyncpg_unit(i: int) -> None:
        def run(sql: str, *values: int) -> None:
            asyncio.run_coroutine_threadsafe(pool.execute(sql, *values), loop).result()

        run("BEGIN")
        for j in range(5):
            run(UPSERT, i % 100, j)
        run("COMMIT")

    began = time.perf_counter()
    for i in range(units):
        await loop.run_in_executor(worker, asyncpg_unit, i)
    asyncpg_us = (time.perf_counter() - began) / (units * 5) * 1e6
    print(f"asyncpg, each statement bridged to the loop: {asyncpg_us:.0f} us a statement")
    print(f"ratio asyncpg / psycopg: {asyncpg_us / psycopg_us:.2f}")
    await pool.close()
    await loop.run_in_executor(thread, conn.close)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
