"""Two `lrquiz run slack --http` processes on one PostgreSQL database (issue 16, item 4).

What a load balancer in front of two replicas means for the database: every player's clicks
are spread over both processes at once, yet each question takes at most its two attempts
and scores once, every acknowledged click is stored, and a schedule due while both run
posts exactly one daily card.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

import aiohttp

from bot.engine.schedule import EVERY_DAY, ScheduleSpec
from bot.service import GameService
from problems.loader import default_pack
from storage.factory import open_database
from storage.schedules import add_schedule
from storage.users import PlayerRef
from tests.slack.fake_slack import FakeSlack
from tests.slack.support import (
    SECRET,
    TEAM,
    action_payload,
    app_command,
    cards,
    signed_headers,
    start_listening,
)
from tests.storage.support import query, scalar

PLAYERS = 30
REPO = Path(__file__).resolve().parents[1]


async def _prepare(url: str) -> dict[str, str]:
    """Runs for every player, and a daily card due two minutes ago (within the grace), on a
    schedule made an hour ago."""
    pack = default_pack()
    db = await open_database(url)
    service = GameService(db, [pack])
    runs = {}
    for n in range(PLAYERS):
        user = f"U{n:04d}"
        player = await service.player_id(PlayerRef("slack", TEAM, user, user))
        runs[user] = (await service.start(player, "challenge")).id
    due = datetime.now(UTC) - timedelta(minutes=2)
    spec = ScheduleSpec(due.strftime("%H:%M"), "UTC", EVERY_DAY, pack.id, "card")
    await db.transact(
        lambda c: add_schedule(c, "replicas", "slack", TEAM, "C2", spec, None, time.time() - 3600)
    )
    await db.close()
    return runs


async def test_two_slack_replicas_share_one_postgresql_database(pg_url: str) -> None:
    runs = await _prepare(pg_url)
    fake = FakeSlack()
    await fake.start()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-test",
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.api_url,
        "PYTHONPATH": str(REPO),
        "LRQUIZ_LOG_LEVEL": "WARNING",
    }
    replicas = [await start_listening(app_command(pg_url), env) for _ in range(2)]
    response_url, _ = fake.response_url()
    acked: list[list[str]] = [[], []]

    async def click(http: aiohttp.ClientSession, n: int, user: str, run: str, letter: str) -> None:
        payload = action_payload(f"lrquiz_answer_{letter}", f"{run}:0", response_url, user=user)
        payload["trigger_id"] = f"replica-{user}-{letter}"
        body = urlencode({"payload": json.dumps(payload)})
        replica = n % 2  # round robin, like the load balancer
        async with http.post(replicas[replica][1], data=body, headers=signed_headers(body)) as r:
            assert r.status == 200, await r.text()
            acked[replica].append(f"act:{user}:lrquiz_answer_{letter}:{payload['trigger_id']}")

    try:
        async with aiohttp.ClientSession() as http:
            await asyncio.gather(
                *(
                    click(http, n, user, run, letter)
                    for user, run in runs.items()
                    for n, letter in enumerate("ABCD")
                )
            )
        [card] = await fake.wait(lambda: cards(fake), timeout=30)
        await asyncio.sleep(1.5)  # both schedulers have ticked; a second card would show now
        assert len(cards(fake)) == 1 and card["channel"] == "C2"
    finally:
        for proc, _ in replicas:
            if proc.returncode is None:
                proc.terminate()
        for proc, _ in replicas:
            await asyncio.wait_for(proc.wait(), 30)
        await fake.stop()

    # Both replicas served clicks, and every acknowledged one is stored as done.
    assert len(acked[0]) == len(acked[1]) == 2 * PLAYERS
    done = {
        row[0]
        for row in query(pg_url, "SELECT key FROM platform_actions WHERE done_at IS NOT NULL")
    }
    assert set(acked[0]) | set(acked[1]) <= done
    # Four different letters each, from two processes at once: two attempts at most, one
    # closed question and one score per run.
    per_run = query(pg_url, "SELECT session_id, COUNT(*) FROM attempts GROUP BY session_id")
    assert len(per_run) == PLAYERS and all(1 <= count <= 2 for _, count in per_run)
    assert scalar(pg_url, "SELECT COUNT(*) FROM questions WHERE outcome IS NULL") == 0
    scores = query(pg_url, "SELECT session_id, COUNT(*) FROM scores GROUP BY session_id")
    assert len(scores) == PLAYERS and all(count == 1 for _, count in scores)
    assert query(pg_url, "SELECT schedule_id, status FROM schedule_runs") == [
        ("replicas", "posted")
    ]
    assert scalar(pg_url, "SELECT COUNT(*) FROM dailies") == 1
