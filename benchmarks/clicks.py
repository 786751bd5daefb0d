"""Slack clicks through the whole app, against a bare Bolt app, in the same run.

    python benchmarks/clicks.py [--players 200] [--clients 10 50]

Each of `--players` players has a challenge run; all of them click 5 times at once on
their open question (A, B, C, D and A again: a double click). The clicks are signed
Slack requests to `lrquiz run slack --http` (a real process on a real SQLite file, runner
off), sent by `--clients` concurrent HTTP clients. The baseline, measured right after with
the same load, is a bare Bolt app in its own process that acknowledges each click and
answers it through its response_url, with no game and no database.

Printed per client count: ack p50/p99 (the HTTP answer, after which Slack would stop
waiting), reply p50/p99 (until the response_url post arrives), replies/s and the ratio of
the app's throughput to the bare app's (goal >= 0.8), and the checks that must be zero:
clicks lost (acked, never answered), answered twice, and questions over the attempt limit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sqlite3
import sys
import tempfile
import textwrap
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import aiohttp
from aiohttp import web

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.slack.support import (  # noqa: E402
    SECRET,
    TEAM,
    action_payload,
    app_command,
    signed_headers,
    start_listening,
    started_runs,
)

LETTERS = "ABCDA"  # five clicks per player; the second A is a double click

BARE_APP = textwrap.dedent(
    """
    import asyncio, os, sys
    import aiohttp
    from aiohttp import web
    from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
    from slack_bolt.async_app import AsyncApp
    from slack_sdk.web.async_client import AsyncWebClient

    async def main():
        client = AsyncWebClient(token="xoxb-bench", base_url=os.environ["SLACK_API_URL"])
        app = AsyncApp(client=client, signing_secret=os.environ["SLACK_SIGNING_SECRET"])
        session = aiohttp.ClientSession()

        @app.action({"action_id": __import__("re").compile("^lrquiz_")})
        async def click(ack, body):
            await ack()
            await session.post(body["response_url"], json={"text": "ok"})

        async def events(request):
            bolt_request = await to_bolt_request(request)
            return await to_aiohttp_response(await app.async_dispatch(bolt_request))

        web_app = web.Application()
        web_app.add_routes([web.post("/slack/events", events)])
        runner = web.AppRunner(web_app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        print(f"listening on http://127.0.0.1:{port}/slack/events", file=sys.stderr, flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())
    """
)


@dataclass
class Sink:
    """Slack's side: the Web API (auth.test) and every response_url, timing each reply."""

    replies: dict[str, list[float]] = field(default_factory=dict)
    url: str = ""
    runner: web.AppRunner | None = None

    async def start(self) -> None:
        async def api(request: web.Request) -> web.Response:
            return web.json_response(
                {"ok": True, "team_id": TEAM, "user_id": "UBOT", "bot_id": "B1", "url": "x"}
            )

        async def response(request: web.Request) -> web.Response:
            await request.read()
            self.replies.setdefault(request.match_info["key"], []).append(time.perf_counter())
            return web.Response(text="ok")

        app = web.Application()
        app.add_routes(
            [web.route("*", "/api/{method}", api), web.post("/response/{key}", response)]
        )
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.url = f"http://127.0.0.1:{site._server.sockets[0].getsockname()[1]}"  # type: ignore[union-attr]


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def storm(
    events: str, sink: Sink, runs: dict[str, str], clients: int, tag: str
) -> dict[str, float]:
    """Every player's 5 clicks, sent by `clients` concurrent senders; reply timings."""
    clicks = []
    for user, run in runs.items():
        for i, letter in enumerate(LETTERS):
            key = f"{tag}-{user}-{i}"
            payload = action_payload(
                f"lrquiz_answer_{letter}", f"{run}:0", f"{sink.url}/response/{key}", user=user
            )
            payload["trigger_id"] = key
            clicks.append((key, urlencode({"payload": json.dumps(payload)})))
    # Interleave so each player's five clicks arrive together.
    clicks.sort(key=lambda c: (c[0].rsplit("-", 1)[1], c[0]))
    queue: asyncio.Queue[tuple[str, str]] = asyncio.Queue()
    for click in clicks:
        queue.put_nowait(click)
    sent: dict[str, float] = {}
    acks: list[float] = []
    acked: set[str] = set()

    async def sender(http: aiohttp.ClientSession) -> None:
        while not queue.empty():
            key, body = queue.get_nowait()
            headers = signed_headers(body)
            sent[key] = time.perf_counter()
            async with http.post(events, data=body, headers=headers) as response:
                await response.read()
                if response.status == 200:
                    acks.append(time.perf_counter() - sent[key])
                    acked.add(key)

    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(connector=connector) as http:
        await asyncio.gather(*(sender(http) for _ in range(clients)))
    deadline = time.perf_counter() + 30
    while time.perf_counter() < deadline and any(k not in sink.replies for k in acked):
        await asyncio.sleep(0.01)
    finished = max((t for k in acked for t in sink.replies.get(k, [])), default=started)
    replies = [sink.replies[k][0] - sent[k] for k in acked if k in sink.replies]
    return {
        "clicks": len(clicks),
        "acked": len(acked),
        "ack_p50": percentile(acks, 0.5) * 1000,
        "ack_p99": percentile(acks, 0.99) * 1000,
        "reply_p50": percentile(replies, 0.5) * 1000,
        "reply_p99": percentile(replies, 0.99) * 1000,
        "per_s": len(replies) / (finished - started),
        "lost": sum(1 for k in acked if k not in sink.replies),
        "twice": sum(1 for k in acked if len(sink.replies.get(k, [])) > 1),
    }


def over_limit(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return conn.execute(
            "SELECT COUNT(*) FROM (SELECT q.session_id, q.idx, q.max_attempts, COUNT(a.attempt_no)"
            " AS n FROM questions q LEFT JOIN attempts a USING (session_id, idx)"
            " GROUP BY q.session_id, q.idx) WHERE n > max_attempts"
        ).fetchone()[0]
    finally:
        conn.close()


async def main(players: int, client_counts: list[int]) -> int:
    sink = Sink()
    await sink.start()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-bench",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": sink.url + "/api/",
        "PYTHONPATH": str(REPO),
        "LRQUIZ_LOG_LEVEL": "WARNING",
    }
    bare_script = Path(tempfile.mkdtemp()) / "bare_bolt.py"
    bare_script.write_text(BARE_APP)
    ok = True
    print(f"{players} players x {len(LETTERS)} simultaneous clicks per question")
    for clients in client_counts:
        folder = Path(tempfile.mkdtemp())
        db = folder / "clicks.db"
        runs = await started_runs(db, players)
        app, app_url = await start_listening(app_command(db), env)
        bare, bare_url = await start_listening([sys.executable, str(bare_script)], env)
        try:
            ours = await storm(app_url, sink, runs, clients, f"app{clients}")
            base = await storm(bare_url, sink, runs, clients, f"bare{clients}")
        finally:
            for proc in (app, bare):
                proc.terminate()
                await proc.wait()
        ratio = ours["per_s"] / base["per_s"]
        over = over_limit(db)
        print(f"\n{clients} concurrent clients")
        for name, figures in (("lrquiz", ours), ("bare Bolt", base)):
            f = figures
            print(
                f"  {name:<9} ack p50 {f['ack_p50']:6.1f} ms  p99 {f['ack_p99']:6.1f} ms"
                f" · reply p50 {f['reply_p50']:6.1f} ms  p99 {f['reply_p99']:6.1f} ms"
                f" · {f['per_s']:6.0f} replies/s"
            )
        print(
            f"  throughput ratio {ratio:.2f} (goal >= 0.8) · lost {ours['lost']:.0f}"
            f" · answered twice {ours['twice']:.0f} · over the attempt limit {over}"
        )
        ok = ok and ratio >= 0.8 and ours["lost"] == ours["twice"] == over == 0
    print("\nRESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--players", type=int, default=200)
    parser.add_argument("--clients", type=int, nargs="+", default=[10, 50])
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.players, args.clients)))
