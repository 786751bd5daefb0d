"""Dashboard page latency at scale: leaderboard and profile pages against the bare queries.

    python benchmarks/web.py [--users 100000] [--scores 1000000] [--requests 200]

Builds a database of U learners in one workspace with N ranked scores on the real schema
(executemany), folded into the running totals as the bot does on a leaderboard read, and
measures; then adds `--pending` scores the bot has not folded yet (the dashboard, being
read-only, counts those on the fly) and measures again. Each measurement serves the real
dashboard (`lrquiz web`'s app over a read-only open) on 127.0.0.1 and times full HTTP GETs
of the leaderboard page (top 25 + own row, periods all and week) and the profile page
(chart data, topics, calendar, badges, rank) for random learners.
Baseline, in the same run, alternating with the page requests for the same learners: the
bare storage reads each page makes (storage.dashboard.current_leaderboard; the profile's
reads) straight on a sqlite3 connection, with no HTTP, templates or event loop.
Printed: p50 / p95 and the ratio page / baseline. Target: page p50 <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
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
from storage.factory import open_database
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


INSERT = (
    "INSERT INTO scores(user_id, mode, ranked, pack_id, problem_id, points, correct, "
    "scored_at, session_id, idx) VALUES (?, 'challenge', 1, ?, ?, ?, ?, ?, ?, 0)"
)


def score_rows(rng: random.Random, users: int, count: int, offset: int, now: float):
    pack = default_packs()[0]
    problems = [p.id for p in pack.problems]
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


def build(path: Path, users: int, scores: int, now: float) -> float:
    """Learners and scores, all folded into the totals (as right after a bot's board read)."""
    rng = random.Random(11)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = OFF")
    migrate(conn, check_schema(conn, str(path)))
    started = time.perf_counter()
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO users(id, platform, workspace, external_id, display_name, created_at) "
        "VALUES (?, ?, ?, ?, ?, 0)",
        ((i, PLATFORM, WORKSPACE, f"U{i}", f"learner {i}") for i in range(1, users + 1)),
    )
    conn.executemany(INSERT, score_rows(rng, users, scores, 0, now))
    refresh_totals(conn)
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    return time.perf_counter() - started


def add_unfolded(path: Path, users: int, count: int, offset: int, now: float) -> None:
    """Answers that arrived after the bot last folded: the dashboard counts them itself."""
    conn = sqlite3.connect(path, isolation_level=None)
    with conn:
        conn.executemany(INSERT, score_rows(random.Random(13), users, count, offset, now))
    conn.close()


PAGES = ("leaderboard all", "leaderboard week", "profile")


def bare_reads(conn: sqlite3.Connection, name: str, me: int, now: float) -> None:
    """The storage reads behind one page, straight on sqlite3: no HTTP, template or loop."""
    if name.startswith("leaderboard"):
        period = name.split()[1]
        current_leaderboard(conn, PLATFORM, WORKSPACE, period, period_key(period, now), 25, me)
        return
    current_leaderboard(conn, PLATFORM, WORKSPACE, "all", "", 1, me)
    daily_activity(conn, me)
    problem_tallies(conn, me)
    badge_counts(conn, me)
    completed_days(conn, me, PLATFORM, WORKSPACE)


async def measure(
    path: Path, users: int, requests: int, now: float
) -> tuple[dict[str, list[float]], dict[str, list[float]]]:
    """(page timings, bare timings) per page, taken alternately for the same learners so a
    change in machine load hits both sides alike."""
    db = await open_database(path, read_only=True)
    clock = FakeClock(now)
    app = build_app(Dashboard(DashboardData(db, default_packs(), clock), SECRET, None, clock))
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    base = f"http://127.0.0.1:{port}"
    bare_conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    rng = random.Random(5)
    served: dict[str, list[float]] = {name: [] for name in PAGES}
    bare: dict[str, list[float]] = {name: [] for name in PAGES}
    paths = {"leaderboard all": "?period=all", "leaderboard week": "?period=week", "profile": "me"}
    try:
        for _ in range(requests):
            me = rng.randint(1, users)
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(cookie_jar=jar) as http:
                link = dashboard_link(base, SECRET, PLATFORM, WORKSPACE, f"U{me}", False, now)
                async with http.get(link, allow_redirects=False) as response:
                    assert response.status == 303, response.status
                    jar.update_cookies(response.cookies, response.url)
                for name in PAGES:
                    started = time.perf_counter()
                    bare_reads(bare_conn, name, me, now)
                    bare[name].append(time.perf_counter() - started)
                    started = time.perf_counter()
                    async with http.get(f"{base}/{PLATFORM}/{WORKSPACE}/{paths[name]}") as response:
                        body = await response.read()
                    served[name].append(time.perf_counter() - started)
                    assert response.status == 200 and b"learner " in body, response.status
    finally:
        bare_conn.close()
        await runner.cleanup()
        await db.close()
    return served, bare


def report(title: str, served: dict[str, list[float]], bare: dict[str, list[float]]) -> bool:
    print(title)
    print(f"  {'':18} {'page p50':>9} {'page p95':>9} {'bare p50':>9} {'bare p95':>9} {'ratio':>6}")
    ok = True
    for name in PAGES:
        page50, page95 = percentile(served[name], 0.5), percentile(served[name], 0.95)
        bare50, bare95 = percentile(bare[name], 0.5), percentile(bare[name], 0.95)
        print(
            f"  {name:18} {page50 * 1e3:7.2f}ms {page95 * 1e3:7.2f}ms "
            f"{bare50 * 1e3:7.2f}ms {bare95 * 1e3:7.2f}ms {page50 / bare50:5.1f}x"
        )
        ok = ok and page50 * 1e3 <= TARGET_MS
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--scores", type=int, default=1_000_000)
    parser.add_argument("--pending", type=int, default=1_000, help="scores not yet folded")
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    now = time.time()
    ok = True
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.db"
        took = build(path, args.users, args.scores, now)
        print(f"built {args.users:,} learners and {args.scores:,} scores in {took:.1f} s")
        ok &= report(
            "all scores folded (right after a bot's leaderboard read):",
            *asyncio.run(measure(path, args.users, args.requests, now)),
        )
        add_unfolded(path, args.users, args.pending, args.scores, now)
        ok &= report(
            f"{args.pending:,} scores not yet folded (counted on the fly, read-only):",
            *asyncio.run(measure(path, args.users, args.requests, now)),
        )
    print(f"target page p50 <= {TARGET_MS:.0f} ms: {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
