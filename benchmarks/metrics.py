"""What /metrics costs: a scrape against a /health request, and the counting per action
against the action itself, all measured in the same run.

    python benchmarks/metrics.py [--clicks 400] [--requests 300] [--no-runner]

1. The real `lrquiz run slack --http` process (SQLite file, runner off) answers `--clicks`
   signed clicks first, so its histograms and counters hold real series; then GET /metrics
   and GET /health (one indexed read of the database: the baseline) are each requested
   `--requests` times, one at a time. Printed: p50/p99 of each, the ratio, the page size.
2. The same for a real runner: GET /metrics against GET /v1/health (both with the token).
3. In process: the metrics hooks of one action (received, accepted, finished) against
   the whole action they time, answered through the conversation layer: `/lrquiz help`
   (no database: the worst case for the hooks' share) and `/lrquiz practice` (a write).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.slack.fake_slack import FakeSlack  # noqa: E402
from tests.slack.support import (  # noqa: E402
    SECRET,
    action_payload,
    app_command,
    signed_headers,
    start_listening,
    started_runs,
)

TOKEN = "bench-token"


def quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(0.99 * (len(ordered) - 1))]


async def timed_gets(
    http: aiohttp.ClientSession, url: str, n: int, headers: dict[str, str] | None = None
) -> tuple[list[float], int]:
    times, size = [], 0
    for _ in range(n):
        started = time.perf_counter()
        async with http.get(url, headers=headers) as response:
            body = await response.read()
            assert response.status == 200, (url, response.status)
        times.append((time.perf_counter() - started) * 1000)
        size = len(body)
    return times, size


def report(name: str, subject: tuple[list[float], int], base: tuple[list[float], int], b: str):
    p50, p99 = quantiles(subject[0])
    b50, b99 = quantiles(base[0])
    print(
        f"{name:<22} /metrics p50 {p50:6.2f} ms  p99 {p99:6.2f} ms  ({subject[1]:,} bytes) | "
        f"{b} p50 {b50:6.2f} ms  p99 {b99:6.2f} ms | ratio p50 {p50 / b50:4.2f}"
    )


async def slack_scrapes(clicks: int, requests: int) -> None:
    fake = FakeSlack()
    await fake.start()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = Path(tmp) / "bench.db"
        players = max(1, clicks // 2)
        runs = await started_runs(db_path, players)
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": "xoxb-bench",
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": fake.api_url,
            "PYTHONPATH": str(REPO),
            "LRQUIZ_LOG_LEVEL": "WARNING",
        }
        proc, events = await start_listening(app_command(db_path), env)
        base = events.removesuffix("/slack/events")
        try:
            async with aiohttp.ClientSession() as http:
                url, _ = fake.response_url()
                sent = 0
                for n, run in enumerate(runs.values()):
                    for letter in "AB"[: clicks - sent]:
                        payload = action_payload(
                            f"lrquiz_answer_{letter}", f"{run}:0", url, user=f"U{n:04d}"
                        )
                        body = urlencode({"payload": json.dumps(payload)})
                        async with http.post(events, data=body, headers=signed_headers(body)):
                            sent += 1
                await asyncio.sleep(1.0)  # the answers after the acks
                await timed_gets(http, base + "/metrics", 20)  # warm both paths
                await timed_gets(http, base + "/health", 20)
                metrics = await timed_gets(http, base + "/metrics", requests)
                health = await timed_gets(http, base + "/health", requests)
        finally:
            proc.terminate()
            await proc.wait()
            await fake.stop()
    print(f"slack process after {sent} clicks, {requests} sequential requests each:")
    report("  slack --http", metrics, health, "/health")


async def runner_scrapes(requests: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO), "LRQUIZ_RUNNER_TOKEN": TOKEN}
    env["LRQUIZ_RUNNER_CACHE"] = ":memory:"
    proc = subprocess.Popen(
        [sys.executable, "-m", "runner", "serve", "--port", "0", "--slots", "2"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        url = re.search(r"listening on (http://\S+)", proc.stdout.readline()).group(1)
        headers = {"Authorization": f"Bearer {TOKEN}"}
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline:
                async with http.get(url + "/v1/health", headers=headers) as response:
                    if (await response.json())["ok"]:
                        break
                await asyncio.sleep(0.1)
            for n in range(20):  # real jobs, so every series has data
                code = json.dumps({"code": f"print({n})"})
                async with http.post(url + "/v1/run", data=code, headers=headers) as response:
                    assert response.status == 200
            await timed_gets(http, url + "/metrics", 20, headers)
            metrics = await timed_gets(http, url + "/metrics", requests, headers)
            health = await timed_gets(http, url + "/v1/health", requests, headers)
    finally:
        proc.terminate()
        proc.wait(15)
    print(f"runner process after 20 jobs, {requests} sequential requests each:")
    report("  runner serve", metrics, health, "/v1/health")


async def hook_cost(actions: int) -> None:
    from bot.conversation import actions as a
    from bot.conversation.core import Conversation
    from bot.service import GameService
    from problems.loader import default_pack
    from storage.database import Database
    from tests.conversation.support import RecordingPlatform, RecordingReplier, actor, envelope

    print(f"in process, {actions} actions each, answered through the conversation layer:")
    with tempfile.TemporaryDirectory() as tmp:
        service = GameService(await Database.open(Path(tmp) / "hooks.db"), [default_pack()])
        conversation = Conversation(service, RecordingPlatform())
        for name, make in (
            ("/lrquiz help (no database)", lambda n: a.ShowHelp()),
            ("/lrquiz practice (a write)", lambda n: a.StartRun("practice")),
        ):
            envelopes = [envelope(make(n), actor(f"u{n}")) for n in range(actions)]
            started = time.perf_counter()
            for env in envelopes:
                await conversation.handle(env, RecordingReplier())
            whole = (time.perf_counter() - started) / actions
            metrics = conversation.metrics
            started = time.perf_counter()
            for env in envelopes:
                timer = metrics.received(env)
                timer.accepted()
                timer.finished(None)
            hooks = (time.perf_counter() - started) / actions
            print(
                f"  {name:<28} metrics hooks {hooks * 1e6:5.1f} µs | whole action "
                f"{whole * 1e6:7.1f} µs | share {hooks / whole:6.2%}"
            )
        await service.db.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=400)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--no-runner", action="store_true", help="skip the runner part")
    args = parser.parse_args()
    await slack_scrapes(args.clicks, args.requests)
    if not args.no_runner:
        await runner_scrapes(args.requests)
    await hook_cost(1000)


if __name__ == "__main__":
    asyncio.run(main())
