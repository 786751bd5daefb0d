"""`lrquiz run slack` as a real process: missing tokens, and HTTP mode end to end."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import aiohttp
import pytest

from .fake_slack import FakeSlack
from .support import SECRET, all_text, app_command, command_body, signed_headers, start_listening

REPO = Path(__file__).resolve().parents[2]


def clean_env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "LRQUIZ_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.update(HOME=str(tmp), XDG_DATA_HOME=str(tmp / "xdg"), PYTHONUTF8="1", **extra)
    return env


@pytest.mark.parametrize(
    ("args", "env", "missing"),
    [
        ([], {}, "SLACK_BOT_TOKEN"),
        ([], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_APP_TOKEN"),
        (["--http"], {"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN"),
        (["--http"], {"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
    ],
)
def test_missing_token_is_one_line_naming_it(
    tmp_path: Path, args: list[str], env: dict[str, str], missing: str
) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "slack", *args],
        capture_output=True,
        text=True,
        env=clean_env(tmp_path, **env),
        cwd=tmp_path,  # no stray .env
        timeout=60,
    )
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"lrquiz: error: {missing} is not set")
    assert not (tmp_path / "xdg").exists()  # failed before opening a database


def test_bad_schedule_grace_is_one_line_naming_it(tmp_path: Path) -> None:
    env = clean_env(
        tmp_path, SLACK_BOT_TOKEN="xoxb-1", SLACK_APP_TOKEN="xapp-1", LRQUIZ_SCHEDULE_GRACE_S="soon"
    )
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "run", "slack"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "lrquiz: error: LRQUIZ_SCHEDULE_GRACE_S must be a number of seconds (0 or more), not 'soon'"
    ]


async def test_http_mode_process_end_to_end(tmp_path: Path, fake: FakeSlack) -> None:
    env = clean_env(
        tmp_path,
        SLACK_BOT_TOKEN="xoxb-test",
        SLACK_SIGNING_SECRET=SECRET,
        SLACK_API_URL=fake.api_url.rstrip("/"),  # the trailing slash is optional
    )
    proc, events = await start_listening(app_command(tmp_path / "cli.db"), env, cwd=tmp_path)
    try:
        url, key = fake.response_url()
        body = command_body("challenge", url)
        async with (
            aiohttp.ClientSession() as http,
            http.post(events, data=body, headers=signed_headers(body)) as response,
        ):
            assert response.status == 200
        reply = await fake.response(key)
        assert "Question 1/5" in all_text(reply)
        assert fake.of("auth.test")  # token verification went to SLACK_API_URL
    finally:
        proc.terminate()
        assert await asyncio.wait_for(proc.wait(), 30) == 0  # SIGTERM is a clean stop
        rest = (await proc.stderr.read()).decode()  # type: ignore[union-attr]
        assert "Traceback" not in rest, rest
