"""`lrquiz run discord` and `lrquiz discord sync`, as a subprocess against the fake API."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest

from .fake_api import APP_ID, Call, FakeDiscord, Message
from .support import ANN, BOB, CHANNEL_ID, interaction_payload

REPO = Path(__file__).resolve().parents[2]


async def spawn(tmp: Path, *args: str, **env: str) -> asyncio.subprocess.Process:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LRQUIZ_", "DISCORD_"))}
    clean.update(HOME=str(tmp), XDG_DATA_HOME=str(tmp / "xdg"), PYTHONPATH=str(REPO), **env)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean,
        cwd=tmp,
    )


async def lrquiz(tmp: Path, *args: str, **env: str) -> tuple[int, str, str]:
    proc = await spawn(tmp, *args, **env)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_a_missing_token_is_a_one_line_error(tmp_path: Path) -> None:
    for args in (("run", "discord"), ("discord", "sync")):
        code, _, err = await lrquiz(tmp_path, *args)
        assert code == 1
        assert err.startswith("lrquiz: error: DISCORD_TOKEN is not set")
        assert err.count("\n") == 1 and "Traceback" not in err


async def test_an_invalid_token_is_a_one_line_error(tmp_path: Path, api: FakeDiscord) -> None:
    env = {"DISCORD_TOKEN": "wrong", "DISCORD_API_URL": api.base_url}
    for args in (
        ("run", "discord", "--runner", "off", "--db", str(tmp_path / "q.db")),
        ("discord", "sync"),
    ):
        code, _, err = await lrquiz(tmp_path, *args, **env)
        assert code == 1, err
        assert err == "lrquiz: error: Discord rejected DISCORD_TOKEN (invalid or reset token)\n"


async def test_sync_to_one_server_registers_both_groups(tmp_path: Path, api: FakeDiscord) -> None:
    env = {"DISCORD_TOKEN": api.valid_token, "DISCORD_API_URL": api.base_url}
    code, out, err = await lrquiz(tmp_path, "discord", "sync", "--guild", "123", **env)
    assert code == 0, err
    assert "Synced 2 command groups in server 123, available now: /lrquiz, /lrquiz-admin" in out
    [put] = [c for c in api.calls if c.method == "PUT"]
    assert put.path == f"/applications/{APP_ID}/guilds/123/commands"
    commands = {c["name"]: c for c in put.body}
    player = {o["name"] for o in commands["lrquiz"]["options"]}
    assert player == {
        "challenge",
        "test",
        "practice",
        "learn",
        "review",
        "suggest",
        "leaderboard",
        "stats",
        "badges",
        "dashboard",
        "run",
        "help",
    }
    assert commands["lrquiz"].get("default_member_permissions") is None
    admin = commands["lrquiz-admin"]
    assert int(admin["default_member_permissions"]) == 1 << 5  # Manage Server
    assert admin["contexts"] == [0]  # servers only, never DMs
    options = {o["name"]: o for o in admin["options"]}
    assert list(options) == ["post", "post-daily", "announce", "snippets", "schedule"]
    schedule = options["schedule"]
    assert schedule["type"] == 2  # a subcommand group
    assert [o["name"] for o in schedule["options"]] == ["add", "list", "remove", "pause", "resume"]
    add = {o["name"]: o for o in schedule["options"][0]["options"]}
    assert [o["name"] for o in schedule["options"][0]["options"]] == [
        "time",
        "timezone",
        "channel",
        "weekdays",
        "pack",
        "format",
    ]
    assert add["channel"]["type"] == 7 and add["channel"]["channel_types"] == [0, 5]
    assert add["timezone"]["autocomplete"] is True
    assert [c["value"] for c in add["format"]["choices"]] == ["card", "live"]
    period = next(o for o in commands["lrquiz"]["options"] if o["name"] == "leaderboard")
    assert [(c["name"], c["value"]) for c in period["options"][0]["choices"]] == [
        ("today", "day"),
        ("this week", "week"),
        ("this month", "month"),
        ("all time", "all"),
    ]

    code, out, err = await lrquiz(tmp_path, "discord", "sync", **env)
    assert code == 0, err
    assert "Synced 2 command groups globally" in out
    assert [c.path for c in api.calls if c.method == "PUT"][-1] == (
        f"/applications/{APP_ID}/commands"
    )

    code, out, err = await lrquiz(tmp_path, "discord", "sync", "--guild", "123", "--clear", **env)
    assert code == 0, err
    assert out == "Removed lrquiz's slash commands in server 123\n"
    last = [c for c in api.calls if c.method == "PUT"][-1]
    assert (last.path, last.body) == (f"/applications/{APP_ID}/guilds/123/commands", [])


async def test_a_bad_schedule_grace_is_a_one_line_error(tmp_path: Path) -> None:
    env = {"DISCORD_TOKEN": "any", "LRQUIZ_SCHEDULE_GRACE_S": "15min"}
    code, _, err = await lrquiz(tmp_path, "run", "discord", "--runner", "off", **env)
    assert code == 1
    assert err == (
        "lrquiz: error: LRQUIZ_SCHEDULE_GRACE_S must be a number of seconds (0 or more), "
        "not '15min'\n"
    )


async def test_a_bad_log_level_is_a_one_line_error(tmp_path: Path) -> None:
    env = {"DISCORD_TOKEN": "any", "LRQUIZ_LOG_LEVEL": "chatty"}
    code, _, err = await lrquiz(tmp_path, "run", "discord", "--runner", "off", **env)
    assert code == 1
    assert err == (
        "lrquiz: error: LRQUIZ_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, not 'CHATTY'\n"
    )


async def _answered(api: FakeDiscord, payload: dict[str, Any]) -> Call:
    for _ in range(1000):
        calls = api.callbacks(int(payload["id"]))
        if calls:
            return calls[0]
        await asyncio.sleep(0.02)
    raise AssertionError(f"interaction {payload['id']} was never answered")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
async def test_the_bot_survives_odd_payloads_and_shuts_down_cleanly_on_a_signal(
    tmp_path: Path, api: FakeDiscord, signum: signal.Signals
) -> None:
    env = {
        "DISCORD_TOKEN": api.valid_token,
        "DISCORD_API_URL": api.base_url,
        "DISCORD_GATEWAY_URL": api.gateway_url,
        "LRQUIZ_LOG_LEVEL": "debug",
    }
    db = tmp_path / "q.db"
    proc = await spawn(tmp_path, "run", "discord", "--runner", "off", "--db", str(db), **env)
    try:
        await asyncio.wait_for(api.ready.wait(), 60)
        no_id = interaction_payload(ANN, 3)  # a component without custom_id
        no_id["data"] = {"component_type": 2}
        card = Message(api.new_id(), CHANNEL_ID)
        no_id["message"] = card.payload()
        garbled = interaction_payload(BOB, 5)  # a modal submit without its data
        help_ = interaction_payload(BOB, 2)
        help_["data"] = {
            "id": "7000",
            "name": "lrquiz",
            "type": 1,
            "options": [{"type": 1, "name": "help", "options": []}],
        }
        for payload, message in ((no_id, card.id), (garbled, None), (help_, None)):
            api.expect(int(payload["id"]), CHANNEL_ID, message, payload["token"])
            await api.dispatch("INTERACTION_CREATE", payload)
        assert "no longer active" in (await _answered(api, no_id)).data["content"]
        assert "/lrquiz challenge" in (await _answered(api, help_)).data["embeds"][0]["description"]
        assert api.sockets, "the bot stayed connected"
        proc.send_signal(signum)
        _, err_bytes = await asyncio.wait_for(proc.communicate(), 30)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    err = err_bytes.decode()
    assert proc.returncode == 0, err
    assert "skipped an interaction of an unexpected shape (KeyError" in err
    assert f"{signum.name} received; shutting down" in err
    assert err.rstrip().endswith("bot.discord.cli: stopped; the database is closed")
    assert " DEBUG " in err  # LRQUIZ_LOG_LEVEL is honoured
    assert "Traceback" not in err.split("shutting down", 1)[1]
