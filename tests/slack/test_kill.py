"""kill -9 at a random instant loses no acknowledged click: each was committed before its ack.

The real `lrquiz run slack --http` process serves signed clicks from many players at once and
is killed with SIGKILL mid-storm; every click that got its HTTP 200 must be in the database
file afterwards, with the attempts it made.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import signal
import sqlite3
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from .fake_slack import FakeSlack
from .support import (
    SECRET,
    action_payload,
    app_command,
    signed_headers,
    start_listening,
    started_runs,
)

PLAYERS = 40
REPO = Path(__file__).resolve().parents[2]


async def _serve(db_path: Path, fake: FakeSlack) -> tuple[asyncio.subprocess.Process, str]:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "PYTHONPATH": str(REPO),
        "LRQUIZ_LOG_LEVEL": "WARNING",
    }
    return await start_listening(app_command(db_path), env)


def _click(user: str, run: str, letter: str, n: int, response_url: str) -> tuple[str, str]:
    payload = action_payload(f"lrquiz_answer_{letter}", f"{run}:0", response_url, user=user)
    payload["trigger_id"] = f"kill-{n}"
    return f"act:{user}:lrquiz_answer_{letter}:kill-{n}", urlencode(
        {"payload": json.dumps(payload)}
    )


async def test_kill_9_mid_storm_loses_no_acknowledged_click(tmp_path: Path) -> None:
    fake = FakeSlack()
    await fake.start()
    db_path = tmp_path / "slack.db"
    runs = await started_runs(db_path, PLAYERS)
    proc, events = await _serve(db_path, fake)
    url, _ = fake.response_url()
    clicks = [
        _click(user, run, letter, n * 4 + i, url)
        for n, (user, run) in enumerate(runs.items())
        for i, letter in enumerate("ABCD")
    ]
    random.shuffle(clicks)
    acked: list[str] = []

    async def send(http: aiohttp.ClientSession, key: str, body: str) -> None:
        try:
            async with http.post(events, data=body, headers=signed_headers(body)) as response:
                if response.status == 200:
                    acked.append(key)
        except aiohttp.ClientError:
            pass  # the process is gone: this click was never acknowledged

    try:
        async with aiohttp.ClientSession() as http:
            storm = [asyncio.create_task(send(http, key, body)) for key, body in clicks]
            while not acked:  # mid-storm: once clicks are being acknowledged...
                await asyncio.sleep(0.001)
            await asyncio.sleep(random.uniform(0.0, 0.3))  # ...at a random instant
            proc.send_signal(signal.SIGKILL)
            await asyncio.gather(*storm)
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        await fake.stop()

    conn = sqlite3.connect(db_path)
    try:
        stored = {row[0] for row in conn.execute("SELECT key FROM platform_actions")}
        done = {row[0] for row in conn.execute("SELECT key FROM platform_actions WHERE done_at")}
        attempts = conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0]
        over = conn.execute(
            "SELECT COUNT(*) FROM (SELECT session_id, idx, COUNT(*) AS n FROM attempts "
            "GROUP BY session_id, idx) WHERE n > 2"
        ).fetchone()[0]
    finally:
        conn.close()
    assert acked
    lost = [key for key in acked if key not in stored]
    assert lost == [], f"{len(lost)} of {len(acked)} acknowledged clicks were lost"
    assert set(acked) <= done
    assert attempts <= 2 * PLAYERS and over == 0  # the attempt limit held throughout
