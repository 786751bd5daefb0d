"""`lrquiz run discord --metrics-port`: /health and /metrics of the real bot process,
connected to the fake gateway, counting exactly the interactions it was sent."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import time
from pathlib import Path

import aiohttp

from storage.migrations import LATEST_VERSION
from tests.deploy.compose import healthcheck_path
from tests.scrape import value

from .fake_api import FakeDiscord, Message
from .support import ANN, BOB, CHANNEL_ID, interaction_payload
from .test_cli import _answered, lrquiz, spawn

HELPS = 3
DISCORD = {"platform": "discord"}


async def _metrics_url(proc: asyncio.subprocess.Process) -> str:
    assert proc.stderr is not None
    while True:
        line = (await asyncio.wait_for(proc.stderr.readline(), 60)).decode()
        assert line, "the bot exited before serving metrics"
        found = re.search(r"metrics on (http://\S+)/metrics", line)
        if found:
            return found.group(1)


def _help(user) -> dict:
    payload = interaction_payload(user, 2)
    payload["data"] = {
        "id": "7000",
        "name": "lrquiz",
        "type": 1,
        "options": [{"type": 1, "name": "help", "options": []}],
    }
    return payload


async def test_metrics_port_counts_the_interactions_of_the_real_bot(
    tmp_path: Path, api: FakeDiscord
) -> None:
    env = {
        "DISCORD_TOKEN": api.valid_token,
        "DISCORD_API_URL": api.base_url,
        "DISCORD_GATEWAY_URL": api.gateway_url,
        "LRQUIZ_LOG_LEVEL": "WARNING",
    }
    db = str(tmp_path / "q.db")
    proc = await spawn(
        tmp_path, "run", "discord", "--runner", "off", "--db", db, "--metrics-port", "0", **env
    )
    try:
        base = await _metrics_url(proc)
        await asyncio.wait_for(api.ready.wait(), 60)
        async with aiohttp.ClientSession() as http:
            deadline = time.monotonic() + 30
            while True:  # READY arrived; the client marks itself ready right after
                async with http.get(base + healthcheck_path("discord")) as response:
                    assert response.status == 200
                    health = await response.json()
                if health["gateway"]["connected"] or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.05)
            assert health["ok"] is True and health["gateway"]["connected"] is True
            assert health["database"] == {
                **health["database"],
                "ok": True,
                "schema": LATEST_VERSION,
            }

            sent = [_help(ANN if n % 2 else BOB) for n in range(HELPS)]
            stale = interaction_payload(ANN, 3)  # a button of a layout this bot cannot read
            card = Message(api.new_id(), CHANNEL_ID)
            stale["data"] = {"custom_id": "lrq:zz:nothing", "component_type": 2}
            stale["message"] = card.payload()
            for payload in [*sent, stale]:
                message = card.id if payload is stale else None
                api.expect(int(payload["id"]), CHANNEL_ID, message, payload["token"])
                await api.dispatch("INTERACTION_CREATE", payload)
            for payload in [*sent, stale]:
                await _answered(api, payload)
            await asyncio.sleep(0.3)  # counted after the answer; nothing more comes later
            async with http.get(f"{base}/metrics") as response:
                assert response.status == 200
                page = await response.text()
        proc.send_signal(signal.SIGTERM)
        await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert proc.returncode == 0
    assert value(page, "lrquiz_actions_total", **DISCORD, action="ShowHelp", outcome="ok") == HELPS
    assert value(page, "lrquiz_actions_total", **DISCORD, action="Unknown", outcome="ok") == 1
    assert value(page, "lrquiz_action_ack_seconds_count", **DISCORD) == HELPS
    assert value(page, "lrquiz_action_reply_seconds_count", **DISCORD) == HELPS
    posted = {"platform": "discord", "format": "card", "outcome": "posted"}
    assert value(page, "lrquiz_scheduled_posts_total", **posted) == 0


async def test_a_bad_or_busy_metrics_port_is_a_one_line_error(tmp_path: Path) -> None:
    code, _, err = await lrquiz(
        tmp_path, "run", "discord", "--runner", "off", DISCORD_TOKEN="x", LRQUIZ_METRICS_PORT="x"
    )
    assert (code, err) == (1, "lrquiz: error: LRQUIZ_METRICS_PORT: not a port number: 'x'\n")
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = await lrquiz(
            tmp_path,
            "run",
            "discord",
            "--runner",
            "off",
            "--db",
            str(tmp_path / "q.db"),
            DISCORD_TOKEN="x",
            LRQUIZ_METRICS_PORT=str(port),
        )
    assert code == 1
    assert err.startswith(f"lrquiz: error: metrics: cannot listen on 127.0.0.1:{port}: ")
    assert err.count("\n") == 1 and "Traceback" not in err
