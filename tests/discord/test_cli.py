"""`lrquiz run discord` and `lrquiz discord sync`, as a subprocess against the fake API."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from .fake_api import APP_ID, FakeDiscord

REPO = Path(__file__).resolve().parents[2]


async def lrquiz(tmp: Path, *args: str, **env: str) -> tuple[int, str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("LRQUIZ_", "DISCORD_"))}
    clean.update(HOME=str(tmp), XDG_DATA_HOME=str(tmp / "xdg"), PYTHONPATH=str(REPO), **env)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        *args,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=clean,
        cwd=tmp,
    )
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
        "leaderboard",
        "stats",
        "badges",
        "help",
    }
    assert commands["lrquiz"].get("default_member_permissions") is None
    admin = commands["lrquiz-admin"]
    assert int(admin["default_member_permissions"]) == 1 << 5  # Manage Server
    assert admin["contexts"] == [0]  # servers only, never DMs
    options = {o["name"]: o for o in admin["options"]}
    assert list(options) == ["post", "post-daily", "announce", "schedule"]
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
