"""Dashboard page latency at scale: leaderboard and profile pages against the bare queries.

    python benchmarks/web.py [--users 100000] [--scores 1000000] [--requests 200]

Builds a database of U learners in one workspace with N ranked scores on the real schema
(executemany), folds them into the running totals as the bot does on a leaderboard read,
then adds `--pending` scores the bot has not folded yet (the dashboard, being read-only,
adds those on the fly). It serves the real dashboard (`lrquiz web`'s app, read-only open)
on 127.0.0.1 and times full HTTP GETs of:
  - the leaderboard page (top 25 + own row) for a random learner, period all and week;
  - a random learner's profile page (chart data, topics, calendar, badges, rank).
Baseline, in the same run and process: the bare storage reads each page makes
(storage.dashboard.current_leaderboard; the profile's reads), called straight on a
sqlite3 connection with no HTTP, templates or event loop. Printed: p50 / p95 and the
ratio page / baseline. Target: page p50 <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp
from aiohttp import web

from bot.engine.clock import FakeClock
from bot.engine.periods import period_key
from bot.web.app import Dashboard, build_app
from bot.web.data import DashboardData
from bot.web.links import dashboard_link
from problems.loader import default_packs
from storage.dailies import completed_days
from storage.dashboard import current_leaderboard, daily_activity
from storage.database import Database
from storage.leaderboard import refresh_totals
from storage.migrations import check_schema, migrate
from storage.sessions import badge_counts
from storage.stats import problem_tallies

PLATFORM, WORKSPACE = "slack", "TBENCH"
SECRET = b"benchmark"
TARGET_MS = 50.0


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def build(path: Path, users: int, scores: int, pending: int, now: float) -> float:
    pack = default_packs()[0]
    problems = [p.id for p in pack.problems]
    rng = random.Random(11)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    migrate(conn, check_schema(conn, str(path)))
    started = time.perf_counter()

    def rows(count: int, offset: int):
        for i in range(count):
            points = rng.choice((0, 0, 10, 15, 20, 30))
            yield (
                rng.randint(1, users),
                pack.id,
                rng.choice(problems),
                points,
                int(points > 0),
                now - rng.random() * 86_400 * 60,
                f"s{offset + i}",
            )

    insert = (
        "INSERT INTO scores(user_id, mode, ranked, pack_id, problem_id, points, correct, "
        "scored_at, session_id, idx) VALUES (?, 'challenge', 1, ?, ?, ?, ?, ?, ?, 0)"
    )
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO users(id, platform, workspace, external_id, display_name, created_at) "
        "VALUES (?, ?, ?, ?, ?, 0)",
        ((i, PLATFORM, WORKSPACE, f"U{i}", f"learner {i}") for i in range(1, users + 1)),
    )
    conn.executemany(insert, rows(scores, 0))
    refresh_totals(conn)
    conn.execute("COMMIT")
    conn.execute("BEGIN")
    conn.executemany(insert, rows(pending, scores))
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


def baseline(path: Path, users: int, requests: int, now: float) -> dict[str, list[float]]:
    """The bare storage reads behind each page, on a plain read-only sqlite3 connection."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rng = random.Random(5)
    timings: dict[str, list[float]] = {"leaderboard all": [], "leaderboard week": [], "profile": []}
    for _ in range(requests):
        me = rng.randint(1, users)
        for period in ("all", "week"):
            started = time.perf_counter()
            current_leaderboard(conn, PLATFORM, WORKSPACE, period, period_key(period, now), 25, me)
            timings[f"leaderboard {period}"].append(time.perf_counter() - started)
        started = time.perf_counter()
        current_leaderboard(conn, PLATFORM, WORKSPACE, "all", "", 1, me)
        daily_activity(conn, me)
        problem_tallies(conn, me)
        badge_counts(conn, me)
        completed_days(conn, me, PLATFORM, WORKSPACE)
        timings["profile"].append(time.perf_counter() - started)
    conn.close()
    return timings


async def pages(path: Path, users: int, requests: int, now: float) -> dict[str, list[float]]:
    db = await Database.open(path, read_only=True)
    clock = FakeClock(now)
    app = build_app(Dashboard(DashboardData(db, default_packs(), clock), SECRET, None, clock))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    rng = random.Random(5)
    timings: dict[str, list[float]] = {"leaderboard all": [], "leaderboard week": [], "profile": []}
    try:
        for _ in range(requests):
            me = rng.randint(1, users)
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                link = dashboard_link(base, SECRET, PLATFORM, WORKSPACE, f"U{me}", False, now)
                async with http.get(link, allow_redirects=False) as response:
                    assert response.status == 303, response.status
                    jar.update_cookies(response.cookies, response.url)
                for name, path_ in (
                    ("leaderboard all", "?period=all"),
                    ("leaderboard week", "?period=week"),
                    ("profile", "me"),
                ):
                    started = time.perf_counter()
                    async with http.get(f"{base}/{PLATFORM}/{WORKSPACE}/{path_}") as response:
                        body = await response.read()
                    timings[name].append(time.perf_counter() - started)
                    assert response.status == 200 and b"learner " in body, response.status
    finally:
        await runner.cleanup()
        await db.close()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--scores", type=int, default=1_000_000)
    parser.add_argument("--pending", type=int, default=1_000, help="scores not yet folded")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    now = time.time()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        took = build(path, args.users, args.scores, args.pending, now)
        print(
            f"built {args.users:,} learners, {args.scores:,} scores "
            f"(+{args.pending:,} unfolded) in {took:.1f} s"
        )
        bare = baseline(path, args.users, args.requests, now)
        served = asyncio.run(pages(path, args.users, args.requests, now))
    ok = True
    print(f"{'':18} {'page p50':>9} {'page p95':>9} {'bare p50':>9} {'bare p95':>9} {'ratio':>6}")
    for name in served:
        page50, page95 = percentile(served[name], 0.5), percentile(served[name], 0.95)
        bare50, bare95 = percentile(bare[name], 0.5), percentile(bare[name], 0.95)
        print(
            f"{name:18} {page50 * 1e3:7.2f}ms {page95 * 1e3:7.2f}ms "
            f"{bare50 * 1e3:7.2f}ms {bare95 * 1e3:7.2f}ms {page50 / bare50:5.1f}x"
        )
        ok = ok and page50 * 1e3 <= TARGET_MS
    mean = statistics.mean(served["profile"]) * 1e3
    print(f"profile page mean {mean:.2f} ms over {args.requests} learners")
    print(f"target page p50 <= {TARGET_MS:.0f} ms: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
