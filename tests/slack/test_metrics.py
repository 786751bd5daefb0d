"""/metrics and /health of the real `lrquiz run slack --http` process.

Signed clicks go to the running app; its counters must move by exactly as many clicks as
were sent, its latency histograms must have one observation per action, and /health (the
path compose.yaml's health check uses) must say the database answers.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from storage.migrations import LATEST_VERSION
from tests.deploy.compose import healthcheck_path
from tests.scrape import value

from .fake_slack import FakeSlack
from .support import (
    SECRET,
    Harness,
    action_payload,
    app_command,
    command_body,
    command_fields,
    signed_headers,
    start_listening,
    started_runs,
)

REPO = Path(__file__).resolve().parents[2]
PLAYERS = 5
SLACK = {"platform": "slack"}


async def _metrics(http: aiohttp.ClientSession, base: str) -> str:
    async with http.get(f"{base}/metrics") as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/plain; version=")
        return await response.text()


async def _until(http: aiohttp.ClientSession, base: str, name: str, want: float, **labels: str):
    """The page once `name{labels}` reached `want` (finish runs after the ack)."""
    deadline = time.monotonic() + 20
    while True:
        page = await _metrics(http, base)
        if value(page, name, **labels) >= want or time.monotonic() > deadline:
            return page
        await asyncio.sleep(0.05)


async def test_counters_move_by_exactly_the_clicks_sent(tmp_path: Path) -> None:
    fake = FakeSlack()
    await fake.start()
    db_path = tmp_path / "slack.db"
    runs = await started_runs(db_path, PLAYERS)
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "PYTHONPATH": str(REPO),
        "LRQUIZ_LOG_LEVEL": "WARNING",
    }
    proc, events = await start_listening(app_command(db_path), env)
    base = events.removesuffix("/slack/events")
    answer = {**SLACK, "action": "Answer", "outcome": "ok"}
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(base + healthcheck_path("slack")) as response:
                assert response.status == 200
                health = await response.json()
            assert health["ok"] is True and health["platform"] == "slack"
            assert health["database"]["ok"] is True
            assert health["database"]["schema"] == LATEST_VERSION
            probe = await asyncio.create_subprocess_exec(
                sys.executable, str(REPO / "deploy" / "healthcheck.py"), base + "/health"
            )
            assert await probe.wait() == 0  # the containers' health check command agrees

            before = await _metrics(http, base)
            assert value(before, "lrquiz_actions_total", **answer) == 0
            acks_before = value(before, "lrquiz_action_ack_seconds_count", **SLACK)
            assert value(before, "lrquiz_build_info", version="0.1.0", platform="slack") == 1

            url, _ = fake.response_url()
            for n, run in enumerate(runs.values()):
                user = f"U{n:04d}"
                payload = action_payload("lrquiz_answer_A", f"{run}:0", url, user=user)
                body = urlencode({"payload": json.dumps(payload)})
                async with http.post(events, data=body, headers=signed_headers(body)) as response:
                    assert response.status == 200
            forged = signed_headers(body, secret="not-the-signing-secret")
            async with http.post(events, data=body, headers=forged) as response:
                assert response.status == 401
            help_url, _ = fake.response_url()
            body = command_body("help", help_url)
            async with http.post(events, data=body, headers=signed_headers(body)) as response:
                assert response.status == 200

            page = await _until(http, base, "lrquiz_actions_total", PLAYERS, **answer)
            page = await _until(
                http, base, "lrquiz_actions_total", 1, **SLACK, action="ShowHelp", outcome="ok"
            )
            await asyncio.sleep(0.3)  # nothing more arrives later
            page = await _metrics(http, base)
    finally:
        proc.terminate()
        await proc.wait()
        await fake.stop()

    assert value(page, "lrquiz_actions_total", **answer) == PLAYERS
    assert value(page, "lrquiz_actions_total", **SLACK, action="ShowHelp", outcome="ok") == 1
    for outcome in ("refused", "write_refused", "delivery_failed", "error"):
        assert value(page, "lrquiz_actions_total", **SLACK, action="Answer", outcome=outcome) == 0
    # one latency observation per action, each within Slack's 3 s
    acks = value(page, "lrquiz_action_ack_seconds_count", **SLACK) - acks_before
    assert acks == PLAYERS + 1
    assert value(page, "lrquiz_action_ack_seconds_bucket", **SLACK, le="3.0") == acks
    assert value(page, "lrquiz_action_reply_seconds_count", **SLACK) == PLAYERS + 1
    assert value(page, "lrquiz_storage_write_refusals_total", **SLACK) == 0
    # every signed request answered 200 and timed from arrival to Slack's ack; one 401
    events_200 = {"path": "/slack/events", "code": "200"}
    assert value(page, "lrquiz_http_requests_total", **events_200) == PLAYERS + 1
    assert value(page, "lrquiz_http_requests_total", path="/slack/events", code="401") == 1
    assert value(page, "lrquiz_http_request_seconds_count", path="/slack/events") == PLAYERS + 2
    assert value(page, "lrquiz_http_requests_total", path="/health", code="200") == 2  # + probe
    assert value(page, "process_resident_memory_bytes") > 0


async def test_socket_mode_serves_metrics_on_its_metrics_port(tmp_path: Path) -> None:
    fake = FakeSlack()
    await fake.start()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_APP_TOKEN": "xapp-test",
        "SLACK_API_URL": fake.api_url,
        "PYTHONPATH": str(REPO),
        "LRQUIZ_LOG_LEVEL": "WARNING",
        "LRQUIZ_METRICS_PORT": "0",  # the environment's way to ask for --metrics-port 0
    }
    command = [sys.executable, "-m", "bot.cli", "run", "slack", "--runner", "off"]
    proc = await asyncio.create_subprocess_exec(
        *command, "--db", str(tmp_path / "socket.db"), env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        assert proc.stderr is not None
        seen: list[str] = []
        while True:
            line = (await asyncio.wait_for(proc.stderr.readline(), 60)).decode()
            assert line, f"the app exited before serving metrics: {seen}"
            seen.append(line)
            found = re.search(r"metrics on (http://\S+)/metrics", line)
            if found:
                base = found.group(1)
                break
        await fake.wait(lambda: fake.sockets)
        sent = []
        for text in ("help", "help", "practice"):
            url, _ = fake.response_url()
            sent.append(await fake.send_envelope("slash_commands", command_fields(text, url)))
        await fake.wait(lambda: {a.get("envelope_id") for a in fake.socket_acks} >= set(sent))
        async with aiohttp.ClientSession() as http:
            page = await _until(
                http, base, "lrquiz_actions_total", 1, **SLACK, action="StartRun", outcome="ok"
            )
            page = await _until(
                http, base, "lrquiz_actions_total", 2, **SLACK, action="ShowHelp", outcome="ok"
            )
            async with http.get(base + "/health") as response:
                assert response.status == 200 and (await response.json())["ok"] is True
    finally:
        proc.terminate()
        await proc.wait()
        await fake.stop()
    assert value(page, "lrquiz_actions_total", **SLACK, action="ShowHelp", outcome="ok") == 2
    assert value(page, "lrquiz_actions_total", **SLACK, action="StartRun", outcome="ok") == 1
    assert value(page, "lrquiz_action_ack_seconds_count", **SLACK) == 3


async def test_health_is_503_while_the_database_does_not_answer(slack: Harness) -> None:
    """A database stuck on a long statement: /health says so within its 2 s, then recovers."""
    web_runner, port = await slack.bot.serve_http("127.0.0.1", 0)
    health = f"http://127.0.0.1:{port}/health"
    try:
        async with aiohttp.ClientSession() as http:
            async with http.get(health) as response:
                assert response.status == 200
            stuck = asyncio.create_task(slack.service.db.run(lambda conn: time.sleep(3.0)))
            await asyncio.sleep(0.05)
            started = time.monotonic()
            async with http.get(health) as response:
                assert response.status == 503
                body = await response.json()
            assert time.monotonic() - started < 2.9  # answered before the database did
            assert body["ok"] is False
            assert body["database"] == {"ok": False, "error": "no answer within 2s"}
            await stuck
            async with http.get(health) as response:
                assert response.status == 200 and (await response.json())["ok"] is True
    finally:
        await web_runner.cleanup()
