"""`lrquiz run discord --shard-count 2 --shard-ids I` in two processes on one PostgreSQL
database (issue 16, item 4): the fake gateway routes each server's events to its shard as
Discord does, so each process serves only its own servers' clicks, and what both must
agree on (attempt limits, one card per schedule) is held by the database."""

from __future__ import annotations

import asyncio
import copy
import signal
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bot.engine.schedule import EVERY_DAY, ScheduleSpec
from bot.service import GameService
from problems.loader import default_pack
from storage.factory import open_database
from storage.schedules import add_schedule
from storage.users import PlayerRef
from tests.storage.support import query, scalar

from .fake_api import GUILD_ID, FakeDiscord, Message
from .support import CHANNEL_ID, User, interaction_payload
from .test_cli import _answered, lrquiz, spawn

# Discord sends a server's events to shard (guild_id >> 22) % shard_count.
GUILDS = (GUILD_ID, GUILD_ID + (1 << 22))
PLAYERS_PER_GUILD = 8
LETTERS = "ABC"  # three different letters at once: the question allows two attempts


def test_the_two_servers_are_on_different_shards() -> None:
    assert sorted((guild >> 22) % 2 for guild in GUILDS) == [0, 1]


def _players() -> list[tuple[int, User]]:
    return [
        (guild, User(7_000_000_000_000_000_000 + 100 * g + n, f"P{g}{n}"))
        for g, guild in enumerate(GUILDS)
        for n in range(PLAYERS_PER_GUILD)
    ]


async def _prepare(url: str) -> dict[int, str]:
    """A challenge run for every player, and a card due two minutes ago on a schedule made
    an hour ago (both processes' schedulers see it due at start)."""
    pack = default_pack()
    db = await open_database(url)
    service = GameService(db, [pack])
    runs = {}
    for guild, user in _players():
        ref = PlayerRef("discord", str(guild), str(user.id), user.name)
        runs[user.id] = (await service.start(await service.player_id(ref), "challenge")).id
    due = datetime.now(UTC) - timedelta(minutes=2)
    spec = ScheduleSpec(due.strftime("%H:%M"), "UTC", EVERY_DAY, pack.id, "card")
    await db.transact(
        lambda c: add_schedule(
            c, "sharded", "discord", str(GUILD_ID), str(CHANNEL_ID), spec, None, time.time() - 3600
        )
    )
    await db.close()
    return runs


def _click(api: FakeDiscord, guild: int, user: User, run: str, letter: str) -> dict[str, Any]:
    payload = interaction_payload(user, 3)
    payload["guild_id"] = str(guild)
    payload["channel"] = {**copy.deepcopy(payload["channel"]), "guild_id": str(guild)}
    payload["authorizing_integration_owners"] = {"0": str(guild)}
    payload["data"] = {"custom_id": f"lrq:ra:{run}:0:{letter}", "component_type": 2}
    message = Message(api.new_id(), CHANNEL_ID)
    api.messages[message.id] = message  # the question message the button is on
    payload["message"] = message.payload()
    api.expect(int(payload["id"]), CHANNEL_ID, message.id, payload["token"])
    return payload


async def test_two_shard_processes_share_one_postgresql_database(
    tmp_path: Path, api: FakeDiscord, pg_url: str
) -> None:
    runs = await _prepare(pg_url)
    env = {
        "DISCORD_TOKEN": api.valid_token,
        "DISCORD_API_URL": api.base_url,
        "DISCORD_GATEWAY_URL": api.gateway_url,
        "LRQUIZ_LOG_LEVEL": "WARNING",
    }
    command = ["run", "discord", "--runner", "off", "--db", pg_url, "--shard-count", "2"]
    procs = [await spawn(tmp_path, *command, "--shard-ids", str(shard), **env) for shard in (0, 1)]
    try:
        deadline = time.monotonic() + 60
        while sorted(api.shard_of.values()) != [(0, 2), (1, 2)]:
            assert time.monotonic() < deadline, f"shards connected: {api.shard_of}"
            assert all(p.returncode is None for p in procs), "a shard process exited"
            await asyncio.sleep(0.05)
        clicks = [
            _click(api, guild, user, runs[user.id], letter)
            for guild, user in _players()
            for letter in LETTERS
        ]
        await asyncio.gather(*(api.dispatch("INTERACTION_CREATE", c) for c in clicks))
        answered = await asyncio.gather(*(_answered(api, c) for c in clicks))
        deadline = time.monotonic() + 30
        while not api.channel_posts(CHANNEL_ID):
            assert time.monotonic() < deadline, "the scheduled card was never posted"
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.5)  # both schedulers have ticked; a second card would show now
        cards = len(api.channel_posts(CHANNEL_ID))
    finally:
        for proc in procs:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        codes = [await asyncio.wait_for(proc.wait(), 30) for proc in procs]
    assert codes == [0, 0]
    # Every click of both servers was answered once: each shard process got and served
    # only its own server's clicks.
    assert len(answered) == len(clicks) == 2 * PLAYERS_PER_GUILD * len(LETTERS)
    assert all(len(api.callbacks(int(c["id"]))) == 1 for c in clicks)
    per_run = query(pg_url, "SELECT session_id, COUNT(*) FROM attempts GROUP BY session_id")
    assert len(per_run) == len(runs) and all(1 <= count <= 2 for _, count in per_run)
    assert scalar(pg_url, "SELECT COUNT(*) FROM questions WHERE outcome IS NULL") == 0
    assert cards == 1
    assert query(pg_url, "SELECT schedule_id, status FROM schedule_runs") == [("sharded", "posted")]


async def test_bad_shard_options_are_one_line_errors(tmp_path: Path) -> None:
    cases = {
        ("--shard-ids", "0"): "--shard-ids needs --shard-count (the total across all processes)",
        ("--shard-count", "2", "--shard-ids", "2"): "--shard-ids: 2 is not a shard of 0..1",
        ("--shard-count", "two"): "--shard-count: not a whole number: 'two'",
        ("--shard-count", "0"): "--shard-count must be at least 1, not 0",
        ("--shard-count", "2", "--shard-ids", "1,1"): "--shard-ids: a shard is listed twice",
    }
    for flags, message in cases.items():
        code, _, err = await lrquiz(
            tmp_path, "run", "discord", "--runner", "off", *flags, DISCORD_TOKEN="x"
        )
        assert code == 1 and err.startswith(f"lrquiz: error: {message}"), (flags, err)
        assert err.count("\n") == 1
